# Pester tests for shell sessions in use: Invoke-VirtSessionCommand (output, exit codes,
# deadlines), Send-VirtSessionInput and Wait-VirtSessionOutput (expect, Ctrl+C, a wait that is
# stopped), Disconnect-VirtSession, and sessions whose VM was killed. Every case runs over the
# serial console and over SSH. They boot the test guest (tag Guest); each Describe shares one
# VM and removes it in AfterAll, also after failures.
# Run through build.ps1 -Task Test, which sets VIRTTEST_MODULE_PATH (fallback ./out/VirtTest).

BeforeAll {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $script:ModulePath = (Get-Module VirtTest).ModuleBase
    $ProgressPreference = 'SilentlyContinue'

    # Polls $Condition every 100 ms until it is true or $TimeoutSec passed; returns its last value.
    function Wait-Condition([scriptblock] $Condition, [double] $TimeoutSec = 10) {
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
        while ($true) {
            $value = & $Condition
            if ($value -or [DateTime]::UtcNow -ge $deadline) { return $value }
            Start-Sleep -Milliseconds 100
        }
    }

    # The guest's processes whose command line is exactly $CommandLine (busybox ps: PID USER COMMAND).
    function Get-GuestProcess([VirtTest.Core.Session.GuestSession] $Session, [string] $CommandLine) {
        $ps = Invoke-VirtSessionCommand -Session $Session -Command 'ps' -TimeoutSec 20
        @($ps.Output -split "`n" | Where-Object { $_ -match "^\s*\d+\s+\S+\s+$([regex]::Escape($CommandLine))\s*$" })
    }

    # The sessions of this process that belong to the VM $VmName.
    function Get-VmSession([string] $VmName) {
        @(Get-VirtSession | Where-Object { $_.VmName -eq $VmName })
    }
}

