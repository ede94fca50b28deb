# Pester tests for Expand-VirtConfig. Run through build.ps1 -Task Test, which sets
# VIRTTEST_MODULE_PATH to the assembled module (fallback: ./out/VirtTest).

BeforeDiscovery {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $exampleConfig = Join-Path $PSScriptRoot '../examples/tests.cfg'
    # Data for the -ForEach test: every key of each dictionary becomes a variable.
    $forEachTests = @(Expand-VirtConfig -Path $exampleConfig -Filter 'only Fedora..qcow2..virtio_net')
}

BeforeAll {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $script:ModulePath = (Get-Module VirtTest).ModuleBase
    $script:ExampleConfig = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '../examples/tests.cfg')).ProviderPath
    # The parse cache of this run lives in TestDrive (removed by Pester), not in ~/.cache.
    $script:OldXdgCache = $env:XDG_CACHE_HOME
    $env:XDG_CACHE_HOME = Join-Path $TestDrive 'xdg-cache'
    $script:CacheDir = Join-Path $env:XDG_CACHE_HOME 'virttest/config'

    # Writes a config file into Pester's TestDrive (removed by Pester after the run).
    function New-TestConfig([string] $Name, [string[]] $Lines) {
        $path = Join-Path $TestDrive $Name
        Set-Content -LiteralPath $path -Value $Lines -Encoding utf8NoBOM
        return $path
    }

    # n variants blocks of m variants each: m^n dictionaries.
    function New-BigConfig([string] $Name, [int] $Blocks, [int] $PerBlock) {
        $lines = [System.Collections.Generic.List[string]]::new()
        $lines.Add('base = 1')
        foreach ($b in 1..$Blocks) {
            $lines.Add('variants:')
            foreach ($v in 1..$PerBlock) {
                $lines.Add("    - b${b}v${v}:")
                $lines.Add("        p$b = $v")
            }
        }
        return New-TestConfig $Name $lines
    }
}

AfterAll {
    $env:XDG_CACHE_HOME = $script:OldXdgCache
}

