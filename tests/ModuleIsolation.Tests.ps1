# Pester tests of how VirtTest loads: its dependencies (SSH.NET, BouncyCastle, YamlDotNet, the
# Microsoft.Extensions abstractions) live in a private assembly load context, so a session where
# another module loaded other versions of them first still gets working SSH sessions and YAML.
# The conflicting versions come from NuGet (restored here, like build.ps1 restores Pester). Each
# case runs in a fresh child pwsh, as a user's session would. Boots the test guest (tag Guest).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Shared/ChildPwsh.ps1')
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    $script:Manifest = (Resolve-Path -LiteralPath (Join-Path $modulePath 'VirtTest.psd1')).Path
    $script:Guest = if ($env:VIRTTEST_TEST_GUEST) { $env:VIRTTEST_TEST_GUEST } else { Join-Path $PSScriptRoot '../.build/guest' }

    # Older or newer versions than VirtTest's own: each breaks VirtTest if it binds to it.
    $conflicts = [ordered]@{
        'SSH.NET'                                   = @('2026.0.1', 'lib/net8.0/Renci.SshNet.dll')
        'Microsoft.Extensions.Logging.Abstractions' = @('6.0.0', 'lib/net6.0/Microsoft.Extensions.Logging.Abstractions.dll')
        'YamlDotNet'                                = @('11.2.1', 'lib/netstandard2.1/YamlDotNet.dll')
    }
    $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
    $script:ConflictDlls = @(foreach ($id in $conflicts.Keys) { Join-Path $packages "$($id.ToLowerInvariant())/$($conflicts[$id][0])/$($conflicts[$id][1])" })
    if (@($ConflictDlls | Where-Object { -not (Test-Path -LiteralPath $_) }).Count) {
        $dir = Join-Path ([IO.Path]::GetTempPath()) "virttest-conflicts-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $null = New-Item -ItemType Directory -Path $dir
        try {
            $downloads = ($conflicts.Keys | ForEach-Object { "<PackageDownload Include=`"$_`" Version=`"[$($conflicts[$_][0])]`" />" }) -join "`n"
            Set-Content -LiteralPath (Join-Path $dir 'Conflicts.csproj') -Value @"
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup>$downloads</ItemGroup>
</Project>
"@
            & dotnet restore (Join-Path $dir 'Conflicts.csproj') --nologo | Out-Null
            if ($LASTEXITCODE -ne 0) { throw "dotnet restore of the conflicting packages failed ($LASTEXITCODE)" }
        }
        finally { Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction Ignore }
    }
}

Describe 'Dependencies in a private load context' -Tag Guest {
    It 'imports, opens an SSH session and writes YAML after other versions of its dependencies were loaded' {
        $child = Invoke-ChildPwsh -Environment @{ VIRTTEST_TEST_GUEST = $Guest } -Script @"
`$ErrorActionPreference = 'Stop'
`$ProgressPreference = 'SilentlyContinue'
foreach (`$dll in '$($ConflictDlls -join "','")') { Add-Type -Path `$dll }
Import-Module '$Manifest'
`$vm = New-VirtVm -TestGuest -Name iso1
try {
    Start-VirtVm `$vm -Wait
    `$ssh = Connect-VirtSession -Vm `$vm -Transport Ssh -TimeoutSec 60
    'ssh:' + (Invoke-VirtSessionCommand `$ssh 'echo isolated-ok').Output.Trim()
    Disconnect-VirtSession `$ssh
    'yaml:' + ((Expand-VirtConfig -Text 'answer = 42' | ConvertTo-VirtYaml) -match 'answer: "42"')
}
finally { Remove-VirtVm `$vm }
foreach (`$a in [AppDomain]::CurrentDomain.GetAssemblies()) {
    `$n = `$a.GetName()
    if (`$n.Name -in 'Renci.SshNet', 'YamlDotNet', 'Microsoft.Extensions.Logging.Abstractions') {
        'loaded:' + `$n.Name + ':' + `$n.Version + ':' + [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$a).Name
    }
}
"@
        $child.Error | Should -BeNullOrEmpty
        $child.ExitCode | Should -Be 0
        $child.Output | Should -Contain 'ssh:isolated-ok'
        $child.Output | Should -Contain 'yaml:True'
        # Both versions are in the process: the other module's in the default context, VirtTest's in its own.
        $loaded = @($child.Output | Where-Object { $_ -like 'loaded:*' })
        $loaded | Where-Object { $_ -like 'loaded:Microsoft.Extensions.Logging.Abstractions:6.0.0.0:Default' } | Should -Not -BeNullOrEmpty
        $loaded | Where-Object { $_ -like 'loaded:Microsoft.Extensions.Logging.Abstractions:8.*:VirtTest' } | Should -Not -BeNullOrEmpty
        $loaded | Where-Object { $_ -like 'loaded:YamlDotNet:11.*:Default' } | Should -Not -BeNullOrEmpty
        $loaded | Where-Object { $_ -like 'loaded:YamlDotNet:18.*:VirtTest' } | Should -Not -BeNullOrEmpty
        $loaded | Where-Object { $_ -like 'loaded:Renci.SshNet:*:VirtTest' } | Should -Not -BeNullOrEmpty
    }

    It 'keeps only the loader in the default load context' {
        $child = Invoke-ChildPwsh -Script @"
Import-Module '$Manifest'
`$null = Expand-VirtConfig -Text 'a = 1'
foreach (`$a in [AppDomain]::CurrentDomain.GetAssemblies()) {
    if (`$a.GetName().Name -like 'VirtTest*') { `$a.GetName().Name + ':' + [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$a).Name }
}
"@
        $child.ExitCode | Should -Be 0
        $child.Output | Should -Contain 'VirtTest.Loader:Default'
        $child.Output | Should -Contain 'VirtTest.PowerShell:VirtTest'
        $child.Output | Should -Contain 'VirtTest.Core:VirtTest'
    }
}
