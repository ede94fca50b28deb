using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace VirtTest.Core.Network;

/// <summary>
/// Runs iproute2's <c>ip</c>, in the host's network namespace or (with <c>-n NAME</c>) in a
/// named one, and turns its failures into typed errors: permission denied, no such device
/// or namespace, exists already.
/// </summary>
public static class IpCommand
{
    /// <summary>Deadline of one <c>ip</c> call: they are netlink round trips, normally milliseconds.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs <c>ip [-n ns] args</c>; throws a typed error when it fails. Returns standard output.</summary>
    public static async Task<string> RunAsync(string? networkNamespace, IReadOnlyList<string> arguments, CancellationToken ct = default)
    {
        var result = await NetworkTool.RunAsync(NetworkTool.Ip, WithNamespace(networkNamespace, arguments), Timeout, ct).ConfigureAwait(false);
        if (!result.Succeeded) throw ToException(result, networkNamespace);
        return result.StandardOutput;
    }

    /// <summary>Runs <c>ip -j [-n ns] args</c> and parses its JSON output (an array; empty output is an empty array).</summary>
    public static async Task<JsonArray> JsonAsync(string? networkNamespace, IReadOnlyList<string> arguments, CancellationToken ct = default)
    {
        var output = await RunAsync(networkNamespace, new[] { "-j" }.Concat(arguments).ToList(), ct).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(output)) return new JsonArray();
        return JsonNode.Parse(output) as JsonArray ?? throw new NetworkException(null, $"'ip -j {string.Join(' ', arguments)}' did not print a JSON array: {output.Trim()}");
    }

    /// <summary>Runs <c>ip</c> and reports whether it succeeded (for deletions of what may be gone already).</summary>
    public static async Task<ToolResult> TryRunAsync(string? networkNamespace, IReadOnlyList<string> arguments, CancellationToken ct = default) =>
        await NetworkTool.RunAsync(NetworkTool.Ip, WithNamespace(networkNamespace, arguments), Timeout, ct).ConfigureAwait(false);

    private static List<string> WithNamespace(string? ns, IReadOnlyList<string> arguments)
    {
        var list = new List<string>(arguments.Count + 2);
        if (ns is not null)
        {
            list.Add("-n");
            list.Add(ns);
        }
        list.AddRange(arguments);
        return list;
    }

    /// <summary>The typed error for a failed <c>ip</c> call, by its message.</summary>
    internal static NetworkException ToException(ToolResult result, string? networkNamespace)
    {
        var error = result.StandardError.Trim();
        if (error.Length == 0) error = result.StandardOutput.Trim();
        var where = networkNamespace is null ? "" : $" (network namespace '{networkNamespace}')";
        var what = $"'{result.CommandLine}' failed{where}: {error}";
        if (error.Contains("Operation not permitted", StringComparison.Ordinal) || error.Contains("Permission denied", StringComparison.Ordinal))
            return new NetworkPermissionException(networkNamespace, $"run '{result.CommandLine}'", error);
        if (Regex.Match(error, "Cannot find device \"([^\"]+)\"|Device \"([^\"]+)\" does not exist|argument \"([^\"]+)\" is wrong: Device does not exist") is { Success: true } device)
        {
            var name = device.Groups.Values.Skip(1).First(g => g.Success).Value;
            return new NetworkObjectNotFoundException(name, $"Interface '{name}' does not exist{where}: {what}");
        }
        if (Regex.Match(error, "Cannot open network namespace \"([^\"]+)\"|namespace file \"/run/netns/([^\"]+)\": No such file") is { Success: true } ns)
        {
            var name = ns.Groups.Values.Skip(1).First(g => g.Success).Value;
            return new NetworkObjectNotFoundException(name, $"Network namespace '{name}' does not exist: {what}");
        }
        if (error.StartsWith("Cannot open network namespace: No such file", StringComparison.Ordinal))
            return new NetworkObjectNotFoundException(networkNamespace ?? "", $"The network namespace does not exist: {what}");
        if (error.Contains("File exists", StringComparison.Ordinal))
            return new NetworkObjectExistsException(networkNamespace ?? "", what);
        return new NetworkException(networkNamespace, what);
    }
}
