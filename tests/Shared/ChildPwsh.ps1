# Shared by Pester files (dot-sourced in BeforeAll): runs a script in a fresh pwsh process (the
# repository's PowerShell tool, 'dotnet pwsh'), as a user's new session would be. The child gets
# only the environment variables given (plus PATH, HOME, TMPDIR, XDG_CACHE_HOME and what dotnet
# needs): no VIRTTEST_* variable of the test run leaks into it. XDG_CACHE_HOME is a user's own
# setting, and the test run points it at a folder of its own, so that a child's parse cache
# entries do not land in the user's ~/.cache. Returns the exit code and the output lines.
function Invoke-ChildPwsh {
    param(
        [Parameter(Mandatory)] [string] $Script,
        [hashtable] $Environment = @{},
        [string] $WorkingDirectory = (Join-Path $PSScriptRoot '../..'),
        [int] $TimeoutSec = 300
    )
    $file = Join-Path ([IO.Path]::GetTempPath()) ("virttest-child-$([guid]::NewGuid().ToString('N')).ps1")
    Set-Content -LiteralPath $file -Value $Script -Encoding utf8NoBOM
    try {
        $psi = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
        foreach ($a in 'pwsh', '-NoLogo', '-NoProfile', '-NonInteractive', '-File', $file) { $psi.ArgumentList.Add($a) }
        $psi.WorkingDirectory = (Resolve-Path -LiteralPath $WorkingDirectory).Path
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $psi.UseShellExecute = $false
        $psi.Environment.Clear()
        foreach ($name in 'PATH', 'HOME', 'TMPDIR', 'XDG_CACHE_HOME', 'DOTNET_ROOT', 'NUGET_PACKAGES', 'DOTNET_CLI_HOME', 'LANG') {
            $value = [Environment]::GetEnvironmentVariable($name)
            if ($value) { $psi.Environment[$name] = $value }
        }
        foreach ($name in $Environment.Keys) { $psi.Environment[$name] = [string]$Environment[$name] }
        $process = [System.Diagnostics.Process]::Start($psi)
        $stderr = $process.StandardError.ReadToEndAsync()
        $stdout = $process.StandardOutput.ReadToEndAsync()
        if (-not $process.WaitForExit($TimeoutSec * 1000)) {
            $process.Kill($true)
            throw "The child pwsh did not finish within $TimeoutSec s."
        }
        [pscustomobject]@{
            ExitCode = $process.ExitCode
            Output   = @($stdout.Result -split "`r?`n" | Where-Object { $_ })
            Error    = $stderr.Result
        }
    }
    finally {
        Remove-Item -LiteralPath $file -Force -ErrorAction Ignore
    }
}
