# Meta tests: conventions every VirtTest cmdlet must follow, and the module manifest.
# Run through build.ps1 -Task Test, which sets VIRTTEST_MODULE_PATH (fallback ./out/VirtTest).

BeforeDiscovery {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $commands = @(Get-Command -Module VirtTest | Sort-Object Name | ForEach-Object {
            @{ Name = $_.Name; Verb = $_.Verb; Noun = $_.Noun }
        })
    # Every help example, with the cmdlet it belongs to.
    $examples = @(foreach ($c in $commands) {
            $i = 0
            foreach ($ex in @((Get-Help -Name $c.Name).examples.example)) {
                $i++
                @{ Name = $c.Name; Index = $i; Code = [string]$ex.code }
            }
        })
    # Examples that create or use a VM boot a guest (seconds each): they run under the
    # 'Guest' tag, so -ExcludeTag Guest leaves them out. Recognised by their code: the
    # VirtVm noun family, -TestGuest, or any cmdlet that needs a VM.
    $vmCmdletNames = @(Get-Command -Module VirtTest -CommandType Cmdlet | Where-Object {
            $_.Noun -like 'VirtVm*' -or $_.Noun -in 'VirtPciInfo', 'VirtPciDevice', 'VirtMonitor', 'VirtScreenshot', 'VirtCapability'
        } | ForEach-Object Name)
    $usesVm = {
        param([string] $Code)
        # examples/run/run.cfg is the example test run, which boots the test guest.
        if ($Code -match 'VirtVm|-TestGuest|examples/run/') { return $true }
        foreach ($n in $vmCmdletNames) { if ($Code -match [regex]::Escape($n)) { return $true } }
        return $false
    }
    # Examples that build test networks need root (network namespaces): tag Network.
    $usesNetwork = { param([string] $Code) $Code -match 'VirtTestNetwork' }
    $guestExamples = @($examples | Where-Object { & $usesVm $_.Code })
    $networkExamples = @($examples | Where-Object { -not (& $usesVm $_.Code) -and (& $usesNetwork $_.Code) })
    $plainExamples = @($examples | Where-Object { -not (& $usesVm $_.Code) -and -not (& $usesNetwork $_.Code) })
}

BeforeAll {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $script:Module = Get-Module VirtTest
    $script:Manifest = Import-PowerShellDataFile -LiteralPath (Join-Path $Module.ModuleBase 'VirtTest.psd1')
    $script:RepoRoot = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '..')).ProviderPath
    $script:ApprovedVerbs = @(Get-Verb | ForEach-Object Verb)
    # Verbs that change state and so need SupportsShouldProcess (-WhatIf/-Confirm).
    # Invoke is exempt.
    $script:StateChangingVerbs = @('New', 'Set', 'Remove', 'Add', 'Clear', 'Start', 'Stop', 'Restart',
        'Suspend', 'Resume', 'Move', 'Copy', 'Rename', 'Reset', 'Send')
    # Nouns that may end in 's' although singular. Keep it empty unless really needed.
    # VirtVmAddress: 'Address' is singular (the issue names the cmdlet Get-VirtVmAddress).
    $script:PluralNounAllowList = @('VirtVmAddress')
}

