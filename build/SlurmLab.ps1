<#
.SYNOPSIS
    Starts and stops a Slurm cluster on this machine: munge, a controller and N compute nodes,
    each node in a network namespace of its own.

.DESCRIPTION
    Everything of a lab lives in one folder (-Path): slurm.conf, the munge key, sockets, PID
    files, logs, controller state and node spool folders, and lab.json, which records what
    runs. Start installs the Debian packages when missing (slurmctld, slurmd, slurm-client,
    munge; their own services are disabled), removes whatever a crashed lab of the same folder
    left, then brings up:
      - munged with its own key and socket;
      - a bridge with <subnet>.1 on the host side, where slurmctld listens (in a UTS
        namespace of its own, with the hostname 'ctl');
      - nodes n1..nN: network namespaces with a veth end 'eth0' at <subnet>.11, .12, ...,
        loopback up, and slurmd (via nsenter --net: 'ip netns exec' remounts /sys and slurmd
        then finds no cgroup file system) under its own hostname.
    The daemons run in the foreground (-D) in sessions of their own (setsid), so a Ctrl+C in
    the terminal that started them does not reach them; Stop kills them by their recorded
    PIDs and every process inside the nodes' namespaces (jobs included), then removes the
    namespaces, links and the folder.

    Names carry a prefix made from the folder's path (vts + 4 hex digits): namespaces
    <prefix>-n1..., links <prefix>br and <prefix>n1..., so labs of different folders and
    other network objects on the host are never touched. The subnet is the first
    10.77.<k>.0/24 that no address or route of the host uses.

    Clients (sbatch, squeue, scontrol, scancel, sinfo) run on the host with
    $env:SLURM_CONF set to the lab's slurm.conf (Start prints it and returns it).

    The timing settings are the ones that make node failure visible in seconds:
    SlurmdTimeout=5 (a dead node is DOWN after ~15 s and its jobs requeued) and
    cred_expire=5 (without it a requeued job waits ~2 minutes before it may start again).

.EXAMPLE
    dotnet pwsh ./build/SlurmLab.ps1 -Action Start -Nodes 3
    $env:SLURM_CONF = "$PWD/.build/slurm-lab/etc/slurm.conf"; sinfo

.EXAMPLE
    dotnet pwsh ./build/SlurmLab.ps1 -Action KillNode -Node n2   # all of n2's processes, as a crash would

.EXAMPLE
    dotnet pwsh ./build/SlurmLab.ps1 -Action Stop