Describe 'Expand-VirtConfig' {

    Context 'Output' {
        BeforeAll {
            $script:all = @(Expand-VirtConfig -Path $ExampleConfig)
        }

        It 'expands examples/tests.cfg to a realistic number of tests' {
            $all.Count | Should -BeGreaterOrEqual 50
            $all.Count | Should -BeLessOrEqual 200
        }

        It 'writes VirtParams objects' {
            $all[0] | Should -BeOfType ([VirtTest.Core.Config.VirtParams])
            $all | ForEach-Object { $_ -is [VirtTest.Core.Config.VirtParams] } | Should -Not -Contain $false
        }

        It 'writes dictionaries (IDictionary and IDictionary[string,string])' {
            $all[0] | Should -BeOfType ([System.Collections.IDictionary])
            $all[0] -is [System.Collections.Generic.IDictionary[string, string]] | Should -BeTrue
        }

        It 'has name and shortname keys matching the properties' {
            foreach ($d in $all | Select-Object -First 20) {
                $d['name'] | Should -Not -BeNullOrEmpty
                $d.Name | Should -BeExactly $d['name']
                $d.ShortName | Should -BeExactly $d['shortname']
            }
        }

        It 'gives every test a distinct name' {
            ($all | ForEach-Object { $_['name'] } | Sort-Object -Unique).Count | Should -Be $all.Count
        }

        It 'sets keys from named variants and from the variant bodies' {
            foreach ($d in $all) {
                $d['guest_os'] | Should -BeIn 'Linux', 'Windows'
                $d['image_format'] | Should -BeIn 'qcow2', 'raw'
                $d['nic_model'] | Should -BeIn 'virtio', 'e1000'
            }
        }

        It 'applies the filters and conditional blocks of the file' {
            $all | Where-Object { $_['guest_os'] -eq 'Windows' -and $_['drive_format'] -eq 'ide' } | Should -BeNullOrEmpty
            $all | Where-Object { $_['image_format'] -eq 'raw' -and $_['type'] -eq 'migration' } | Should -BeNullOrEmpty
            $all | Where-Object { $_['os_type'] -eq 'linux' } | ForEach-Object { $_['serial_login'] | Should -Be 'yes' }
        }

        It 'round-trips through ConvertTo-Json with all keys and values' {
            $d = $all[0]
            $back = $d | ConvertTo-Json -Depth 3 | ConvertFrom-Json -AsHashtable
            @($back.Keys | Sort-Object) | Should -Be @($d.Keys | Sort-Object)
            foreach ($key in $d.Keys) { $back[$key] | Should -Be $d[$key] -Because "key $key" }
        }
    }

    Context 'Pester -ForEach over the dictionaries' {
        It 'runs <shortname> with its keys as variables' -ForEach $forEachTests {
            $guest_os | Should -Be 'Linux'
            $image_format | Should -Be 'qcow2'
            $nic_model | Should -Be 'virtio'
            $image_filename | Should -Be "$image_name.qcow2"
        }

        It 'has data for the -ForEach test' -TestCases @(@{ DataCount = $forEachTests.Count }) {
            $DataCount | Should -BeGreaterThan 0
        }
    }

    Context 'Streaming' {
        It 'returns the first of >= 1e6 dictionaries through Select-Object -First 1' {
            $big = New-BigConfig -Name 'million.cfg' -Blocks 6 -PerBlock 10   # 10^6 dictionaries
            $first = @(Expand-VirtConfig -Path $big | Select-Object -First 1)
            $first.Count | Should -Be 1
            $first[0] | Should -BeOfType ([VirtTest.Core.Config.VirtParams])
            $first[0]['base'] | Should -Be '1'
        }

        It 'returns distinct dictionaries through Select-Object -First 3' {
            $big = New-BigConfig -Name 'million3.cfg' -Blocks 6 -PerBlock 10
            $three = @(Expand-VirtConfig -Path $big | Select-Object -First 3)
            $three.Count | Should -Be 3
            ($three | ForEach-Object { $_['name'] } | Sort-Object -Unique).Count | Should -Be 3
        }

        It 'stops when the pipeline is stopped' {
            $huge = New-BigConfig -Name 'huge.cfg' -Blocks 10 -PerBlock 10   # 10^10 dictionaries
            # One pipeline in its own runspace (module preloaded): a batch of statements
            # would race with Stop() inside PowerShell itself.
            $iss = [initialsessionstate]::CreateDefault2()
            $iss.ImportPSModule([string[]]@($ModulePath))
            $runspace = [runspacefactory]::CreateRunspace($iss)
            $runspace.Open()
            $ps = [powershell]::Create()
            $ps.Runspace = $runspace
            try {
                $null = $ps.AddCommand('Expand-VirtConfig').AddParameter('Path', $huge).AddCommand('Out-Null')
                $async = $ps.BeginInvoke()
                # Wait (by polling the state, not by timing the cmdlet) until it runs, then stop it.
                while ($ps.InvocationStateInfo.State -eq 'NotStarted') { Start-Sleep -Milliseconds 20 }
                Start-Sleep -Milliseconds 200
                $ps.Stop()
                $ps.InvocationStateInfo.State | Should -Be 'Stopped'
                { $ps.EndInvoke($async) } | Should -Throw
            }
            finally {
                $ps.Dispose()
                $runspace.Dispose()
            }
        }
    }

    Context '-Filter' {
        BeforeAll {
            $script:total = @(Expand-VirtConfig -Path $ExampleConfig).Count
        }

        It 'keeps only matching tests with "only"' {
            $fedora = @(Expand-VirtConfig -Path $ExampleConfig -Filter 'only Fedora')
            $fedora.Count | Should -BeGreaterThan 0
            $fedora.Count | Should -BeLessThan $total
            $fedora | ForEach-Object { $_['os_variant'] | Should -Be 'fedora40' }
        }

        It 'drops matching tests with "no"' {
            $noWindows = @(Expand-VirtConfig -Path $ExampleConfig -Filter 'no Windows')
            $noWindows.Count | Should -BeGreaterThan 0
            $noWindows.Count | Should -BeLessThan $total
            $noWindows | Where-Object { $_['os_type'] -eq 'windows' } | Should -BeNullOrEmpty
        }

        It 'treats a bare filter as "only"' {
            $bare = @(Expand-VirtConfig -Path $ExampleConfig -Filter 'qcow2' | ForEach-Object { $_['name'] })
            $only = @(Expand-VirtConfig -Path $ExampleConfig -Filter 'only qcow2' | ForEach-Object { $_['name'] })
            $bare.Count | Should -BeGreaterThan 0
            $bare | Should -Be $only
        }

        It 'applies several filters (AND with .., OR with ,)' {
            $set = @(Expand-VirtConfig -Path $ExampleConfig -Filter 'only Fedora..qcow2, Win11..raw', 'no e1000')
            $set.Count | Should -BeGreaterThan 0
            foreach ($d in $set) {
                $d['nic_model'] | Should -Be 'virtio'
                ($d['os_variant'] -eq 'fedora40' -and $d['image_format'] -eq 'qcow2') -or
                ($d['os_variant'] -eq 'win11' -and $d['image_format'] -eq 'raw') | Should -BeTrue
            }
        }

        It 'matches named variants with (name=value)' {
            $raw = @(Expand-VirtConfig -Path $ExampleConfig -Filter 'only (image_format=raw)')
            $raw.Count | Should -BeGreaterThan 0
            $raw | ForEach-Object { $_['image_format'] | Should -Be 'raw' }
        }
    }

    Context '-Defaults' {
        It 'takes only the default variant of blocks that declare one' {
            $cfg = New-TestConfig 'defaults.cfg' @(
                'variants fmt [default=qcow2]:'
                '    - qcow2:'
                '    - raw:'
                'variants:'
                '    - a:'
                '    - b:'
            )
            @(Expand-VirtConfig -Path $cfg).Count | Should -Be 4
            $defaults = @(Expand-VirtConfig -Path $cfg -Defaults)
            $defaults.Count | Should -Be 2
            $defaults | ForEach-Object { $_['fmt'] | Should -Be 'qcow2' }
        }

        It 'shrinks the example matrix to the default formats and models' {
            $all = @(Expand-VirtConfig -Path $ExampleConfig)
            $defaults = @(Expand-VirtConfig -Path $ExampleConfig -Defaults)
            $defaults.Count | Should -BeGreaterThan 0
            $defaults.Count | Should -BeLessThan $all.Count
            foreach ($d in $defaults) {
                $d['image_format'] | Should -Be 'qcow2'
                $d['disk'] | Should -Be 'virtio_blk'
                $d['nic'] | Should -Be 'virtio_net'
                $d['type'] | Should -Be 'boot'      # - @boot: is the default test
            }
        }
    }

    Context '-Text' {
        It 'expands config text without a file' {
            $text = "mem = 512`nvariants:`n    - small:`n        disk = 1G`n    - large:`n        disk = 9G`n"
            $d = @(Expand-VirtConfig -Text $text)
            $d.Count | Should -Be 2
            @($d | ForEach-Object { $_['disk'] } | Sort-Object) | Should -Be @('1G', '9G')
            $d | ForEach-Object { $_['mem'] | Should -Be '512' }
        }

        It 'parses the text after the files' {
            $d = @(Expand-VirtConfig -Path $ExampleConfig -Filter 'only Fedora' -Text 'mem = 8192')
            $d.Count | Should -BeGreaterThan 0
            $d | ForEach-Object { $_['mem'] | Should -Be '8192' }
        }
    }

    Context 'Paths and the pipeline' {
        BeforeAll {
            $script:pipeDir = Join-Path $TestDrive 'pipe'
            $null = New-Item -ItemType Directory -Path $pipeDir
            Set-Content -LiteralPath (Join-Path $pipeDir '1-os.cfg') -Value @('variants:', '    - linux:', '    - windows:')
            Set-Content -LiteralPath (Join-Path $pipeDir '2-fmt.cfg') -Value @('variants:', '    - qcow2:', '    - raw:', '    - vmdk:')
        }

        It 'parses files from Get-ChildItem as one configuration' {
            $d = @(Get-ChildItem -LiteralPath $pipeDir -Filter '*.cfg' | Expand-VirtConfig)
            $d.Count | Should -Be 6
        }

        It 'accepts path strings from the pipeline' {
            $d = @((Get-ChildItem -LiteralPath $pipeDir -Filter '*.cfg').FullName | Expand-VirtConfig)
            $d.Count | Should -Be 6
        }

        It 'binds a FullName property by name' {
            $d = @([pscustomobject]@{ FullName = (Join-Path $pipeDir '2-fmt.cfg') } | Expand-VirtConfig)
            $d.Count | Should -Be 3
        }

        It 'resolves wildcards and PowerShell drive paths' {
            @(Expand-VirtConfig -Path 'TestDrive:/pipe/*.cfg').Count | Should -Be 6
        }

        It 'resolves paths relative to the current location' {
            Push-Location -LiteralPath $pipeDir
            try { @(Expand-VirtConfig -Path './1-os.cfg').Count | Should -Be 2 }
            finally { Pop-Location }
        }

        It 'reports a missing path as a non-terminating ObjectNotFound error' {
            $missing = Join-Path $TestDrive 'no-such-file.cfg'
            $out = @(Expand-VirtConfig -Path $missing, (Join-Path $pipeDir '1-os.cfg') -ErrorVariable errs -ErrorAction SilentlyContinue)
            $errs.Count | Should -Be 1
            $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            "$($errs[0])" | Should -BeLike "*no-such-file.cfg*"
            $out.Count | Should -Be 2    # the other file was still expanded
        }
    }

    Context 'Errors' {
        It 'stops with a ParserError that names file:line for a bad config' {
            $bad = New-TestConfig 'bad.cfg' @(
                '# a broken config'
                'mem = 1024'
                'this line is not a statement'
            )
            $err = { Expand-VirtConfig -Path $bad } | Should -Throw -PassThru
            $err | Should -BeOfType ([System.Management.Automation.ErrorRecord])
            $err.CategoryInfo.Category | Should -Be 'ParserError'
            $err.FullyQualifiedErrorId | Should -BeLike 'VirtTest.ConfigError.*'
            "$err" | Should -Match 'bad\.cfg:3'
            $err.Exception | Should -BeOfType ([VirtTest.Core.Config.ConfigError])
            $err.Exception.Line | Should -Be 3
            "$($err.TargetObject)" | Should -BeLike '*bad.cfg'
        }

        It 'reports a parse error in -Text with the placeholder file name' {
            $err = { Expand-VirtConfig -Text "mem = 1`nthis is not a statement`n" } | Should -Throw -PassThru
            $err.CategoryInfo.Category | Should -Be 'ParserError'
            "$err" | Should -Match '<text>:2'
        }

        It 'stops with ObjectNotFound for a missing include' {
            $cfg = New-TestConfig 'includer.cfg' @(
                'mem = 1024'
                'include does-not-exist.cfg'
            )
            $err = { Expand-VirtConfig -Path $cfg } | Should -Throw -PassThru
            $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $err.FullyQualifiedErrorId | Should -BeLike 'VirtTest.ConfigError.MissingInclude*'
            "$err" | Should -Match 'includer\.cfg:2'
        }

        It 'follows includes relative to the including file' {
            $dir = Join-Path $TestDrive 'inc'
            $null = New-Item -ItemType Directory -Path $dir
            Set-Content -LiteralPath (Join-Path $dir 'child.cfg') -Value @('variants:', '    - x:', '    - y:')
            Set-Content -LiteralPath (Join-Path $dir 'parent.cfg') -Value @('mem = 64', 'include child.cfg')
            $d = @(Expand-VirtConfig -Path (Join-Path $dir 'parent.cfg'))
            $d.Count | Should -Be 2
        }
    }

    Context 'Reference options, name maps and the parse cache' {
        BeforeAll {
            $script:defaultsCfg = New-TestConfig 'expand-defaults.cfg' @(
                'variants tests:'
                '    - boot:'
                '    - reboot:'
                'variants disk:'
                '    - ide:'
                '    - @virtio:'
                'variants guest:'
                '    - @fedora:'
                '    - debian:'
            )
            $script:suffixCfg = New-TestConfig 'suffix.cfg' @(
                'mem = 1024'
                'variants:'
                '    - vm1:'
                '        suffix _vm1'
                '    - vm2:'
                '        mem = 2048'
                '        suffix _vm2'
            )
        }

        It 'writes only the error for a path that does not exist' {
            $out = @(Expand-VirtConfig -Path (Join-Path $TestDrive 'missing.cfg') -ErrorVariable errs -ErrorAction SilentlyContinue)
            $errs.Count | Should -Be 1
            $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $out.Count | Should -Be 0
        }

        It 'expands the blocks named by -ExpandDefaults in defaults mode' {
            (Expand-VirtConfig $defaultsCfg -Defaults).shortname | Should -Be @('boot', 'reboot')
            (Expand-VirtConfig $defaultsCfg -Defaults -ExpandDefaults disk).shortname | Should -Be @('ide.boot', 'ide.reboot', 'boot', 'reboot')
        }

        It 'keeps suffixed keys with -KeepSuffixedKeys' {
            $folded = @(Expand-VirtConfig $suffixCfg)
            $folded[0]['mem'] | Should -Be '1024'
            $folded[0].ContainsKey('mem_vm1') | Should -BeFalse
            $kept = @(Expand-VirtConfig $suffixCfg -KeepSuffixedKeys)
            $kept[0]['mem_vm1'] | Should -Be '1024'
            $kept[0].ContainsKey('mem') | Should -BeFalse
        }

        It 'treats a -Filter "del key" as a del statement' {
            $d = @(Expand-VirtConfig $suffixCfg -Filter 'vm2', 'del mem_vm2')
            $d.Count | Should -Be 1
            $d[0].ContainsKey('mem') | Should -BeFalse
        }

        It 'gives every dict the per-file name maps' {
            $d = @(Expand-VirtConfig $defaultsCfg)[0]
            $d['_name_map_file'] | Should -Be "{'expand-defaults.cfg': '(guest=fedora).(disk=ide).(tests=boot)'}"
            $d.ShortNameMapFile['expand-defaults.cfg'] | Should -Be 'fedora.ide.boot'
            ($d | ConvertTo-Json | ConvertFrom-Json)._short_name_map_file | Should -Be "{'expand-defaults.cfg': 'fedora.ide.boot'}"
        }

        It 'reuses the parsed tree from the cache and parses again after a change' {
            $cfg = New-TestConfig 'cached.cfg' @('a = 1', 'variants:', '    - x:', '    - y:')
            $first = Expand-VirtConfig $cfg -Verbose 4>&1
            ($first | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Not -Match 'from the parse cache'
            @(Get-ChildItem -LiteralPath $CacheDir -Filter *.tree).Count | Should -BeGreaterThan 0
            $second = Expand-VirtConfig $cfg -Verbose 4>&1
            ($second | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Match 'from the parse cache'
            @($second | Where-Object { $_ -is [VirtTest.Core.Config.VirtParams] }).Count | Should -Be 2
            Add-Content -LiteralPath $cfg -Value '    - z:'
            $third = Expand-VirtConfig $cfg -Verbose 4>&1
            ($third | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Not -Match 'from the parse cache'
            @($third | Where-Object { $_ -is [VirtTest.Core.Config.VirtParams] }).Count | Should -Be 3
        }

        It 'neither reads nor writes the cache with -NoCache' {
            $cfg = New-TestConfig 'nocache.cfg' @('only_here = 1')
            $before = @(Get-ChildItem -LiteralPath $CacheDir -Filter *.tree -ErrorAction Ignore).Count
            $out = Expand-VirtConfig $cfg -NoCache -Verbose 4>&1
            ($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Not -Match 'from the parse cache'
            @(Get-ChildItem -LiteralPath $CacheDir -Filter *.tree -ErrorAction Ignore).Count | Should -Be $before
        }
    }

    Context 'Tab completion of -Filter' {
        It 'offers variant names from the -Path files' {
            $line = "Expand-VirtConfig -Path '$ExampleConfig' -Filter Fed"
            $result = TabExpansion2 -inputScript $line -cursorColumn $line.Length
            $result.CompletionMatches.CompletionText | Should -Contain 'Fedora'
            $result.CompletionMatches.CompletionText | Should -Not -Contain 'Windows'
        }

        It 'offers all variant names for an empty word' {
            $line = "Expand-VirtConfig -Path '$ExampleConfig' -Filter "
            $result = TabExpansion2 -inputScript $line -cursorColumn $line.Length
            $texts = $result.CompletionMatches.CompletionText
            foreach ($name in 'Linux', 'Windows', 'qcow2', 'virtio_blk', 'migrate') { $texts | Should -Contain $name }
        }

        It 'completes the last segment of a filter expression' {
            $line = "Expand-VirtConfig -Path '$ExampleConfig' -Filter 'only Fedora..qc"
            $result = TabExpansion2 -inputScript $line -cursorColumn $line.Length
            $result.CompletionMatches.CompletionText | Should -Contain "'only Fedora..qcow2'"
        }

        It 'completes and closes a (name=value) filter' {
            $line = "Expand-VirtConfig -Path '$ExampleConfig' -Filter 'no (guest_os=Li"
            $result = TabExpansion2 -inputScript $line -cursorColumn $line.Length
            $result.CompletionMatches.CompletionText | Should -Contain "'no (guest_os=Linux)'"
        }

        It 'offers nothing (and does not throw) for a broken or missing config' {
            $bad = New-TestConfig 'broken-for-completion.cfg' @('variants:', '    not a variant')
            foreach ($path in $bad, (Join-Path $TestDrive 'missing.cfg')) {
                $line = "Expand-VirtConfig -Path '$path' -Filter a"
                { TabExpansion2 -inputScript $line -cursorColumn $line.Length } | Should -Not -Throw
            }
        }
    }
}