Describe 'Module manifest' {
    It 'loads as VirtTest 0.1.0 from a root module that loads the binary cmdlets' {
        $Module.Name | Should -Be 'VirtTest'
        $Module.Version | Should -Be ([version]'0.1.0')
        $Manifest.RootModule | Should -Be 'VirtTest.psm1'
        $assembly = (Get-Command Expand-VirtConfig).ImplementingType.Assembly
        $assembly.GetName().Name | Should -Be 'VirtTest.PowerShell'
        [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($assembly).Name | Should -Be 'VirtTest'
        $Manifest.PowerShellVersion | Should -Be '7.4'
        $Manifest.CompatiblePSEditions | Should -Be @('Core')
        $Manifest.FormatsToProcess | Should -Be 'VirtTest.Format.ps1xml'
    }

    It 'exports no functions, aliases or variables' {
        @($Manifest.FunctionsToExport).Count | Should -Be 0
        @($Manifest.AliasesToExport).Count | Should -Be 0
        @($Manifest.VariablesToExport).Count | Should -Be 0
    }

    It 'lists every cmdlet of the DLL in CmdletsToExport, and nothing else' {
        $assembly = [VirtTest.PowerShell.Cmdlets.ExpandVirtConfigCommand].Assembly
        $inDll = @($assembly.GetExportedTypes() |
                Where-Object { -not $_.IsAbstract -and [System.Management.Automation.Cmdlet].IsAssignableFrom($_) } |
                ForEach-Object {
                    $attr = [System.Attribute]::GetCustomAttribute($_, [System.Management.Automation.CmdletAttribute])
                    "$($attr.VerbName)-$($attr.NounName)"
                } | Sort-Object)
        $listed = @($Manifest.CmdletsToExport | Sort-Object)
        $inDll.Count | Should -BeGreaterThan 0
        $listed | Should -Not -Contain '*'
        Compare-Object -ReferenceObject $inDll -DifferenceObject $listed | Should -BeNullOrEmpty
        @(Get-Command -Module VirtTest -CommandType Cmdlet | ForEach-Object Name | Sort-Object) | Should -Be $listed
    }

    It 'has the assembly version of the manifest' {
        $assembly = [VirtTest.PowerShell.Cmdlets.ExpandVirtConfigCommand].Assembly
        $assembly.GetName().Version.ToString(3) | Should -Be $Manifest.ModuleVersion
    }

    It 'ships the module files, and not System.Management.Automation.dll' {
        foreach ($file in 'VirtTest.psd1', 'VirtTest.psm1', 'VirtTest.Loader.dll', 'lib/VirtTest.PowerShell.dll', 'lib/VirtTest.Core.dll',
            'lib/YamlDotNet.dll', 'lib/Renci.SshNet.dll', 'VirtTest.Format.ps1xml', 'en-US/VirtTest.PowerShell.dll-Help.xml',
            'en-US/about_VirtTest.help.txt', 'en-US/about_VirtTest_CartesianConfig.help.txt') {
            Join-Path $Module.ModuleBase $file | Should -Exist
        }
        Join-Path $Module.ModuleBase 'System.Management.Automation.dll' | Should -Not -Exist
        Join-Path $Module.ModuleBase 'lib/System.Management.Automation.dll' | Should -Not -Exist
        # Nothing but the loader beside the manifest: every other assembly loads in the private context.
        @(Get-ChildItem -LiteralPath $Module.ModuleBase -Filter *.dll).Name | Should -Be @('VirtTest.Loader.dll')
    }

    It 'has about topics' {
        foreach ($topic in 'about_VirtTest', 'about_VirtTest_CartesianConfig') {
            $help = Get-Help -Name $topic
            ($help | Out-String) | Should -Match 'SHORT DESCRIPTION'
        }
    }
}

Describe 'Cmdlet <Name>' -ForEach $commands {
    BeforeAll {
        $script:cmd = Get-Command -Name $Name -Module VirtTest
        $script:help = Get-Help -Name $Name -Full
    }

    It 'uses an approved verb' {
        $ApprovedVerbs | Should -Contain $Verb
    }

    It 'has a noun that starts with Virt' {
        $Noun | Should -BeLikeExactly 'Virt*'
    }

    It 'has a singular noun' {
        if ($PluralNounAllowList -notcontains $Noun) {
            $Noun | Should -Not -Match 's$'
        }
    }

    It 'supports ShouldProcess if its verb changes state' {
        if ($StateChangingVerbs -contains $Verb) {
            $attr = [System.Attribute]::GetCustomAttribute($cmd.ImplementingType, [System.Management.Automation.CmdletAttribute])
            $attr.SupportsShouldProcess | Should -BeTrue
            $cmd.Parameters.Keys | Should -Contain 'WhatIf'
        }
    }

    It 'declares at least one OutputType' {
        @($cmd.OutputType).Count | Should -BeGreaterThan 0
    }

    It 'derives from VirtCmdlet' {
        $cmd.ImplementingType.IsSubclassOf([VirtTest.PowerShell.VirtCmdlet]) | Should -BeTrue
    }

    It 'has a written synopsis (not the generated syntax)' {
        $synopsis = "$($help.Synopsis)".Trim()
        $synopsis | Should -Not -BeNullOrEmpty
        $synopsis | Should -Not -BeLike "$Name*"
        $synopsis | Should -Not -Match '\[-\w+'
    }

    It 'has a description and describes every parameter' {
        ($help.description | Out-String).Trim() | Should -Not -BeNullOrEmpty
        foreach ($p in @($help.parameters.parameter)) {
            ($p.description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "parameter -$($p.name)"
        }
    }

    It 'has at least one example' {
        @($help.examples.example).Count | Should -BeGreaterThan 0
    }
}

Describe 'Help example <Index> of <Name>' -ForEach $plainExamples {
    It 'runs without error from the repository root' {
        Push-Location -LiteralPath $RepoRoot
        try {
            $ErrorActionPreference = 'Stop'
            $null = & ([scriptblock]::Create($Code)) | Out-String
        }
        finally {
            Pop-Location
        }
    }
}

Describe 'Help example <Index> of <Name> (network)' -Tag 'Network' -ForEach $networkExamples {
    It 'runs without error from the repository root and removes every network it created' {
        Push-Location -LiteralPath $RepoRoot
        try {
            $ErrorActionPreference = 'Stop'
            $null = & ([scriptblock]::Create($Code)) | Out-String
        }
        finally {
            Pop-Location
        }
        $left = @(Get-VirtTestNetwork)
        $left.Count | Should -Be 0 -Because "a help example must remove every test network it creates (left: $(($left | ForEach-Object Name) -join ', '))"
    }

    AfterEach {
        Get-VirtTestNetwork | Remove-VirtTestNetwork -Confirm:$false
    }
}

Describe 'Help example <Index> of <Name> (VM)' -Tag 'Guest' -ForEach $guestExamples {
    BeforeAll {
        # VMs live in a process-wide registry. A VM left over by an earlier test is not this
        # example's fault: remove it (loudly) so that the check below blames the right test.
        $leftover = @(Get-VirtVm)
        if ($leftover.Count) {
            Write-Warning "Removing VMs left over before this example: $(($leftover | ForEach-Object Name) -join ', ')"
            $leftover | Remove-VirtVm -Confirm:$false
        }
    }

    It 'runs without error from the repository root and removes every VM it created' {
        Push-Location -LiteralPath $RepoRoot
        try {
            $ErrorActionPreference = 'Stop'
            $null = & ([scriptblock]::Create($Code)) | Out-String
        }
        finally {
            Pop-Location
        }
        # Checked before the safety net below removes them.
        $left = @(Get-VirtVm)
        $left.Count | Should -Be 0 -Because "a help example must remove every VM it creates (left: $(($left | ForEach-Object Name) -join ', '))"
    }

    AfterEach {
        # Safety net: whatever the example did (or failed to do), no VM survives it.
        Get-VirtVm | Remove-VirtVm -Confirm:$false
    }
}
