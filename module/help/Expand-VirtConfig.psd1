# Help source for Expand-VirtConfig. build.ps1 turns every module/help/*.psd1 into MAML
# (out/VirtTest/en-US/VirtTest.PowerShell.dll-Help.xml). Syntax, types, positions and
# pipeline input come from the compiled cmdlet; the text comes from here.
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: keep them working.
@{
    Synopsis    = 'Expands Cartesian config files into test parameter dictionaries.'

    Description = @(
        'Expand-VirtConfig parses one or more files written in the Cartesian config language (see about_VirtTest_CartesianConfig), applies the filters given with -Filter, and writes one VirtParams object per resulting test. A VirtParams is an ordered dictionary of string keys and string values; its name and shortname keys identify the test.'
        'All files given in one invocation, whether by -Path or through the pipeline, are parsed into a single configuration, in the order received. Text given with -Text is parsed after the files, and the -Filter lines are applied after that, exactly as if they were lines at the end of the last file.'
        'The dictionaries are produced lazily and written one at a time: a configuration that expands to millions of tests starts producing output at once, and Select-Object -First stops the expansion early. Press Ctrl+C to stop a long expansion.'
        'A syntax error in a config file is a terminating error of category ParserError whose message names the file and line. A missing include file is a terminating error of category ObjectNotFound. A -Path that does not exist is a non-terminating ObjectNotFound error; when no file is left to parse (and no -Text), nothing is written.'
        'Parsed files are kept in a parse cache (under $XDG_CACHE_HOME/virttest/config, by default ~/.cache/virttest/config), keyed by the contents of every file read, includes included, and by the engine''s build: a second run on unchanged files starts expanding at once, and any change to a file or an include parses again. A damaged cache entry is ignored and rewritten; -NoCache turns the cache off.'
        'Every dictionary also carries _name_map_file and _short_name_map_file: per config file, the (short) names of the variants taken from that file, as the reference parser writes them (for example {''subtests.cfg'': ''boot''}). The NameMapFile and ShortNameMapFile properties read them as dictionaries.'
    )

    Parameters  = @{
        Path     = 'Specifies the config files to parse. Wildcards and PowerShell paths (including PSDrive paths) are resolved. Accepts file objects from Get-ChildItem and strings from the pipeline.'
        Filter   = 'Specifies filter lines applied after all input, one per element, such as ''only qcow2'', ''no Windows'' or ''only Fedora..virtio_blk''. A filter without a leading only or no means only. In a filter, a comma means OR, two dots mean AND (in any order), one dot means immediately followed by, and (name=value) matches a named variant. Press Tab after -Filter to complete variant names from the files given to -Path.'
        Defaults = 'Expands in defaults mode: a variants block that declares a default variant ([default=name] on the block, or @ before the variant name) contributes only that variant. Blocks without a default still contribute all their variants.'
        Text     = 'Specifies config text to parse after the files, as if it were a file named <text>. Use it for overrides and one-off filters, or on its own without -Path.'
        ExpandDefaults = 'With -Defaults, specifies named variants blocks (variants NAME:) that are still expanded in full, as the reference parser''s expand option does.'
        KeepSuffixedKeys = 'Keeps every key that a suffix statement renamed under its suffixed name (mem_vm1), even where its value equals the plain key''s. By default such duplicates fold back into the plain key (mem), as the reference parser does unless told to keep duplicates.'
        NoCache  = 'Parses the files without the parse cache: no cache entry is read or written.'
    }

    Inputs      = @(
        @{ Type = 'System.String'; Description = 'Paths of config files, by value or from a FullName or PSPath property (for example FileInfo objects from Get-ChildItem).' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Config.VirtParams'; Description = 'One ordered string dictionary per expanded test. It implements IDictionary, so it can be indexed ($d[''mem'']), passed to Pester -ForEach, converted with ConvertTo-Json, or piped to ConvertTo-VirtYaml.' }
    )

    Notes       = @(
        'The output is formatted as a table of ShortName and key count. To see all keys of one dictionary, use $d.GetEnumerator() or $d | Format-Table -Expand EnumOnly.'
    )

    Examples    = @(
        @{
            Title   = 'Defaults mode with one block expanded'
            Code    = 'Expand-VirtConfig ./examples/tests.cfg -Defaults -ExpandDefaults guest_os -NoCache | Select-Object -ExpandProperty ShortName'
            Remarks = 'Takes the default variant of every block except the named guest_os block, whose variants all stay; -NoCache parses the file afresh.'
        }
        @{
            Title   = 'Expand a config file'
            Code    = 'Expand-VirtConfig -Path ./examples/tests.cfg | Select-Object -First 5'
            Remarks = 'Parses the example configuration and shows the first five test dictionaries.'
        }
        @{
            Title   = 'Count the tests and look at one of them'
            Code    = @'
$tests = Expand-VirtConfig ./examples/tests.cfg
$tests.Count
$tests[0]['image_filename']
$tests[0].GetEnumerator() | Select-Object -First 8
'@
            Remarks = 'Stores every dictionary, prints how many tests the configuration defines, reads one key by index, and lists the first keys of the first test.'
        }
        @{
            Title   = 'Filter the matrix'
            Code    = @'
Expand-VirtConfig ./examples/tests.cfg -Filter 'only Fedora..qcow2', 'no e1000' |
    Select-Object ShortName, @{ Name = 'disk'; Expression = { $_['drive_format'] } }
'@
            Remarks = 'Keeps only the Fedora tests on qcow2 images, drops the e1000 network card, and shows the disk model of each remaining test. The filters act like only/no lines appended to the file.'
        }
        @{
            Title   = 'Defaults mode, grouped by guest'
            Code    = 'Expand-VirtConfig ./examples/tests.cfg -Defaults | Group-Object { $_[''guest_os''] } | Select-Object Name, Count'
            Remarks = 'Uses only the default variant of each variants block that declares one (qcow2, virtio_blk, virtio_net and boot in the example) and counts the tests per guest OS family.'
        }
        @{
            Title   = 'Files from the pipeline'
            Code    = "Get-ChildItem ./examples -Filter *.cfg | Expand-VirtConfig -Filter 'only boot' | Measure-Object"
            Remarks = 'Pipes file objects into Expand-VirtConfig; their FullName binds to -Path. All piped files form one configuration.'
        }
        @{
            Title   = 'Config text without a file'
            Code    = @'
$text = @"
mem = 1024
variants:
    - small:
        disk_size = 10G
    - large:
        disk_size = 100G
"@
Expand-VirtConfig -Text $text | ForEach-Object { '{0}: {1}' -f $_.ShortName, $_['disk_size'] }
'@
            Remarks = 'Parses config text given as a string, with no file at all, and prints one line per test.'
        }
    )

    RelatedLinks = @('ConvertTo-VirtYaml', 'about_VirtTest', 'about_VirtTest_CartesianConfig')
}