Describe 'Commands and interactive use of a guest session' -Tag 'Guest' {
    BeforeAll {
        $script:vm = New-VirtVm -TestGuest -Name isc-vm
        $vm | Start-VirtVm -Wait -TimeoutSec 60
    }
    AfterAll {
        Get-VirtVm -Name isc-vm -ErrorAction SilentlyContinue | Remove-VirtVm
    }

    Context 'over <Transport>' -ForEach @(@{ Transport = 'Serial' }, @{ Transport = 'Ssh' }) {
        BeforeAll {
            $script:session = $null
            $script:session = Connect-VirtSession -Vm $vm -Transport $Transport -TimeoutSec 60
        }
        AfterAll {
            if ($session) { Disconnect-VirtSession -Session $session }
        }

        It 'is a logged-in session of the VM, shown as a table' {
            $session | Should -BeOfType ([VirtTest.Core.Session.GuestSession])
            $session.GetType().Name | Should -Be "$($Transport)Session"
            $session.Transport | Should -Be $Transport
            $session.VmName | Should -Be 'isc-vm'
            $session.IsOpen | Should -BeTrue
            $text = $session | Format-Table | Out-String -Width 200
            $text | Should -Match 'Name\s+Transport\s+Dialect\s+VmName\s+IsOpen'
            $text | Should -Match "$([regex]::Escape($session.Name))\s+$Transport\s+posix\s+isc-vm\s+True"
        }

        It 'returns the output and exit code 0 of a command that succeeds' {
            $r = Invoke-VirtSessionCommand -Session $session -Command 'echo hello; echo world >&2; echo done' -ErrorVariable errs
            $errs.Count | Should -Be 0
            $r | Should -BeOfType ([VirtTest.Core.Session.CommandResult])
            $r.Command | Should -Be 'echo hello; echo world >&2; echo done'
            $r.ExitCode | Should -Be 0
            $r.Succeeded | Should -BeTrue
            # Standard error comes with standard output, in order; no prompt, no echo, no \r.
            $r.Output.Trim() -split "`n" | Should -Be @('hello', 'world', 'done')
            $r.Output | Should -Not -Match "`r"
            $r.Duration | Should -BeGreaterThan ([timespan]::Zero)
            $r.Duration.TotalSeconds | Should -BeLessThan 10
            "$r" | Should -Be $r.Output
        }

        It 'takes the session from the pipeline' {
            ($session | Invoke-VirtSessionCommand -Command 'echo piped').Output.Trim() | Should -Be 'piped'
        }

        It 'writes the result and a VirtTest.ShellCommand error for a non-zero exit code' {
            $r = Invoke-VirtSessionCommand $session 'echo failing; (exit 7)' -ErrorVariable errs -ErrorAction SilentlyContinue
            $r.ExitCode | Should -Be 7
            $r.Succeeded | Should -BeFalse
            $r.Output.Trim() | Should -Be 'failing'
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.ShellCommand,*'
            "$($errs[0])" | Should -Match 'exit status 7'
            "$($errs[0])" | Should -Match 'failing'
            "$($errs[0])" | Should -Match ([regex]::Escape('(exit 7)'))
        }

        It 'writes no error with -IgnoreExitCode' {
            $r = Invoke-VirtSessionCommand $session 'ls /no/such/path' -IgnoreExitCode -ErrorVariable errs
            $errs.Count | Should -Be 0
            $r.ExitCode | Should -Not -Be 0
            $r.Succeeded | Should -BeFalse
            $r.Output | Should -Match 'No such file'
        }

        It 'throws with -ErrorAction Stop' {
            $caught = $null
            try {
                $null = Invoke-VirtSessionCommand $session 'false' -ErrorAction Stop
            }
            catch {
                $caught = $_
            }
            $caught | Should -Not -BeNullOrEmpty -Because 'a failing command must stop the test'
            $caught.FullyQualifiedErrorId | Should -BeLike 'VirtTest.ShellCommand,*'
            $caught.Exception.ExitStatus | Should -Be 1
        }

        It 'stops a command that never ends at -TimeoutSec with VirtTest.SessionTimeout' {
            $elapsed = Measure-Command {
                $out = Invoke-VirtSessionCommand $session 'sleep 100' -TimeoutSec 2 -ErrorVariable errs -ErrorAction SilentlyContinue
            }
            $out | Should -BeNullOrEmpty
            $elapsed.TotalSeconds | Should -BeGreaterOrEqual 1.9
            $elapsed.TotalSeconds | Should -BeLessThan 8
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.SessionTimeout,*'
            $errs[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
            "$($errs[0])" | Should -Match 'sleep 100'
        }

        It 'stays usable after the timeout' {
            $session.IsOpen | Should -BeTrue
            $r = Invoke-VirtSessionCommand $session 'echo still-here' -TimeoutSec 10
            $r.ExitCode | Should -Be 0
            $r.Output.Trim() | Should -Be 'still-here'
        }

        It 'ends the timed-out command in the guest' {
            $left = Wait-Condition { @(Get-GuestProcess $session 'sleep 100').Count -eq 0 } 5
            $left | Should -BeTrue -Because "'sleep 100' must not keep running after its deadline (guest processes: $((Get-GuestProcess $session 'sleep 100') -join '; '))"
        }

        It 'shows results as a table of exit code, duration in ms and the first output line' {
            $r = Invoke-VirtSessionCommand $session 'printf "first\nsecond\n"'
            $text = $r | Format-Table | Out-String -Width 200
            $text | Should -Match 'ExitCode\s+Duration\(ms\)\s+Output'
            $text | Should -Match "\b0\s+$([math]::Round($r.Duration.TotalMilliseconds))\s+first \.\.\."
            $text | Should -Not -Match 'second'
            $one = Invoke-VirtSessionCommand $session 'echo "  one line  "' | Format-Table | Out-String
            $one | Should -Match '(?m)\d\s+one line\s*$'
        }

        It 'sends a line and waits for the answer (expect)' {
            Send-VirtSessionInput -Session $session -InputObject 'echo "expect-$((40 + 2))"'
            $r = Wait-VirtSessionOutput -Session $session -Pattern '^expect-(\d+)$' -TimeoutSec 10
            $r | Should -BeOfType ([VirtTest.Core.Session.ExpectResult])
            $r.Match | Should -Be 'expect-42'
            @($r.Groups) | Should -Be @('42')
            # The echo of the typed line comes before the answer.
            $r.Before | Should -Match ([regex]::Escape('echo "expect-$((40 + 2))"'))
        }

        It 'sends text without a newline, lines from the pipeline, and waits for a prompt with -LastLine' {
            'a=1', 'b=2' | Send-VirtSessionInput -Session $session
            # The prompt is put together by the shell, so the echo of the typed line cannot match it.
            Send-VirtSessionInput $session 'q="Your name"; read -p "$q? " n; echo "hello $n $((a' -NoNewline
            Send-VirtSessionInput $session '+b))"'
            $prompt = Wait-VirtSessionOutput $session 'Your name\? $' -LastLine -TimeoutSec 10
            $prompt.Match | Should -Be 'Your name? '
            Send-VirtSessionInput $session 'world'
            @((Wait-VirtSessionOutput $session '^hello (\w+) (\d+)$' -TimeoutSec 10).Groups) | Should -Be @('world', '3')
        }

        It 'interrupts the foreground program with -Interrupt' {
            # Ctrl+C only once the shell runs the command (typed ahead, it would end the input line instead).
            Send-VirtSessionInput $session 'echo "started-$((1 + 1))"; sleep 100'
            $null = Wait-VirtSessionOutput $session '^started-2$' -TimeoutSec 10
            Start-Sleep -Milliseconds 300
            Send-VirtSessionInput $session -Interrupt
            # Only once the shell is back at its prompt: typed ahead, the line could race the signal.
            $null = Wait-VirtSessionOutput $session '# $' -LastLine -TimeoutSec 10
            Send-VirtSessionInput $session 'echo "rc=$?"'
            @((Wait-VirtSessionOutput $session '^rc=(\d+)$' -TimeoutSec 10).Groups) | Should -Be @('130')
        }

        It 'times out waiting for output that never comes, with what came' {
            Send-VirtSessionInput $session 'echo some-other-text'
            $elapsed = Measure-Command {
                $out = Wait-VirtSessionOutput $session 'never-comes' -TimeoutSec 1 -ErrorVariable errs -ErrorAction SilentlyContinue
            }
            $out | Should -BeNullOrEmpty
            $elapsed.TotalSeconds | Should -BeLessThan 5
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.SessionTimeout,*'
            "$($errs[0])" | Should -Match 'some-other-text'
        }

        It 'is a terminating VirtTest.InvalidPattern error to wait for an invalid regular expression' {
            { Wait-VirtSessionOutput $session '(unclosed' -TimeoutSec 1 } | Should -Throw -ErrorId 'VirtTest.InvalidPattern,*'
        }

        It 'stops a wait for output that never comes on Ctrl+C, and the session stays usable' {
            # One pipeline in its own runspace with the module preloaded, as in Start-VirtVm.Tests.ps1.
            $iss = [initialsessionstate]::CreateDefault2()
            $iss.ImportPSModule([string[]]@($ModulePath))
            $runspace = [runspacefactory]::CreateRunspace($iss)
            $runspace.Open()
            $ps = [powershell]::Create()
            $ps.Runspace = $runspace
            try {
                $null = $ps.AddCommand('Wait-VirtSessionOutput').AddParameter('Session', $session).
                    AddParameter('Pattern', 'this-never-comes').AddParameter('TimeoutSec', 120)
                $async = $ps.BeginInvoke()
                Start-Sleep -Seconds 1
                $ps.InvocationStateInfo.State | Should -Be 'Running'

                $elapsed = Measure-Command { $ps.Stop() }
                $elapsed.TotalSeconds | Should -BeLessThan 3
                $ps.InvocationStateInfo.State | Should -Be 'Stopped'
                { $ps.EndInvoke($async) } | Should -Throw
                $ps.Streams.Error.Count | Should -Be 0
            }
            finally {
                $ps.Dispose()
                $runspace.Dispose()
            }
            $session.IsOpen | Should -BeTrue
            (Invoke-VirtSessionCommand $session 'echo after-ctrl-c' -TimeoutSec 10).Output.Trim() | Should -Be 'after-ctrl-c'
        }

        It 'is closed by Disconnect-VirtSession' {
            Disconnect-VirtSession -Session $session
            $session.IsOpen | Should -BeFalse
            Get-VmSession isc-vm | Should -Not -Contain $session
            # A second close does nothing.
            Disconnect-VirtSession -Session $session -ErrorVariable again
            $again.Count | Should -Be 0
        }

        It 'gives VirtTest.SessionClosed errors for input and output on a closed session' {
            Send-VirtSessionInput $session 'echo x' -ErrorVariable sendErrs -ErrorAction SilentlyContinue
            $sendErrs.Count | Should -Be 1
            $sendErrs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.SessionClosed,*'
            "$($sendErrs[0])" | Should -Match ([regex]::Escape($session.Name))
            "$($sendErrs[0])" | Should -Match 'closed'

            $out = Wait-VirtSessionOutput $session 'this-was-never-printed' -TimeoutSec 5 -ErrorVariable waitErrs -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $waitErrs.Count | Should -Be 1
            $waitErrs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.SessionClosed,*'
            "$($waitErrs[0])" | Should -Match 'closed'
        }

        It 'gives a non-terminating VirtTest.SessionClosed error for a command on a closed session' {
            $seen = $null
            try {
                $out = Invoke-VirtSessionCommand $session 'echo x' -ErrorVariable errs -ErrorAction SilentlyContinue
                $out | Should -BeNullOrEmpty
                $seen = if ($errs.Count -eq 1) { "$($errs[0].FullyQualifiedErrorId): $($errs[0])" } else { "$($errs.Count) errors" }
            }
            catch {
                $seen = "terminating $($_.FullyQualifiedErrorId): $($_.Exception.Message)"
            }
            $seen | Should -Match '^VirtTest\.SessionClosed,'
            $seen | Should -Match ([regex]::Escape($session.Name))
        }
    }

    It 'Remove-VirtVm closes the sessions of the VM' {
        $serial = Connect-VirtSession -Vm $vm -Transport Serial -TimeoutSec 20
        $ssh = Connect-VirtSession -Vm $vm -Transport Ssh -TimeoutSec 20
        $port = $ssh.Port
        @(Get-VmSession isc-vm).Count | Should -Be 2
        Remove-VirtVm $vm
        $serial.IsOpen | Should -BeFalse
        $ssh.IsOpen | Should -BeFalse
        @(Get-VmSession isc-vm).Count | Should -Be 0
        # No TCP connection of this process to the VM's SSH port forward is left.
        if (Get-Command ss -ErrorAction SilentlyContinue) {
            $mine = @(ss -tnpH state established "( dport = :$port )" 2>$null | Where-Object { $_ -match "pid=$PID," })
            $mine.Count | Should -Be 0 -Because "the SSH connections are closed ($($mine -join '; '))"
        }
    }
}

Describe 'Sessions whose VM was killed' -Tag 'Guest' {
    BeforeAll {
        $script:vm = New-VirtVm -TestGuest -Name isc-dead
        $vm | Start-VirtVm -Wait -TimeoutSec 60
        $script:ssh = Connect-VirtSession -Vm $vm -Transport Ssh -TimeoutSec 60
        $script:serial = Connect-VirtSession -Vm $vm -Transport Serial -TimeoutSec 20
    }
    AfterAll {
        Get-VirtVm -Name isc-dead -ErrorAction SilentlyContinue | Remove-VirtVm
    }

    It 'work before the kill' {
        (Invoke-VirtSessionCommand $ssh 'echo alive').Output.Trim() | Should -Be 'alive'
        (Invoke-VirtSessionCommand $serial 'echo alive').Output.Trim() | Should -Be 'alive'
    }

    It 'fail fast with VirtTest.SessionClosed after the VM is killed' {
        Stop-Process -Id $vm.ProcessId -Force
        # Over SSH: QEMU's port forward goes with the process, so the connection is reset.
        $elapsed = Measure-Command {
            $out = Invoke-VirtSessionCommand $ssh 'echo hi' -TimeoutSec 30 -ErrorVariable errs -ErrorAction SilentlyContinue
        }
        $out | Should -BeNullOrEmpty
        $elapsed.TotalSeconds | Should -BeLessThan 5
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.SessionClosed,*'
        $errs[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        $ssh.IsOpen | Should -BeFalse

        # Over the serial console: the console socket closes with QEMU.
        $elapsed = Measure-Command {
            $out = Invoke-VirtSessionCommand $serial 'echo hi' -TimeoutSec 30 -ErrorVariable errs2 -ErrorAction SilentlyContinue
        }
        $out | Should -BeNullOrEmpty
        $elapsed.TotalSeconds | Should -BeLessThan 5
        $errs2.Count | Should -Be 1
        $errs2[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.SessionClosed,*'
        $serial.IsOpen | Should -BeFalse
    }

    It 'are closed and forgotten by Remove-VirtVm' {
        @(Get-VmSession isc-dead).Count | Should -Be 2
        Remove-VirtVm $vm
        @(Get-VmSession isc-dead).Count | Should -Be 0
    }
}
