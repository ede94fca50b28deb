# Pester tests for logging in: Connect-VirtSession and Wait-VirtLogin on a test guest whose
# serial console asks for a login (New-VirtVm -LoginPrompt), and over SSH. Right credentials
# work; a wrong password is a VirtTest.SessionAuthentication error at once, and neither the
# wrong nor the right password shows up anywhere: not in error records, verbose or progress
# output, nor on the VM's console log. One booted test guest (tag Guest), removed in AfterAll
# also after failures.
# Run through build.ps1 -Task Test, which sets VIRTTEST_MODULE_PATH (fallback ./out/VirtTest).

BeforeAll {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $script:ModulePath = (Get-Module VirtTest).ModuleBase
    $ProgressPreference = 'SilentlyContinue'

    # Every text a record of a PowerShell stream can show: for an error record its message, its
    # exceptions (ToString, with inner exceptions and all their properties), error details,
    # category and target; for verbose, warning, debug, information and progress records their text.
    function Get-RecordText([object] $Record) {
        if ($null -eq $Record) { return }
        if ($Record -is [System.Management.Automation.ErrorRecord]) {
            $Record.ToString()
            $Record.FullyQualifiedErrorId
            $Record.CategoryInfo.ToString()
            "$($Record.TargetObject)"
            if ($null -ne $Record.ErrorDetails) { $Record.ErrorDetails.Message; $Record.ErrorDetails.RecommendedAction }
            $Record.Exception.ToString()
            for ($ex = $Record.Exception; $null -ne $ex; $ex = $ex.InnerException) {
                $ex | Format-List -Property * -Force | Out-String -Width 1000
            }
        }
        elseif ($Record -is [System.Management.Automation.InformationalRecord]) {
            $Record.Message
        }
        elseif ($Record -is [System.Management.Automation.ProgressRecord]) {
            $Record.Activity
            $Record.StatusDescription
            $Record.CurrentOperation
        }
        elseif ($Record -is [System.Management.Automation.InformationRecord]) {
            "$($Record.MessageData)"
        }
        else {
            $Record | Format-List -Property * -Force | Out-String -Width 1000
            "$Record"
        }
    }

    # Fails when any of $Text contains one of the passwords (named by $Because in the message).
    function Assert-NoPassword([string[]] $Text, [string[]] $Password, [string] $Because) {
        $all = $Text -join "`n"
        foreach ($p in $Password) {
            $all.Contains($p, [StringComparison]::Ordinal) | Should -BeFalse -Because "$Because must not contain a password"
            $all.Contains($p, [StringComparison]::OrdinalIgnoreCase) | Should -BeFalse -Because "$Because must not contain a password, in any case"
        }
    }

    # The sessions of this process that belong to the VM $VmName.
    function Get-VmSession([string] $VmName) {
        @(Get-VirtSession | Where-Object { $_.VmName -eq $VmName })
    }
}

