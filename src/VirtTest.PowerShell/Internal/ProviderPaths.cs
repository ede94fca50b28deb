using System.Collections.ObjectModel;
using System.Management.Automation;

namespace VirtTest.PowerShell.Internal;

/// <summary>Resolves PowerShell paths (wildcards, PSDrives, PSPath) to file-system paths.</summary>
internal static class ProviderPaths
{
    /// <summary>
    /// Resolves <paramref name="path"/> to existing file-system paths. Writes a
    /// non-terminating ObjectNotFound error (and returns nothing) when nothing matches.
    /// </summary>
    public static IReadOnlyList<string> ResolveFiles(PSCmdlet cmdlet, string path)
    {
        Collection<string> resolved;
        ProviderInfo provider;
        try
        {
            resolved = cmdlet.GetResolvedProviderPathFromPSPath(path, out provider);
        }
        catch (ItemNotFoundException ex)
        {
            cmdlet.WriteError(ErrorRecords.PathNotFound(path, ex));
            return Array.Empty<string>();
        }
        catch (System.Management.Automation.DriveNotFoundException ex)
        {
            cmdlet.WriteError(ErrorRecords.PathNotFound(path, ex));
            return Array.Empty<string>();
        }
        catch (ProviderNotFoundException ex)
        {
            cmdlet.WriteError(ErrorRecords.PathNotFound(path, ex));
            return Array.Empty<string>();
        }

        if (!string.Equals(provider.Name, "FileSystem", StringComparison.OrdinalIgnoreCase))
        {
            cmdlet.WriteError(ErrorRecords.NotAFile(path, provider.Name));
            return Array.Empty<string>();
        }
        if (resolved.Count == 0)
        {
            // A wildcard that matched nothing.
            cmdlet.WriteError(ErrorRecords.PathNotFound(path));
        }
        return resolved;
    }
}
