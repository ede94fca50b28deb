using System.Reflection;
using System.Runtime.Loader;

namespace VirtTest.Loader;

/// <summary>
/// A private load context for the module's own assemblies and their dependencies (SSH.NET,
/// BouncyCastle, YamlDotNet, the Microsoft.Extensions abstractions), so the module works in a
/// session where another module loaded other versions of them first (Posh-SSH ships its own
/// SSH.NET). Everything in the module's <c>lib</c> folder loads here; anything else (PowerShell,
/// the framework) comes from the default context as usual.
/// </summary>
public sealed class ModuleLoadContext : AssemblyLoadContext
{
    /// <summary>The folder beside this assembly that holds the cmdlets and their dependencies.</summary>
    public const string LibraryFolder = "lib";

    /// <summary>The assembly with the cmdlets, inside <see cref="LibraryFolder"/>.</summary>
    public const string CmdletAssembly = "VirtTest.PowerShell";

    private static readonly object Gate = new();
    private static ModuleLoadContext? _instance;

    private readonly string _directory;
    private readonly AssemblyName _loaderName = typeof(ModuleLoadContext).Assembly.GetName();

    private ModuleLoadContext(string directory) : base("VirtTest", isCollectible: false)
    {
        _directory = directory;
    }

    /// <summary>The cmdlet assembly, loaded (once per process) into the private context.</summary>
    public static Assembly Initialize()
    {
        lock (Gate)
        {
            var directory = Path.Combine(Path.GetDirectoryName(typeof(ModuleLoadContext).Assembly.Location)!, LibraryFolder);
            _instance ??= new ModuleLoadContext(directory);
            return _instance.LoadFromAssemblyName(new AssemblyName(CmdletAssembly));
        }
    }

    /// <summary>The private context, once <see cref="Initialize"/> ran.</summary>
    public static AssemblyLoadContext? Instance => _instance;

    /// <summary>The module's own assemblies (cmdlets and core library) in the private context, for type names.</summary>
    public static IReadOnlyList<Assembly> ModuleAssemblies()
    {
        var cmdlets = Initialize();
        return new[] { cmdlets, _instance!.LoadFromAssemblyName(new AssemblyName("VirtTest.Core")) };
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        // The loader itself stays the default context's copy.
        if (AssemblyName.ReferenceMatchesDefinition(_loaderName, assemblyName)) return typeof(ModuleLoadContext).Assembly;
        var path = Path.Combine(_directory, assemblyName.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) => IntPtr.Zero;
}
