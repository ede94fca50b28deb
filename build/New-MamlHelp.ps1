<#
.SYNOPSIS
    Generates MAML help (VirtTest.PowerShell.dll-Help.xml) for the binary cmdlets.

.DESCRIPTION
    Imports the freshly built module, takes syntax, parameter types, positions, aliases
    and pipeline input from the compiled cmdlets (Get-Command), and the prose from
    module/help/<Cmdlet-Name>.psd1. Fails when a cmdlet has no help source, when the help
    source documents a parameter the cmdlet does not have, or leaves one undocumented.

    build.ps1 runs this in a child process, so the module loads fresh and is not kept
    loaded in the build session.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $HelpSourcePath,
    [Parameter(Mandatory)] [string] $OutFile
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$module = Import-Module -Name $ModulePath -Force -PassThru
$commands = @(Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name)
if ($commands.Count -eq 0) { throw "No cmdlets found in module $ModulePath." }

$common = [System.Collections.Generic.HashSet[string]]::new([StringComparer]::OrdinalIgnoreCase)
foreach ($n in [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters) {
    [void]$common.Add($n)
}

$nsMaml = 'http://schemas.microsoft.com/maml/2004/10'
$nsCommand = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$nsDev = 'http://schemas.microsoft.com/maml/dev/2004/10'

function Get-TypeDisplayName([type] $Type) {
    if ($Type -eq [System.Management.Automation.SwitchParameter]) { return 'SwitchParameter' }
    return $Type.Name
}

function Write-Paras([System.Xml.XmlWriter] $w, [string[]] $Paragraphs) {
    $w.WriteStartElement('maml', 'description', $nsMaml)
    foreach ($p in @($Paragraphs)) {
        if ($null -ne $p) { $w.WriteElementString('para', $nsMaml, [string]$p) }
    }
    $w.WriteEndElement()
}

function Get-PipelineText($Parameter) {
    $kinds = @()
    if ($Parameter.ValueFromPipeline) { $kinds += 'ByValue' }
    if ($Parameter.ValueFromPipelineByPropertyName) { $kinds += 'ByPropertyName' }
    if ($kinds.Count -eq 0) { return 'False' }
    return 'True ({0})' -f ($kinds -join ', ')
}

function Write-Parameter {
    param([System.Xml.XmlWriter] $w, $Info, [string] $Description, [bool] $InSyntax)
    # $Info: a CommandParameterInfo (one parameter set) with Name, ParameterType, IsMandatory,
    # Position, ValueFromPipeline, ValueFromPipelineByPropertyName, Aliases, Attributes.
    $isSwitch = $Info.ParameterType -eq [System.Management.Automation.SwitchParameter]
    $globbing = @($Info.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }).Count -gt 0
    $position = if ($Info.Position -ge 0) { [string]$Info.Position } else { 'named' }
    $aliases = @($Info.Aliases)

    $w.WriteStartElement('command', 'parameter', $nsCommand)
    $w.WriteAttributeString('required', $(if ($Info.IsMandatory) { 'true' } else { 'false' }))
    $w.WriteAttributeString('variableLength', $(if ($Info.ParameterType.IsArray) { 'true' } else { 'false' }))
    $w.WriteAttributeString('globbing', $(if ($globbing) { 'true' } else { 'false' }))
    $w.WriteAttributeString('pipelineInput', (Get-PipelineText $Info))
    $w.WriteAttributeString('position', $position)
    $w.WriteAttributeString('aliases', $(if ($aliases.Count) { $aliases -join ', ' } else { 'none' }))
    $w.WriteElementString('name', $nsMaml, $Info.Name)
    Write-Paras $w @($Description)
    if (-not $isSwitch) {
        $w.WriteStartElement('command', 'parameterValue', $nsCommand)
        $w.WriteAttributeString('required', 'true')
        $w.WriteAttributeString('variableLength', $(if ($Info.ParameterType.IsArray) { 'true' } else { 'false' }))
        $w.WriteString((Get-TypeDisplayName $Info.ParameterType))
        $w.WriteEndElement()
    }
    if (-not $InSyntax) {
        $w.WriteStartElement('dev', 'type', $nsDev)
        $w.WriteElementString('name', $nsMaml, $Info.ParameterType.FullName)
        $w.WriteElementString('uri', $nsMaml, '')
        $w.WriteEndElement()
        $w.WriteElementString('defaultValue', $nsDev, $(if ($isSwitch) { 'False' } else { 'None' }))
    }
    $w.WriteEndElement()
}

