# Pester tests for the test-script helpers: Enter-VirtTestStep, Exit-VirtTest, Wait-VirtCondition,
# and pre_command/post_command, in test runs without VMs (fast) and on their own.
# Run through build.ps1 -Task Test, which sets VIRTTEST_MODULE_PATH (fallback ./out/VirtTest).

BeforeAll {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $ProgressPreference = 'SilentlyContinue'
}

Describe 'Test scripts name steps and end with a status' {
    BeforeAll {
        $script:dir = Join-Path ([System.IO.Path]::GetTempPath()) ("vt-helpers-" + [guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $dir
        Set-Content -LiteralPath (Join-Path $dir 'run.cfg') -Value @'
start_vm = no
variants:
    - stepped:
        type = stepped
    - errors:
        type = ends
        exit_status = Error
    - cancels:
        type = ends
        exit_status = Cancel
    - skips:
        type = ends
        exit_status = Skip
    - fails:
        type = ends
        exit_status = Fail
    - spec_cancels:
        type = spec
    - waits:
        type = waits
    - host_commands:
        type = waits
        pre_command = touch from-pre
        post_command = false
'@
        Set-Content -LiteralPath (Join-Path $dir 'stepped.ps1') -Value @(
            "Enter-VirtTestStep 'prepare'"
            "Enter-VirtTestStep 'check'"
            "throw 'wrong answer'")
        Set-Content -LiteralPath (Join-Path $dir 'ends.ps1') -Value 'param($Params) Exit-VirtTest -Status $Params.exit_status -Reason "ended as $($Params.exit_status)"; throw "not reached"'
        Set-Content -LiteralPath (Join-Path $dir 'spec.Tests.ps1') -Value @(
            "Describe 'needs a feature' {"
            "    It 'cancels' { Exit-VirtTest -Status Cancel -Reason 'no such feature here' }"
            "}")
        Set-Content -LiteralPath (Join-Path $dir 'waits.ps1') -Value @(
            'param($TestDirectory)'
            '$script:n = 0'
            '$v = Wait-VirtCondition { $script:n++; if ($script:n -ge 3) { "ready after $script:n" } } -IntervalSec 0.05 -TimeoutSec 10 -Message counter'
            'if ($v -ne "ready after 3") { throw "got $v" }'
            'Set-Content -LiteralPath (Join-Path $TestDirectory "waited.txt") -Value $v')
        $script:results = @(Invoke-VirtTestRun -Path (Join-Path $dir 'run.cfg') -TestPath $dir -OutputPath (Join-Path $dir 'results') -Jobs 1)
        $script:byName = @{}
        foreach ($r in $results) { $byName[$r.ShortName] = $r }
    }

    AfterAll {
        Remove-Item -LiteralPath $dir -Recurse -Force
    }

    It 'a failure says in which step it happened, and the steps are listed' {
        $r = $byName['stepped']
        $r.Status | Should -Be 'Fail'
        $r.Reason | Should -BeLike "In step 2 'check': wrong answer*"
        $r.FailedStep | Should -Be 'check'
        @($r.Steps.Name) | Should -Be @('prepare', 'check')
        Get-Content -LiteralPath (Join-Path $dir 'results/report.html') -Raw | Should -Match '<li class="failed" title="failed here">check'
    }

    It 'Exit-VirtTest -Status <_> ends the script with that status and reason' -ForEach 'Error', 'Cancel', 'Skip', 'Fail' {
        $r = $byName["$($_.ToLowerInvariant())s"]
        $r.Status | Should -Be $_
        $r.Reason | Should -Be "ended as $_"
    }

    It 'Exit-VirtTest -Status Cancel in a Pester spec cancels the test' {
        $byName['spec_cancels'].Status | Should -Be 'Cancel'
        $byName['spec_cancels'].Reason | Should -Be 'no such feature here'
    }

    It 'Wait-VirtCondition returns the first true output' {
        $byName['waits'].Status | Should -Be 'Pass'
        Get-Content -LiteralPath (Join-Path $dir "results/$($byName['waits'].Directory)/waited.txt") | Should -Be 'ready after 3'
    }

    It 'pre_command runs before and a failing post_command makes the passed test an ERROR' {
        $r = $byName['host_commands']
        Test-Path -LiteralPath (Join-Path $dir "results/$($r.Directory)/from-pre") | Should -BeTrue
        $r.Status | Should -Be 'Error'
        $r.Reason | Should -BeLike "*post_command 'false' exited with 1*"
    }
}

Describe 'Wait-VirtCondition on its own' {
    It 'times out with a WaitTimeout error naming the message' {
        $e = { Wait-VirtCondition { 0 } -Message 'the impossible' -TimeoutSec 0.3 -IntervalSec 0.1 } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike 'VirtTest.WaitTimeout*'
        $e.CategoryInfo.Category | Should -Be 'OperationTimeout'
        $e.Exception.Message | Should -BeLike '*the impossible*returned 0*'
    }

    It 'ends on an error in the condition unless -RetryOnError' {
        { Wait-VirtCondition { throw 'boom' } -TimeoutSec 5 } | Should -Throw '*boom*'
        $script:k = 0
        Wait-VirtCondition { $script:k++; if ($script:k -lt 3) { throw 'not yet' }; $script:k } -RetryOnError -IntervalSec 0.05 | Should -Be 3
    }
}
