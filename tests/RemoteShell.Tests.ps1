# Pester tests for Windows guests' ways in: the remote shell agent's file transfer
# (Copy-VirtGuestItem -Address -Protocol Rss, against the protocol test server: no Windows
# guest runs here), its shell port with Wine's real cmd.exe (tag Wine), and a VM whose params
# say shell_client = nc (tag Guest: the test guest serves a shell on a TCP port with busybox nc).
# The test peers come from tests/VirtTest.TestServers (built with the solution); each runs
# as a child process that ends when its standard input closes.
# Run through build.ps1 -Task Test, which sets VIRTTEST_MODULE_PATH (fallback ./out/VirtTest).

BeforeAll {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $ProgressPreference = 'SilentlyContinue'

    # Starts a test peer (rss-files or cmd-shell); returns the process with a Port note.
    function Start-TestPeer([string[]] $Arguments, [int] $WaitSec = 30) {
        $dll = @('Release', 'Debug') | ForEach-Object { Join-Path $PSScriptRoot "VirtTest.TestServers/bin/$_/net8.0/VirtTest.TestServers.dll" } |
            Where-Object { Test-Path -LiteralPath $_ } | Select-Object -First 1
        if (-not $dll) { throw 'tests/VirtTest.TestServers is not built: run build.ps1 -Task Build.' }
        $psi = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
        $psi.ArgumentList.Add($dll)
        foreach ($a in $Arguments) { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardInput = $true
        $psi.RedirectStandardOutput = $true
        $psi.UseShellExecute = $false
        $p = [System.Diagnostics.Process]::Start($psi)
        $line = $p.StandardOutput.ReadLineAsync()
        if (-not $line.Wait([TimeSpan]::FromSeconds($WaitSec)) -or $line.Result -notmatch '^port=(\d+)$') {
            Stop-TestPeer $p
            throw "The test peer '$($Arguments -join ' ')' did not start (first line: $($line.Result))."
        }
        $p | Add-Member -NotePropertyName Port -NotePropertyValue ([int]$Matches[1]) -PassThru
    }

    # Ends a test peer: closing its input makes it clean up (Wine: wineserver -k, prefix removed).
    function Stop-TestPeer($Process) {
        if ($null -eq $Process) { return }
        try { $Process.StandardInput.Close() } catch { }
        if (-not $Process.WaitForExit(60000)) { $Process.Kill($true) }
        $Process.Dispose()
    }

    function Get-FreePort {
        $l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $l.Start(); $port = $l.LocalEndpoint.Port; $l.Stop(); $port
    }

    function New-RandomFile([string] $Path, [long] $Length) {
        $null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent $Path)
        $bytes = [byte[]]::new($Length)
        [System.Security.Cryptography.RandomNumberGenerator]::Fill($bytes)
        [System.IO.File]::WriteAllBytes($Path, $bytes)
        Get-Item -LiteralPath $Path
    }

    function Get-TreeHash([string] $Root) {
        $rootFull = (Resolve-Path -LiteralPath $Root).ProviderPath.TrimEnd('/') + '/'
        @(Get-ChildItem -LiteralPath $Root -Recurse -Force | ForEach-Object {
                $rel = $_.FullName.Substring($rootFull.Length)
                if ($_.PSIsContainer) { "d $rel" } else { 'f {0} {1}' -f $rel, (Get-FileHash -LiteralPath $_.FullName -Algorithm SHA256).Hash }
            } | Sort-Object)
    }
}

