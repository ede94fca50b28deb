# Pester tests for ConvertTo-VirtYaml. Run through build.ps1 -Task Test, which sets
# VIRTTEST_MODULE_PATH to the assembled module (fallback: ./out/VirtTest).

BeforeAll {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $script:ExampleConfig = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '../examples/tests.cfg')).ProviderPath

    # YamlDotNet is loaded with the module, in the module's own load context (so its type name does
    # not resolve here); reach it through the loaded assembly to read the YAML back.
    function Read-Yaml([string] $Yaml) {
        $assembly = [AppDomain]::CurrentDomain.GetAssemblies() |
            Where-Object { $_.GetName().Name -eq 'YamlDotNet' -and [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name -like 'VirtTest*' } |
            Select-Object -First 1
        $builder = [Activator]::CreateInstance($assembly.GetType('YamlDotNet.Serialization.DeserializerBuilder', $true))
        $deserializer = $builder.Build()
        return , $deserializer.Deserialize($Yaml)
    }
}

Describe 'ConvertTo-VirtYaml' {

    Context 'VirtParams from Expand-VirtConfig' {
        BeforeAll {
            $script:dicts = @(Expand-VirtConfig -Path $ExampleConfig -Filter 'only Fedora..virtio_net..virtio_blk')
            $script:yaml = $dicts | ConvertTo-VirtYaml
        }

        It 'writes exactly one string for the whole input' {
            @($yaml).Count | Should -Be 1
            $yaml | Should -BeOfType ([string])
            $dicts.Count | Should -BeGreaterThan 1
        }

        It 'writes a YAML sequence of mappings, one per dictionary' {
            $yaml | Should -Match '^- '
            $doc = Read-Yaml $yaml
            $doc.Count | Should -Be $dicts.Count
        }

        It 'keeps every key and value, in order' {
            $doc = Read-Yaml $yaml
            for ($i = 0; $i -lt $dicts.Count; $i++) {
                $keys = @($doc[$i].Keys | ForEach-Object { [string]$_ })
                $keys | Should -Be @($dicts[$i].Keys)
                foreach ($key in $dicts[$i].Keys) {
                    if ($key -eq 'dep') { continue }
                    [string]$doc[$i][$key] | Should -BeExactly $dicts[$i][$key] -Because "key $key"
                }
            }
        }

        It 'writes dep as a list' {
            $doc = Read-Yaml $yaml
            $reboot = @($dicts | Where-Object { $_['reboot_method'] -eq 'shell' })[0]
            $index = [array]::IndexOf($dicts, $reboot)
            $dep = $doc[$index]['dep']
            , $dep | Should -BeOfType ([System.Collections.IList])
            @($dep).Count | Should -Be @($reboot.Dep).Count
            @($dep).Count | Should -BeGreaterThan 0
        }

        It 'quotes strings that YAML would read as numbers or booleans' {
            $yaml | Should -Match 'password: "123456"'
            $yaml | Should -Match 'start_vm: "yes"'
            $yaml | Should -Match 'mem: "\d+"'
        }
    }

    Context 'Other dictionaries' {
        It 'converts hashtables and ordered dictionaries' {
            $yaml = [ordered]@{ name = 'vm1'; mem = '2048'; on = 'true' }, @{ empty = '' } | ConvertTo-VirtYaml
            $doc = Read-Yaml $yaml
            $doc.Count | Should -Be 2
            @($doc[0].Keys | ForEach-Object { [string]$_ }) | Should -Be @('name', 'mem', 'on')
            $doc[0]['mem'] | Should -BeExactly '2048'
            $doc[0]['on'] | Should -BeExactly 'true'
            $doc[1]['empty'] | Should -BeExactly ''
        }

        It 'takes an array given to -InputObject element by element' {
            $doc = Read-Yaml (ConvertTo-VirtYaml -InputObject @(@{ a = '1' }, @{ b = '2' }))
            $doc.Count | Should -Be 2
        }

        It 'converts the properties of a PSCustomObject' {
            $doc = Read-Yaml ([pscustomobject]@{ vm = 'vm1'; smp = 4 } | ConvertTo-VirtYaml)
            $doc[0]['vm'] | Should -BeExactly 'vm1'
            $doc[0]['smp'] | Should -BeExactly '4'
        }

        It 'keeps multi-line and special values intact' {
            $value = "line one`nline two: with colon # and hash"
            $doc = Read-Yaml (@{ text = $value; lead = '  spaced'; star = '*'; dash = '- x' } | ConvertTo-VirtYaml)
            $doc[0]['text'] | Should -BeExactly $value
            $doc[0]['lead'] | Should -BeExactly '  spaced'
            $doc[0]['star'] | Should -BeExactly '*'
            $doc[0]['dash'] | Should -BeExactly '- x'
        }

        It 'writes an empty sequence for no input' {
            $yaml = @() | ConvertTo-VirtYaml
            $yaml.Trim() | Should -Be '[]'
        }

        It 'reports unsupported input as a non-terminating InvalidType error' {
            $yaml = 42, @{ a = 'b' } | ConvertTo-VirtYaml -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 1
            $errs[0].CategoryInfo.Category | Should -Be 'InvalidType'
            (Read-Yaml $yaml).Count | Should -Be 1
        }
    }
}
