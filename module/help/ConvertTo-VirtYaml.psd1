# Help source for ConvertTo-VirtYaml (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Converts test parameter dictionaries to a YAML document.'

    Description = @(
        'ConvertTo-VirtYaml collects every dictionary it receives (VirtParams from Expand-VirtConfig, hashtables, ordered dictionaries, or objects whose properties become keys) and, when the input ends, writes a single string: a YAML sequence with one mapping per dictionary, keys in their original order.'
        'Values are written as strings. Values that YAML would read as a number, boolean or null (for example 2, yes or an empty string) are quoted, so the document reads back with the same strings. The dep key of a VirtParams (the tests it depends on) is written as a list.'
        'With no input, the output is an empty sequence: [].'
    )

    Parameters  = @{
        InputObject = 'Specifies the dictionaries to convert. Usually received from the pipeline; an array given by name is treated like the same objects piped one by one.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Config.VirtParams'; Description = 'Test dictionaries from Expand-VirtConfig.' }
        @{ Type = 'System.Collections.IDictionary'; Description = 'Any dictionary, such as a hashtable or an [ordered] dictionary.' }
    )

    Outputs     = @(
        @{ Type = 'System.String'; Description = 'One YAML document (a sequence of mappings) for all the input.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Save the expanded tests as YAML'
            Code    = @'
$yamlFile = Join-Path ([System.IO.Path]::GetTempPath()) 'virttest-tests.yaml'
Expand-VirtConfig ./examples/tests.cfg -Filter 'only Fedora' | ConvertTo-VirtYaml | Set-Content -Path $yamlFile
Get-Content -Path $yamlFile -TotalCount 12
Remove-Item -Path $yamlFile
'@
            Remarks = 'Expands the Fedora tests, writes them to a YAML file, shows its beginning, and removes the file again.'
        }
        @{
            Title   = 'Convert hashtables'
            Code    = '[ordered]@{ name = ''vm1''; mem = ''2048''; start_vm = ''yes'' }, @{ name = ''vm2'' } | ConvertTo-VirtYaml'
            Remarks = 'Any dictionary can be converted. The values 2048 and yes are quoted in the output so that they stay strings.'
        }
    )

    RelatedLinks = @('Expand-VirtConfig', 'about_VirtTest')
}