Describe 'Logging in on a guest that asks for a password' -Tag 'Guest' {
    BeforeAll {
        $script:vm = New-VirtVm -TestGuest -LoginPrompt -Name cvs-login
        $vm | Start-VirtVm -Wait -TimeoutSec 60
        $script:userName = $vm.Params['username']
        $script:rightPassword = $vm.Params['password']
        $script:wrongPassword = 'Wrong-' + [guid]::NewGuid().ToString('N').Substring(0, 12)
        $script:passwords = @($rightPassword, $wrongPassword)
        $script:badCredential = [pscredential]::new($userName, (ConvertTo-SecureString $wrongPassword -AsPlainText -Force))
        $script:goodCredential = [pscredential]::new($userName, (ConvertTo-SecureString $rightPassword -AsPlainText -Force))
        # Everything the cmdlets wrote in the tests below, scanned for the passwords at the end.
        $script:written = [System.Collections.Generic.List[string]]::new()
    }
    AfterAll {
        Get-VirtVm -Name cvs-login -ErrorAction SilentlyContinue | Remove-VirtVm
    }

    It 'has a password that the guest does not print by itself' {
        # Otherwise the checks below could not tell a leak from the guest's own output
        # (the test guest's hostname and prompt contain 'virttest').
        $userName | Should -Be 'root'
        $rightPassword | Should -Not -BeNullOrEmpty
        $rightPassword.Length | Should -BeGreaterOrEqual 6
        $deadline = [DateTime]::UtcNow.AddSeconds(15)
        do {
            $log = Get-Content -LiteralPath $vm.ConsoleLogPath -Raw
            if ($log -match '(?m)login: *$') { break }
            Start-Sleep -Milliseconds 200
        } while ([DateTime]::UtcNow -lt $deadline)
        $log | Should -Match '(?m)login: *$' -Because 'the guest asks for a login once booted'
        Assert-NoPassword $log $passwords 'the console log after boot'
    }

    It 'refuses a wrong password on the serial console with VirtTest.SessionAuthentication, at once' {
        $elapsed = Measure-Command {
            $all = @(Connect-VirtSession -Vm $vm -Transport Serial -Credential $badCredential -TimeoutSec 60 -Verbose -ErrorVariable errs -ErrorAction SilentlyContinue *>&1)
        }
        $all | ForEach-Object { $written.AddRange([string[]]@(Get-RecordText $_)) }
        @($all | Where-Object { $_ -is [VirtTest.Core.Session.GuestSession] }) | Should -BeNullOrEmpty
        $elapsed.TotalSeconds | Should -BeLessThan 20 -Because 'a refused login is not retried until the deadline'
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.SessionAuthentication,*'
        $errs[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        $errs[0].Exception | Should -BeOfType ([VirtTest.Core.Session.SessionAuthenticationException])
        $errs[0].Exception.UserName | Should -Be 'root'
        "$($errs[0])" | Should -Match "'root'"
        "$($errs[0])" | Should -Match 'cvs-login serial'
        Get-VmSession cvs-login | Should -BeNullOrEmpty
        $errs | ForEach-Object { $written.AddRange([string[]]@(Get-RecordText $_)) }
        Assert-NoPassword @($errs | ForEach-Object { Get-RecordText $_ }) $passwords 'the error record'
    }

    It 'refuses it through Wait-VirtLogin too, with neither password in its error, verbose or progress output' {
        # In a runspace of its own, whose streams keep the progress records as well.
        $iss = [initialsessionstate]::CreateDefault2()
        $iss.ImportPSModule([string[]]@($ModulePath))
        $runspace = [runspacefactory]::CreateRunspace($iss)
        $runspace.Open()
        $ps = [powershell]::Create()
        $ps.Runspace = $runspace
        try {
            $null = $ps.AddCommand('Wait-VirtLogin').AddParameter('Vm', $vm).AddParameter('Credential', $badCredential).
                AddParameter('TimeoutSec', 60).AddParameter('Verbose', $true)
            $out = @($ps.Invoke())
            $out | Should -BeNullOrEmpty
            $errs = @($ps.Streams.Error)
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.SessionAuthentication,*'
            $errs[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
            @($ps.Streams.Progress).Count | Should -BeGreaterThan 0 -Because 'Wait-VirtLogin shows progress'
            $texts = @(foreach ($stream in $ps.Streams.Error, $ps.Streams.Verbose, $ps.Streams.Progress, $ps.Streams.Warning, $ps.Streams.Information, $ps.Streams.Debug) {
                    foreach ($record in $stream) { Get-RecordText $record }
                })
            $written.AddRange([string[]]$texts)
            Assert-NoPassword $texts $passwords 'the output of Wait-VirtLogin'
        }
        finally {
            $ps.Dispose()
            $runspace.Dispose()
        }
    }

    It 'logs in with the VM''s username and password params (Wait-VirtLogin)' {
        $all = @(Wait-VirtLogin -Vm $vm -TimeoutSec 60 -Verbose *>&1)
        $all | ForEach-Object { $written.AddRange([string[]]@(Get-RecordText $_)) }
        $session = @($all | Where-Object { $_ -is [VirtTest.Core.Session.GuestSession] })
        $session.Count | Should -Be 1
        $session = $session[0]
        @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }) | Should -BeNullOrEmpty
        try {
            $session | Should -BeOfType ([VirtTest.Core.Session.SerialSession])
            $session.VmName | Should -Be 'cvs-login'
            $session.IsOpen | Should -BeTrue
            (Invoke-VirtSessionCommand $session 'id -un').Output.Trim() | Should -Be 'root'
            $written.Add(($session | Format-List -Property * -Force | Out-String -Width 1000))
            # Log out: the guest's getty asks for a login again.
            Send-VirtSessionInput $session 'exit'
            $null = Wait-VirtSessionOutput $session 'login: $' -LastLine -TimeoutSec 15
        }
        finally {
            Disconnect-VirtSession $session
        }
    }

    It 'logs in with an explicit -Credential (Connect-VirtSession)' {
        $all = @(Connect-VirtSession -Vm $vm -Credential $goodCredential -TimeoutSec 60 -Verbose *>&1)
        $all | ForEach-Object { $written.AddRange([string[]]@(Get-RecordText $_)) }
        $session = @($all | Where-Object { $_ -is [VirtTest.Core.Session.GuestSession] })
        $session.Count | Should -Be 1
        $session = $session[0]
        try {
            $session.Transport | Should -Be 'Serial'
            (Invoke-VirtSessionCommand $session 'echo "logged in as $(id -un)"').Output.Trim() | Should -Be 'logged in as root'
            Send-VirtSessionInput $session 'exit'
            $null = Wait-VirtSessionOutput $session 'login: $' -LastLine -TimeoutSec 15
        }
        finally {
            Disconnect-VirtSession $session
        }
    }

    It 'refuses a wrong password over SSH with VirtTest.SessionAuthentication, at once' {
        $elapsed = Measure-Command {
            $all = @(Connect-VirtSession -Vm $vm -Transport Ssh -Credential $badCredential -TimeoutSec 60 -Verbose -ErrorVariable errs -ErrorAction SilentlyContinue *>&1)
        }
        $all | ForEach-Object { $written.AddRange([string[]]@(Get-RecordText $_)) }
        @($all | Where-Object { $_ -is [VirtTest.Core.Session.GuestSession] }) | Should -BeNullOrEmpty
        $elapsed.TotalSeconds | Should -BeLessThan 20 -Because 'a refused login is not retried until the deadline'
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.SessionAuthentication,*'
        $errs[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        "$($errs[0])" | Should -Match "'root'"
        "$($errs[0])" | Should -Match 'cvs-login ssh root@127\.0\.0\.1:\d+'
        Get-VmSession cvs-login | Should -BeNullOrEmpty
        $errs | ForEach-Object { $written.AddRange([string[]]@(Get-RecordText $_)) }
        Assert-NoPassword @($errs | ForEach-Object { Get-RecordText $_ }) $passwords 'the error record'
    }

    It 'logs in over SSH with the right -Credential' {
        $all = @(Wait-VirtLogin -Vm $vm -Transport Ssh -Credential $goodCredential -TimeoutSec 60 -Verbose *>&1)
        $all | ForEach-Object { $written.AddRange([string[]]@(Get-RecordText $_)) }
        $session = @($all | Where-Object { $_ -is [VirtTest.Core.Session.GuestSession] })
        $session.Count | Should -Be 1
        $session = $session[0]
        try {
            $session | Should -BeOfType ([VirtTest.Core.Session.SshSession])
            $session.UserName | Should -Be 'root'
            $session.HostKeyFingerprint | Should -Match 'SHA256:'
            (Invoke-VirtSessionCommand $session 'id -un').Output.Trim() | Should -Be 'root'
            $written.Add(($session | Format-List -Property * -Force | Out-String -Width 1000))
        }
        finally {
            Disconnect-VirtSession $session
        }
    }

    It 'wrote neither password in any error, verbose, progress or other output' {
        $written.Count | Should -BeGreaterThan 0
        # The errors of the wrong logins are among the texts.
        ($written -join "`n") | Should -Match 'SessionAuthentication'
        Assert-NoPassword $written.ToArray() $passwords 'the output of the session cmdlets'
    }

    It 'put neither password on the console, which shows the login prompts' {
        # Read before the VM is removed: its runtime folder goes with it.
        $log = Get-Content -LiteralPath $vm.ConsoleLogPath -Raw
        $log | Should -Match 'login: root'
        $log | Should -Match 'Password:'
        $log | Should -Match 'Login incorrect'
        $log | Should -Match 'root login on'
        Assert-NoPassword $log $passwords 'the console log'
    }

    It 'Remove-VirtVm leaves no session of the VM' {
        $ssh = Connect-VirtSession -Vm $vm -Transport Ssh -TimeoutSec 30
        @(Get-VmSession cvs-login).Count | Should -Be 1
        Remove-VirtVm $vm
        $ssh.IsOpen | Should -BeFalse
        Get-VmSession cvs-login | Should -BeNullOrEmpty
    }
}

Describe 'Connecting to a VM that does not run' {
    BeforeAll {
        $script:idle = New-VirtVm -TestGuest -Name cvs-idle
    }
    AfterAll {
        Get-VirtVm -Name cvs-idle -ErrorAction SilentlyContinue | Remove-VirtVm
    }

    It 'is a VirtTest.VmState error over <_>' -ForEach 'Serial', 'Ssh' {
        $transport = $_
        $elapsed = Measure-Command {
            $out = Connect-VirtSession -Vm $idle -Transport $transport -TimeoutSec 5 -ErrorVariable errs -ErrorAction SilentlyContinue
        }
        $out | Should -BeNullOrEmpty
        $elapsed.TotalSeconds | Should -BeLessThan 3
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.VmState,*'
        "$($errs[0])" | Should -Match 'Created'
    }
}
