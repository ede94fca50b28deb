using System.Management.Automation;
using VirtTest.Core.Network;

namespace VirtTest.PowerShell.Internal;

/// <summary>Finds this session's test networks by name patterns; a plain name that matches nothing is a non-terminating error.</summary>
internal static class TestNetworkLookup
{
    public static IReadOnlyList<TestNetwork> Find(VirtCmdlet cmdlet, IEnumerable<string> patterns)
    {
        var found = new List<TestNetwork>();
        foreach (var pattern in patterns)
        {
            var wildcard = new WildcardPattern(pattern, WildcardOptions.IgnoreCase);
            var matches = TestNetworkRegistry.Default.All.Where(n => wildcard.IsMatch(n.Name)).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(pattern))
            {
                cmdlet.WriteError(new ErrorRecord(
                    new ItemNotFoundException($"No test network named '{pattern}' exists in this session (Get-VirtTestNetwork lists them)."),
                    "VirtTest.TestNetworkNotFound", ErrorCategory.ObjectNotFound, pattern));
            }
            found.AddRange(matches.Where(m => !found.Contains(m)));
        }
        return found;
    }
}
