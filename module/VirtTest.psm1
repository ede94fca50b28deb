# VirtTest's root module. The cmdlets (lib/VirtTest.PowerShell.dll) and every assembly they
# depend on load into a private assembly load context, so other versions of SSH.NET, YamlDotNet
# or the Microsoft.Extensions abstractions that another module loaded first do not matter.
# Only VirtTest.Loader.dll loads into the default context: it creates that private context.

$importModule = Get-Command -Name Import-Module -Module Microsoft.PowerShell.Core
if (-not ('VirtTest.Loader.ModuleLoadContext' -as [type])) {
    Add-Type -Path ([System.IO.Path]::Combine($PSScriptRoot, 'VirtTest.Loader.dll'))
}
$cmdletAssembly = [VirtTest.Loader.ModuleLoadContext]::Initialize()
$inner = & $importModule -Assembly $cmdletAssembly -PassThru

# Import-Module -Assembly returns a cached module for an assembly imported before (a second
# Import-Module -Force, another runspace) without adding its cmdlets to this module's exports:
# add them, so every import exports the cmdlets. (PowerShell issue #20710.)
if ($inner) {
    $addExportedCmdlet = [System.Management.Automation.PSModuleInfo].GetMethod(
        'AddExportedCmdlet', [System.Reflection.BindingFlags]'Instance, NonPublic')
    foreach ($cmdlet in $inner.ExportedCmdlets.Values) {
        $addExportedCmdlet.Invoke($ExecutionContext.SessionState.Module, @(, $cmdlet))
    }
}

# Type literals such as [VirtTest.Core.Runner.TestSkippedException] only find types of the default
# load context; the module's public types are made known by their full names.
$typeAccelerators = [psobject].Assembly.GetType('System.Management.Automation.TypeAccelerators')
foreach ($assembly in [VirtTest.Loader.ModuleLoadContext]::ModuleAssemblies()) {
    foreach ($type in $assembly.GetExportedTypes()) {
        if ($type.IsNested -or $type.IsGenericTypeDefinition) { continue }
        $typeAccelerators::Add($type.FullName, $type)
    }
}