$settings = [System.Xml.XmlWriterSettings]::new()
$settings.Indent = $true
$settings.IndentChars = '  '
$settings.NewLineChars = "`n"
$settings.Encoding = [System.Text.UTF8Encoding]::new($false)

$null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent $OutFile)
$w = [System.Xml.XmlWriter]::Create($OutFile, $settings)
try {
    $w.WriteStartDocument()
    $w.WriteStartElement('helpItems', 'http://msh')
    $w.WriteAttributeString('schema', 'maml')

    foreach ($cmd in $commands) {
        $sourceFile = Join-Path $HelpSourcePath "$($cmd.Name).psd1"
        if (-not (Test-Path -LiteralPath $sourceFile)) { throw "No help source for $($cmd.Name): expected $sourceFile" }
        $help = Import-PowerShellDataFile -LiteralPath $sourceFile

        foreach ($key in 'Synopsis', 'Description', 'Parameters', 'Examples') {
            if (-not $help.ContainsKey($key) -or -not $help[$key]) { throw "$sourceFile has no $key." }
        }

        $ownParams = @($cmd.Parameters.Values | Where-Object { -not $common.Contains($_.Name) })
        foreach ($p in $ownParams) {
            if (-not $help.Parameters.ContainsKey($p.Name) -or [string]::IsNullOrWhiteSpace($help.Parameters[$p.Name])) {
                throw "$sourceFile does not document parameter -$($p.Name) of $($cmd.Name)."
            }
        }
        foreach ($name in $help.Parameters.Keys) {
            if (-not $cmd.Parameters.ContainsKey($name)) {
                throw "$sourceFile documents -$name, which $($cmd.Name) does not have."
            }
        }

        $w.WriteStartElement('command', 'command', $nsCommand)
        $w.WriteAttributeString('xmlns', 'maml', $null, $nsMaml)
        $w.WriteAttributeString('xmlns', 'command', $null, $nsCommand)
        $w.WriteAttributeString('xmlns', 'dev', $null, $nsDev)

        # details: name, verb, noun, synopsis
        $w.WriteStartElement('command', 'details', $nsCommand)
        $w.WriteElementString('name', $nsCommand, $cmd.Name)
        $w.WriteElementString('verb', $nsCommand, $cmd.Verb)
        $w.WriteElementString('noun', $nsCommand, $cmd.Noun)
        Write-Paras $w @($help.Synopsis)
        $w.WriteEndElement()

        Write-Paras $w @($help.Description)

        # syntax: one item per parameter set, default set first
        $w.WriteStartElement('command', 'syntax', $nsCommand)
        $sets = @($cmd.ParameterSets | Sort-Object { -not $_.IsDefault }, Name)
        foreach ($set in $sets) {
            $w.WriteStartElement('command', 'syntaxItem', $nsCommand)
            $w.WriteElementString('name', $nsMaml, $cmd.Name)
            $setParams = @($set.Parameters | Where-Object { -not $common.Contains($_.Name) } |
                    Sort-Object { if ($_.Position -ge 0) { $_.Position } else { [int]::MaxValue } }, { -not $_.IsMandatory }, Name)
            foreach ($p in $setParams) {
                Write-Parameter -w $w -Info $p -Description $help.Parameters[$p.Name] -InSyntax $true
            }
            $w.WriteEndElement()
        }
        $w.WriteEndElement()

        # parameters: each once, described by its default-set (or first) occurrence
        $w.WriteStartElement('command', 'parameters', $nsCommand)
        $seen = @{}
        $allInfos = foreach ($set in $sets) { $set.Parameters | Where-Object { -not $common.Contains($_.Name) } }
        foreach ($p in @($allInfos | Sort-Object { if ($_.Position -ge 0) { $_.Position } else { [int]::MaxValue } }, Name)) {
            if ($seen.ContainsKey($p.Name)) { continue }
            $seen[$p.Name] = $true
            Write-Parameter -w $w -Info $p -Description $help.Parameters[$p.Name] -InSyntax $false
        }
        $w.WriteEndElement()

        # inputs / outputs
        $w.WriteStartElement('command', 'inputTypes', $nsCommand)
        foreach ($i in @($help.Inputs)) {
            if (-not $i) { continue }
            $w.WriteStartElement('command', 'inputType', $nsCommand)
            $w.WriteStartElement('dev', 'type', $nsDev)
            $w.WriteElementString('name', $nsMaml, $i.Type)
            $w.WriteEndElement()
            Write-Paras $w @($i.Description)
            $w.WriteEndElement()
        }
        $w.WriteEndElement()

        $w.WriteStartElement('command', 'returnValues', $nsCommand)
        foreach ($o in @($help.Outputs)) {
            if (-not $o) { continue }
            $w.WriteStartElement('command', 'returnValue', $nsCommand)
            $w.WriteStartElement('dev', 'type', $nsDev)
            $w.WriteElementString('name', $nsMaml, $o.Type)
            $w.WriteEndElement()
            Write-Paras $w @($o.Description)
            $w.WriteEndElement()
        }
        $w.WriteEndElement()

        # notes
        $notes = @($help.Notes | Where-Object { $_ })
        if ($notes.Count) {
            $w.WriteStartElement('maml', 'alertSet', $nsMaml)
            $w.WriteStartElement('maml', 'alert', $nsMaml)
            foreach ($n in $notes) { $w.WriteElementString('para', $nsMaml, $n) }
            $w.WriteEndElement()
            $w.WriteEndElement()
        }

        # examples
        $w.WriteStartElement('command', 'examples', $nsCommand)
        $index = 0
        foreach ($ex in @($help.Examples)) {
            $index++
            if (-not $ex.Code) { throw "$sourceFile example $index has no Code." }
            $w.WriteStartElement('command', 'example', $nsCommand)
            $title = if ($ex.Title) { "Example ${index}: $($ex.Title)" } else { "Example $index" }
            $w.WriteElementString('title', $nsMaml, "-------------------------- $title --------------------------")
            $w.WriteElementString('code', $nsDev, ($ex.Code -replace "`r`n", "`n"))
            $w.WriteStartElement('dev', 'remarks', $nsDev)
            foreach ($r in @($ex.Remarks)) { if ($r) { $w.WriteElementString('para', $nsMaml, $r) } }
            $w.WriteEndElement()
            $w.WriteEndElement()
        }
        $w.WriteEndElement()

        # related links
        $w.WriteStartElement('command', 'relatedLinks', $nsCommand)
        foreach ($link in @($help.RelatedLinks)) {
            if (-not $link) { continue }
            $w.WriteStartElement('maml', 'navigationLink', $nsMaml)
            $w.WriteElementString('linkText', $nsMaml, $link)
            $w.WriteElementString('uri', $nsMaml, '')
            $w.WriteEndElement()
        }
        $w.WriteEndElement()

        $w.WriteEndElement() # command:command
    }

    $w.WriteEndElement() # helpItems
    $w.WriteEndDocument()
}
finally {
    $w.Dispose()
}

Write-Verbose "Wrote $OutFile ($($commands.Count) cmdlets)"