#>
[CmdletBinding()]
param(
    [ValidateSet('Start', 'Stop', 'Status', 'KillNode', 'StartNode', 'DisconnectNode', 'ConnectNode', 'Install')]
    [string] $Action = 'Start',

    # The lab's folder (created on Start, removed on Stop).
    [string] $Path = (Join-Path (Split-Path -Parent $PSScriptRoot) '.build/slurm-lab'),

    [ValidateRange(1, 32)]
    [int] $Nodes = 3,

    # What each node declares (RealMemory, CPUs): Slurm places jobs by these numbers.
    [ValidateRange(64, 1048576)]
    [int] $NodeMemoryMB = 2000,

    [ValidateRange(1, 256)]
    [int] $NodeCpus = 2,

    # Node features (what a node offers: the backends it can run).
    [string[]] $Feature = @('qemu'),

    [ValidatePattern('^[A-Za-z][A-Za-z0-9_]*$')]
    [string] $Partition = 'vm',

    # KillNode: the node whose processes are all killed (slurmd and its jobs); StartNode: the
    # node whose slurmd starts again (Slurm takes it back: ReturnToService=2); DisconnectNode /
    # ConnectNode: the node's link goes down / up (a network partition: its jobs keep running).
    [string] $Node = '',

    # How long Start waits for every node to be idle.
    [ValidateRange(1, 600)]
    [int] $TimeoutSec = 60
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$PSNativeCommandUseErrorActionPreference = $false
Import-Module (Join-Path $PSScriptRoot 'BuildCommon.psm1') -Force

$Path = [System.IO.Path]::GetFullPath($Path)
$StateFile = Join-Path $Path 'lab.json'

# The prefix of every network object of this lab, from its folder: the same folder always
# gets the same names, so a crashed lab's leftovers are found by the next Start.
function Get-LabPrefix([string] $Folder) {
    $hash = [System.Security.Cryptography.SHA256]::HashData([System.Text.Encoding]::UTF8.GetBytes($Folder))
    return 'vts' + [Convert]::ToHexString($hash, 0, 2).ToLowerInvariant()
}
$Prefix = Get-LabPrefix $Path

# Fixed shell snippets: values only ever arrive as positional arguments ($1, $2, "$@").
# Appends a program's output to a log file and closes its stdin.
$RunLogged = 'log="$1"; shift; exec "$@" >>"$log" 2>&1 </dev/null'
# The same under a hostname of its own: only ever run under 'unshare --uts'.
$RunAsHost = 'hostname "$1" || exit 1; log="$2"; shift 2; exec "$@" >>"$log" 2>&1 </dev/null'

function Invoke-Ip([string[]] $Arguments, [switch] $AllowFailure) {
    $output = & ip @Arguments 2>&1
    if ($LASTEXITCODE -ne 0 -and -not $AllowFailure) { throw "ip $($Arguments -join ' ') failed: $output" }
}

function Install-SlurmPackage {
    $probe = [ordered]@{
        'slurmctld'    = '/usr/sbin/slurmctld'
        'slurmd'       = '/usr/sbin/slurmd'
        'slurm-client' = '/usr/bin/sbatch'
        'munge'        = '/usr/sbin/munged'
    }
    $missing = @($probe.Keys | Where-Object { -not (Test-Path -LiteralPath $probe[$_]) })
    if ($missing.Count -eq 0) { return }
    Install-DebianPackage -Name @($probe.Keys) -Probe $probe -Purpose 'the Slurm lab'
    # The packages enable their services (munge with the system key, slurmd, slurmctld with
    # /etc/slurm): the lab runs its own daemons, the system's must stay off.
    if (Get-Command systemctl -CommandType Application -ErrorAction Ignore) {
        $running = (Test-Path -LiteralPath '/run/systemd/system')
        $arguments = @('disable') + $(if ($running) { @('--now') } else { @() }) + @('munge.service', 'slurmctld.service', 'slurmd.service')
        & systemctl @arguments 2>&1 | Out-Null
    }
}

# The lab's daemons on the host: processes whose command line names this lab's folder (they
# read their files there), and their children (slurmctld forks slurmscriptd).
function Get-LabProcess {
    $marker = $Path.TrimEnd('/') + '/'
    $all = foreach ($dir in [System.IO.Directory]::GetDirectories('/proc')) {
        $name = [System.IO.Path]::GetFileName($dir)
        if ($name -notmatch '^\d+$') { continue }
        try {
            $cmdline = [System.IO.File]::ReadAllText("$dir/cmdline").Replace([char]0, ' ').Trim()
            # stat: "pid (comm) state ppid ...": the comm may hold spaces, the rest starts after ')'.
            $stat = [System.IO.File]::ReadAllText("$dir/stat")
            $fields = $stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')
        }
        catch { continue }
        if ($fields[0] -eq 'Z') { continue }   # a zombie holds nothing; its parent reaps it
        [pscustomobject]@{ Id = [int]$name; Parent = [int]$fields[1]; CommandLine = $cmdline }
    }
    $ours = [System.Collections.Generic.HashSet[int]]::new()
    foreach ($p in $all) {
        if ($p.CommandLine.Contains($marker, [StringComparison]::Ordinal) -and $p.CommandLine -match '^(\S*/)?(munged|slurmctld|slurmd)\s') { $null = $ours.Add($p.Id) }
    }
    do {
        $added = $false
        foreach ($p in $all) { if ($ours.Contains($p.Parent) -and $ours.Add($p.Id)) { $added = $true } }
    } while ($added)
    $all | Where-Object { $ours.Contains($_.Id) }
}

function Get-LabNamespace {
    @(& ip netns list 2>$null | ForEach-Object { ($_ -split '\s+')[0] } | Where-Object { $_ -like "$Prefix-*" })
}

function Get-LabLink {
    @(& ip -o link show 2>$null | ForEach-Object { (($_ -split ':\s+')[1] -split '@')[0] } | Where-Object { $_ -like "$Prefix*" })
}

# Kills every process in one of the lab's namespaces (slurmd, and jobs: pwsh, QEMU, ...).
function Stop-NamespaceProcess([string] $Namespace) {
    for ($round = 0; $round -lt 50; $round++) {
        $pids = @(& ip netns pids $Namespace 2>$null | Where-Object { $_ -match '^\d+$' })
        if ($pids.Count -eq 0) { return }
        & kill -KILL @pids 2>$null
        Start-Sleep -Milliseconds 100
    }
    throw "Processes in namespace $Namespace survive SIGKILL: $((& ip netns pids $Namespace) -join ', ')"
}

function Stop-Lab {
    foreach ($ns in Get-LabNamespace) { Stop-NamespaceProcess $ns }
    # The controller and munge run on the host: found by the lab folder in their command line.
    $daemons = @(Get-LabProcess)
    if ($daemons.Count) {
        & kill -TERM @($daemons.Id) 2>$null
        $deadline = [DateTime]::UtcNow.AddSeconds(5)
        while (@(Get-LabProcess).Count -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        $left = @(Get-LabProcess)
        if ($left.Count) { & kill -KILL @($left.Id) 2>$null; Start-Sleep -Milliseconds 200 }
    }
    foreach ($ns in Get-LabNamespace) { Invoke-Ip @('netns', 'delete', $ns) -AllowFailure }
    foreach ($link in Get-LabLink) { Invoke-Ip @('link', 'delete', $link) -AllowFailure }
    if (Test-Path -LiteralPath $Path) { Remove-Item -LiteralPath $Path -Recurse -Force }
    $left = @(@(Get-LabProcess) + @(Get-LabNamespace) + @(Get-LabLink))
    if ($left.Count) { throw "The Slurm lab in $Path could not be removed completely: $($left | Out-String)" }
}

# The first 10.77.<k>.0/24 the host does not use (addresses and routes of every interface).
function Find-FreeSubnet {
    $used = (& ip -4 -o addr show) + (& ip -4 route show) -join "`n"
    foreach ($k in 1..254) {
        if (-not $used.Contains("10.77.$k.", [StringComparison]::Ordinal)) { return "10.77.$k" }
    }
    throw 'No free 10.77.<k>.0/24 subnet on this host for the Slurm lab.'
}

function Get-FreeTcpPort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Any, 0)
    $listener.Start()
    try { return $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

# Starts a daemon detached (own session, output to its log) and returns its PID.
function Start-Daemon([string[]] $Command) {
    $psi = [System.Diagnostics.ProcessStartInfo]::new('setsid')
    $psi.UseShellExecute = $false
    foreach ($a in $Command) { $psi.ArgumentList.Add($a) }
    $psi.Environment['SLURM_CONF'] = $SlurmConf
    $process = [System.Diagnostics.Process]::Start($psi)
    return $process.Id
}

function Invoke-SlurmClient([string] $Tool, [string[]] $Arguments) {
    $saved = $env:SLURM_CONF
    $env:SLURM_CONF = $SlurmConf
    try { $output = & $Tool @Arguments 2>&1 } finally { $env:SLURM_CONF = $saved }
    [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = @($output | ForEach-Object { "$_" }) }
}

function Write-SlurmConf([string] $Subnet, [int] $CtlPort, [int] $NodePort) {
    $lines = @(
        '# Written by build/SlurmLab.ps1: a lab on one machine, nodes in network namespaces.'
        "ClusterName=$Prefix"
        "SlurmctldHost=ctl($Subnet.1)"
        "SlurmctldPort=$CtlPort"
        "SlurmdPort=$NodePort"
        'SlurmUser=root'
        'SlurmdUser=root'
        'AuthType=auth/munge'
        'CredType=cred/munge'
        # cred_expire=5: a requeued job may start again after ~6 s instead of ~2 minutes.
        "AuthInfo=socket=$Path/run/munge.sock,cred_expire=5"
        "StateSaveLocation=$Path/state"
        "SlurmdSpoolDir=$Path/spool/%n"
        "SlurmctldPidFile=$Path/run/slurmctld.pid"
        "SlurmdPidFile=$Path/run/slurmd-%n.pid"
        "SlurmctldLogFile=$Path/log/slurmctld.log"
        "SlurmdLogFile=$Path/log/slurmd-%n.log"
        "PlugStackConfig=$Path/etc/plugstack.conf"
        'ProctrackType=proctrack/linuxproc'
        'TaskPlugin=task/none'
        'JobAcctGatherType=jobacct_gather/none'
        'AccountingStorageType=accounting_storage/none'
        'JobCompType=jobcomp/filetxt'
        "JobCompLoc=$Path/log/jobcomp.txt"
        'MpiDefault=none'
        'SelectType=select/cons_tres'
        'SelectTypeParameters=CR_CPU_Memory'
        # batch_sched_delay=0: a job waiting for a node starts as soon as the node is free.
        'SchedulerParameters=bf_interval=1,sched_interval=2,batch_sched_delay=0'
        'SlurmdParameters=config_overrides'
        'SlurmdTimeout=5'
        'MessageTimeout=5'
        'KillWait=5'
        'ReturnToService=2'
        'JobRequeue=1'
        'MinJobAge=600'
    )
    $features = if ($Feature.Count) { ' Features=' + ($Feature -join ',') } else { '' }
    foreach ($i in 1..$Nodes) {
        $lines += "NodeName=n$i NodeAddr=$Subnet.$(10 + $i) NodeHostname=n$i CPUs=$NodeCpus RealMemory=$NodeMemoryMB$features"
    }
    $lines += "PartitionName=$Partition Nodes=n[1-$Nodes] Default=YES State=UP MaxTime=INFINITE"
    Set-Content -LiteralPath $SlurmConf -Value $lines -Encoding utf8NoBOM
    Set-Content -LiteralPath (Join-Path $Path 'etc/plugstack.conf') -Value '' -Encoding utf8NoBOM
}

function Start-Slurmd([string] $Name, [string] $Namespace) {
    Start-Daemon @('nsenter', "--net=/run/netns/$Namespace", 'unshare', '--uts', 'sh', '-c', $RunAsHost, 'sh',
        $Name, (Join-Path $Path "log/slurmd-$Name.out"), 'slurmd', '-D', '-f', $SlurmConf, '-N', $Name)
}

# Waits until Slurm reports every one of the nodes idle.
function Wait-NodeIdle([string[]] $Names) {
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
    while ($true) {
        $r = Invoke-SlurmClient sinfo @('--noheader', '--Node', '--format=%N %t')
        $idle = @($r.Output | ForEach-Object { $f = -split $_; if ($f.Count -eq 2 -and $f[1] -eq 'idle') { $f[0] } })
        if ($r.ExitCode -eq 0 -and @($Names | Where-Object { $idle -notcontains $_ }).Count -eq 0) { return }
        if ([DateTime]::UtcNow -gt $deadline) {
            throw "Slurm nodes $($Names -join ', ') were not idle within $TimeoutSec s (sinfo: $($r.Output -join '; ')); logs in $Path/log"
        }
        Start-Sleep -Milliseconds 200
    }
}

function Start-Lab {
    if (-not (Test-Root)) { throw 'The Slurm lab needs root (network namespaces, slurmd).' }
    Install-SlurmPackage
    # A lab of this folder that crashed (or was never stopped) goes first.
    if ((Test-Path -LiteralPath $Path) -or @(Get-LabNamespace).Count -or @(Get-LabLink).Count -or @(Get-LabProcess).Count) {
        Write-Verbose "Removing the previous lab in $Path"
        Stop-Lab
    }
    foreach ($sub in 'etc', 'log', 'state', 'spool') { $null = New-Item -ItemType Directory -Force -Path (Join-Path $Path $sub) }
    # munged refuses a socket inside its 0700 key folder: each gets its own.
    $null = New-Item -ItemType Directory -Force -Path (Join-Path $Path 'run')
    & chmod 0755 $Path (Join-Path $Path 'run')
    $null = New-Item -ItemType Directory -Force -Path (Join-Path $Path 'key')
    & chmod 0700 (Join-Path $Path 'key')
    foreach ($i in 1..$Nodes) { $null = New-Item -ItemType Directory -Force -Path (Join-Path $Path "spool/n$i") }

    $subnet = Find-FreeSubnet
    $ctlPort = Get-FreeTcpPort
    $nodePort = Get-FreeTcpPort
    Write-SlurmConf -Subnet $subnet -CtlPort $ctlPort -NodePort $nodePort
    $state = [ordered]@{
        path = $Path; prefix = $Prefix; subnet = "$subnet.0/24"; slurmConf = $SlurmConf; partition = $Partition
        nodes = @(); pids = [ordered]@{}
    }
    try {
        $keyFile = Join-Path $Path 'key/munge.key'
        & mungekey --create --keyfile=$keyFile 2>&1 | Out-Null
        if ($LASTEXITCODE -ne 0) { throw "mungekey --create failed with exit code $LASTEXITCODE." }
        $state.pids.munged = Start-Daemon @('sh', '-c', $RunLogged, 'sh', (Join-Path $Path 'log/munged.out'),
            'munged', '--foreground', "--key-file=$keyFile", "--socket=$Path/run/munge.sock", "--pid-file=$Path/run/munged.pid",
            "--log-file=$Path/log/munged.log", "--seed-file=$Path/state/munge.seed")

        $bridge = "${Prefix}br"
        Invoke-Ip @('link', 'add', $bridge, 'type', 'bridge')
        Invoke-Ip @('addr', 'add', "$subnet.1/24", 'dev', $bridge)
        Invoke-Ip @('link', 'set', $bridge, 'up')
        foreach ($i in 1..$Nodes) {
            $ns = "$Prefix-n$i"
            $hostEnd = "${Prefix}n$i"
            Invoke-Ip @('netns', 'add', $ns)
            Invoke-Ip @('link', 'add', $hostEnd, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', $ns)
            Invoke-Ip @('link', 'set', $hostEnd, 'master', $bridge, 'up')
            Invoke-Ip @('-n', $ns, 'addr', 'add', "$subnet.$(10 + $i)/24", 'dev', 'eth0')
            Invoke-Ip @('-n', $ns, 'link', 'set', 'eth0', 'up')
            # Guests forward ports to the node's loopback; QEMU binds there.
            Invoke-Ip @('-n', $ns, 'link', 'set', 'lo', 'up')
            $state.nodes += [ordered]@{ name = "n$i"; address = "$subnet.$(10 + $i)"; namespace = $ns; link = $hostEnd }
        }

        # munged answers once its socket exists.
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        while (-not (Test-Path -LiteralPath "$Path/run/munge.sock")) {
            if ([DateTime]::UtcNow -gt $deadline) { throw "munged did not create its socket: $(Get-Content -Raw -LiteralPath "$Path/log/munged.out" -ErrorAction Ignore)" }
            Start-Sleep -Milliseconds 50
        }
        $state.pids.slurmctld = Start-Daemon @('unshare', '--uts', 'sh', '-c', $RunAsHost, 'sh', 'ctl', (Join-Path $Path 'log/slurmctld.out'),
            'slurmctld', '-D', '-f', $SlurmConf)
        foreach ($n in $state.nodes) { $state.pids[$n.name] = Start-Slurmd $n.name $n.namespace }
        $state | ConvertTo-Json -Depth 5 | Set-Content -LiteralPath $StateFile -Encoding utf8NoBOM
        Wait-NodeIdle @($state.nodes | ForEach-Object name)
    }
    catch {
        $failure = $_
        try { Stop-Lab } catch { Write-Warning "Cleaning up the failed lab: $_" }
        throw $failure
    }
    return Get-LabState
}

function Get-LabState {
    if (-not (Test-Path -LiteralPath $StateFile)) { return $null }
    $s = Get-Content -Raw -LiteralPath $StateFile | ConvertFrom-Json
    [pscustomobject]@{
        PSTypeName = 'VirtTest.SlurmLab'
        Path       = $s.path
        SlurmConf  = $s.slurmConf
        Prefix     = $s.prefix
        Subnet     = $s.subnet
        Partition  = $s.partition
        Nodes      = @($s.nodes | ForEach-Object { [pscustomobject]@{ Name = $_.name; Address = $_.address; Namespace = $_.namespace } })
    }
}

$SlurmConf = Join-Path $Path 'etc/slurm.conf'
switch ($Action) {
    'Install' { Install-SlurmPackage }
    'Start' {
        $lab = Start-Lab
        Write-Host "Slurm lab up: $($lab.Nodes.Count) node(s) in $($lab.Path) (prefix $($lab.Prefix), $($lab.Subnet))."
        Write-Host "  `$env:SLURM_CONF = '$($lab.SlurmConf)'"
        $lab
    }
    'Stop' { Stop-Lab }
    'Status' {
        $lab = Get-LabState
        if ($null -eq $lab) { Write-Host "No Slurm lab in $Path."; return }
        $lab
        (Invoke-SlurmClient sinfo @('--Node', '--long')).Output | Out-Host
    }
    'KillNode' {
        $lab = Get-LabState
        if ($null -eq $lab) { throw "No Slurm lab in $Path." }
        $target = @($lab.Nodes | Where-Object Name -eq $Node)
        if ($target.Count -ne 1) { throw "No node '$Node' in the lab (nodes: $(($lab.Nodes | ForEach-Object Name) -join ', '))." }
        Stop-NamespaceProcess $target[0].Namespace
    }
    { $_ -in 'DisconnectNode', 'ConnectNode' } {
        $lab = Get-LabState
        if ($null -eq $lab) { throw "No Slurm lab in $Path." }
        $target = @($lab.Nodes | Where-Object Name -eq $Node)
        if ($target.Count -ne 1) { throw "No node '$Node' in the lab (nodes: $(($lab.Nodes | ForEach-Object Name) -join ', '))." }
        $link = "$($lab.Prefix)$($Node)"
        Invoke-Ip @('link', 'set', $link, $(if ($Action -eq 'DisconnectNode') { 'down' } else { 'up' }))
        if ($Action -eq 'ConnectNode') { Wait-NodeIdle @($Node) }
    }
    'StartNode' {
        $lab = Get-LabState
        if ($null -eq $lab) { throw "No Slurm lab in $Path." }
        $target = @($lab.Nodes | Where-Object Name -eq $Node)
        if ($target.Count -ne 1) { throw "No node '$Node' in the lab (nodes: $(($lab.Nodes | ForEach-Object Name) -join ', '))." }
        if (@(& ip netns pids $target[0].Namespace 2>$null).Count) { throw "Node $Node is running (its namespace has processes): KillNode first." }
        $null = Start-Slurmd $target[0].Name $target[0].Namespace
        Wait-NodeIdle @($Node)
    }
}