Describe 'Copy-VirtGuestItem -Address -Protocol Rss, against the protocol test server' {
    BeforeAll {
        $script:drive = Join-Path $TestDrive 'c'
        $script:work = Join-Path $TestDrive 'host'
        $null = New-Item -ItemType Directory -Path $drive, $work
        $script:peer = Start-TestPeer @('rss-files', '--root', $drive)
    }
    AfterAll {
        Stop-TestPeer $peer
    }

    It 'uploads a file into an existing guest folder and downloads it back, both checked' {
        $file = New-RandomFile (Join-Path $work 'one.bin') (1MB + 17)
        $up = Copy-VirtGuestItem -Address 127.0.0.1 -Port $peer.Port -Protocol Rss -Path $file.FullName -Destination 'C:\' -ToGuest
        $up | Should -BeOfType ([VirtTest.Core.Transfer.TransferResult])
        $up.Direction | Should -Be 'Upload'
        $up.Files | Should -Be 1
        $up.Bytes | Should -Be $file.Length
        $up.Verified | Should -BeTrue
        (Get-FileHash (Join-Path $drive 'one.bin')).Hash | Should -Be (Get-FileHash $file.FullName).Hash

        $back = Join-Path $work 'back/one-again.bin'
        $down = Copy-VirtGuestItem -Address 127.0.0.1 -Port $peer.Port -Path 'C:\one.bin' -Destination $back -FromGuest
        $down.Direction | Should -Be 'Download'
        $down.Destination | Should -Be $back
        $down.Verified | Should -BeTrue
        (Get-FileHash $back).Hash | Should -Be (Get-FileHash $file.FullName).Hash
        @(Get-ChildItem -LiteralPath $work -Recurse -Filter '*.virttest-part').Count | Should -Be 0
    }

    It 'copies a folder tree with empty folders, and wildcard patterns, both ways' {
        $tree = Join-Path $work 'tree'
        $null = New-RandomFile (Join-Path $tree 'a.log') 100
        $null = New-RandomFile (Join-Path $tree 'sub/b.log') 70000
        $null = New-Item -ItemType Directory -Path (Join-Path $tree 'empty/deeper')
        Copy-VirtGuestItem -Address 127.0.0.1 -Port $peer.Port -Path $tree -Destination 'C:\' -ToGuest -Recurse | Out-Null
        Get-TreeHash (Join-Path $drive 'tree') | Should -Be (Get-TreeHash $tree)

        $down = Copy-VirtGuestItem -Address 127.0.0.1 -Port $peer.Port -Path 'C:\tree' -Destination (Join-Path $work 'tree-back') -FromGuest -Recurse
        $down.Files | Should -Be 2
        Get-TreeHash (Join-Path $work 'tree-back') | Should -Be (Get-TreeHash $tree)

        $logs = Copy-VirtGuestItem -Address 127.0.0.1 -Port $peer.Port -Path 'C:\tree\*.log' -Destination (Join-Path $work 'logs') -FromGuest
        $logs.Files | Should -Be 1
        @(Get-ChildItem -LiteralPath (Join-Path $work 'logs') | ForEach-Object Name) | Should -Be @('a.log')
    }

    It 'reports the agent''s refusal with its own message and leaves nothing behind' {
        $file = New-RandomFile (Join-Path $work 'x.bin') 10
        Copy-VirtGuestItem -Address 127.0.0.1 -Port $peer.Port -Path $file.FullName -Destination 'C:\missing\x.bin' -ToGuest -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.RssServer,*'
        "$($errs[0])" | Should -Match 'cannot find the path'

        Copy-VirtGuestItem -Address 127.0.0.1 -Port $peer.Port -Path 'C:\tree\*.none' -Destination (Join-Path $work 'none') -FromGuest -ErrorVariable errs2 -ErrorAction SilentlyContinue
        $errs2.Count | Should -Be 1
        $errs2[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.Transfer,*'
        "$($errs2[0])" | Should -Match 'matches nothing'
        Test-Path -LiteralPath (Join-Path $work 'none') | Should -BeFalse
    }

    It 'says why when nothing listens, and asks for an SSH session for SFTP' {
        $closed = Get-FreePort
        Copy-VirtGuestItem -Address 127.0.0.1 -Port $closed -Path 'C:\x' -Destination (Join-Path $work 'y') -FromGuest -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.RssConnection,*'
        $errs[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        "$($errs[0])" | Should -Match 'refused'

        Copy-VirtGuestItem -Address 127.0.0.1 -Port 22 -Protocol Sftp -Path 'x' -Destination (Join-Path $work 'y') -FromGuest -ErrorVariable errs2 -ErrorAction SilentlyContinue
        "$($errs2[0])" | Should -Match 'Connect-VirtSession -Address'
    }

    It 'does nothing with -WhatIf' {
        $before = (Get-ChildItem -LiteralPath $drive -Recurse).Count
        Copy-VirtGuestItem -Address 127.0.0.1 -Port $peer.Port -Path (Join-Path $work 'one.bin') -Destination 'C:\whatif.bin' -ToGuest -WhatIf
        Test-Path -LiteralPath (Join-Path $drive 'whatif.bin') | Should -BeFalse
        (Get-ChildItem -LiteralPath $drive -Recurse).Count | Should -Be $before
    }
}

Describe 'Remote shell sessions to Wine''s cmd.exe behind the agent''s shell port' -Tag 'Wine' {
    BeforeAll {
        $script:port = Get-FreePort
        $script:cmd = $null
    }

    It 'waits for the agent, then runs cmd commands with output and exit codes' {
        # The relay creates its Wine prefix (about 10 s) before it listens on the port given:
        # Wait-VirtLogin keeps trying meanwhile, as it does while a Windows guest boots.
        $dll = @('Release', 'Debug') | ForEach-Object { Join-Path $PSScriptRoot "VirtTest.TestServers/bin/$_/net8.0/VirtTest.TestServers.dll" } |
            Where-Object { Test-Path -LiteralPath $_ } | Select-Object -First 1
        $psi = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
        foreach ($a in @($dll, 'cmd-shell', '--port', "$port")) { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardInput = $true
        $psi.RedirectStandardOutput = $true
        $psi.UseShellExecute = $false
        $script:relayProcess = [System.Diagnostics.Process]::Start($psi)
        $script:cmd = Wait-VirtLogin -Address 127.0.0.1 -Port $port -Transport Rss -TimeoutSec 180
        $cmd | Should -BeOfType ([VirtTest.Core.Session.RemoteShellSession])
        $cmd.Transport | Should -Be 'Rss'
        $cmd.Dialect.Name | Should -Be 'cmd'

        (Invoke-VirtSessionCommand $cmd 'echo hello from cmd').Output | Should -Be "hello from cmd`n"
        $r = Invoke-VirtSessionCommand $cmd 'cmd /c exit 3' -IgnoreExitCode
        $r.ExitCode | Should -Be 3
        Invoke-VirtSessionCommand $cmd 'cmd /c exit 4' -ErrorVariable errs -ErrorAction SilentlyContinue | Out-Null
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.ShellCommand,*'
        (Invoke-VirtSessionCommand $cmd 'no-such-program.exe' -IgnoreExitCode).ExitCode | Should -Be 9009
    }

    It 'interrupts a command past its deadline and stays usable' {
        Invoke-VirtSessionCommand $cmd 'ping -n 60 127.0.0.1' -TimeoutSec 3 -ErrorVariable errs -ErrorAction SilentlyContinue | Out-Null
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.SessionTimeout,*'
        (Invoke-VirtSessionCommand $cmd 'echo back').Output | Should -Be "back`n"
    }

    It 'sends lines the cmd way and waits for output' {
        Send-VirtSessionInput $cmd 'echo typed-%COMPUTERNAME%-line'
        $m = Wait-VirtSessionOutput $cmd 'typed-(\S+)-line' -TimeoutSec 30
        $m | Should -Not -BeNullOrEmpty
        (Invoke-VirtSessionCommand $cmd 'cd').Output | Should -Be "C:\`n"
    }

    AfterAll {
        if ($cmd) { Disconnect-VirtSession $cmd }
        Stop-TestPeer $relayProcess
    }
}

Describe 'A VM whose params say shell_client = nc' -Tag 'Guest' {
    BeforeAll {
        # No Windows guest runs here: the test guest serves a shell on guest port 10022 with
        # busybox nc (setsid: no controlling terminal, so 'sh -i' does not stop for it).
        $script:vm = New-VirtVm -TestGuest -Name rss-vm -Property @{
            shell_client = 'nc'; shell_port = 10022; redirs = 'remote_shell tcp_shell'; guest_port_tcp_shell = 10022
        }
        $vm | Start-VirtVm -Wait
        $script:serial = Connect-VirtSession -Vm $vm -Transport Serial -TimeoutSec 30
        $null = Invoke-VirtSessionCommand $serial "(sleep 2; setsid nc -ll -p 10022 -e /bin/sh -c 'exec /bin/sh -i 2>&1') >/dev/null 2>&1 &"
    }
    AfterAll {
        Get-VirtVm -Name rss-vm -ErrorAction SilentlyContinue | Remove-VirtVm
    }

    It 'logs in over the TCP shell once it answers, with the posix dialect' {
        $shell = Wait-VirtLogin -Vm $vm -TimeoutSec 60
        $shell | Should -BeOfType ([VirtTest.Core.Session.RemoteShellSession])
        $shell.VmName | Should -Be 'rss-vm'
        $shell.Dialect.Name | Should -Be 'posix'
        (Invoke-VirtSessionCommand $shell 'echo $((6 * 7))').Output | Should -Be "42`n"
        (Invoke-VirtSessionCommand $shell 'false' -IgnoreExitCode).ExitCode | Should -Be 1
        # No terminal behind nc: Ctrl+C is a plain byte, so the session is usable again once the
        # command ends (kept short: the wait is the sleep's rest).
        Invoke-VirtSessionCommand $shell 'sleep 6' -TimeoutSec 2 -ErrorVariable errs -ErrorAction SilentlyContinue | Out-Null
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.SessionTimeout,*'
        (Invoke-VirtSessionCommand $shell 'echo alive').Output | Should -Be "alive`n"
        Disconnect-VirtSession $shell
    }

    It 'copies by the params: scp is SFTP with the SSH login, rss needs a route to file_transfer_port' {
        $file = New-RandomFile (Join-Path $TestDrive 'vm.bin') 4096
        $vm.Params['file_transfer_client'] = 'scp'
        $vm.Params['shell_port'] = '22'
        try {
            $r = Copy-VirtGuestItem -Vm $vm -Path $file.FullName -Destination /root/vm.bin -ToGuest
            $r.Verified | Should -BeTrue
            (Invoke-VirtSessionCommand $serial 'wc -c < /root/vm.bin').Output.Trim() | Should -Be '4096'

            $vm.Params['file_transfer_client'] = 'rss'
            Copy-VirtGuestItem -Vm $vm -Path $file.FullName -Destination 'C:\' -ToGuest -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 1
            "$($errs[0])" | Should -Match 'guest port 10023'
            "$($errs[0])" | Should -Match 'guest_port_file_transfer'
        }
        finally {
            $vm.Params['shell_port'] = '10022'
        }
    }
}
