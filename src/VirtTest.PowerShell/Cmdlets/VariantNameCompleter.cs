using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using VirtTest.Core.Config;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// Tab completion for <c>Expand-VirtConfig -Filter</c>: parses the files already given
/// to -Path (and -Text) and offers the variant names that start with the word typed.
/// </summary>
/// <remarks>
/// Completes the last segment of a filter, so <c>-Filter 'only qcow2..sm&lt;Tab&gt;</c>
/// offers <c>'only qcow2..smp2'</c>. Never throws: any failure yields no completions.
/// </remarks>
public sealed class VariantNameCompleter : IArgumentCompleter
{
    private static readonly char[] Separators = { ' ', '\t', ',', '.', '(', '=' };

    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName,
        string parameterName,
        string wordToComplete,
        CommandAst commandAst,
        IDictionary fakeBoundParameters)
    {
        try
        {
            return Complete(wordToComplete ?? string.Empty, fakeBoundParameters);
        }
        catch
        {
            // A completer must never throw; a broken config simply completes nothing.
            return Array.Empty<CompletionResult>();
        }
    }

    private static List<CompletionResult> Complete(string wordToComplete, IDictionary? fakeBoundParameters)
    {
        var results = new List<CompletionResult>();
        if (fakeBoundParameters is null)
        {
            return results;
        }

        var config = new CartesianConfig();
        var parsedAny = false;
        foreach (var path in PathsFrom(fakeBoundParameters["Path"]))
        {
            foreach (var file in ResolvePath(path))
            {
                try
                {
                    config.ParseFile(file);
                    parsedAny = true;
                }
                catch (Exception)
                {
                    // Skip unreadable or broken files; names from the others still help.
                }
            }
        }
        if (Unwrap(fakeBoundParameters["Text"]) is string text)
        {
            try
            {
                config.ParseString(text, "<text>");
                parsedAny = true;
            }
            catch (Exception)
            {
            }
        }
        if (!parsedAny)
        {
            return results;
        }

        // Strip the quote the user may have opened, then complete the last segment.
        var quote = wordToComplete.Length > 0 && (wordToComplete[0] == '\'' || wordToComplete[0] == '"')
            ? wordToComplete[0].ToString()
            : string.Empty;
        var word = quote.Length > 0 ? wordToComplete[1..] : wordToComplete;
        if (quote.Length > 0 && word.EndsWith(quote, StringComparison.Ordinal))
        {
            word = word[..^1];
        }
        var cut = word.LastIndexOfAny(Separators) + 1;
        var prefix = word[..cut];
        var partial = word[cut..];

        foreach (var name in config.VariantNames
                     .Where(n => n.StartsWith(partial, StringComparison.OrdinalIgnoreCase))
                     .Distinct(StringComparer.Ordinal)
                     .OrderBy(n => n, StringComparer.OrdinalIgnoreCase))
        {
            var value = prefix + name;
            // Close a "(name=value" that the user opened.
            if (prefix.Count(c => c == '(') > prefix.Count(c => c == ')'))
            {
                value += ")";
            }
            var completion = NeedsQuotes(value) || quote.Length > 0
                ? "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'"
                : value;
            results.Add(new CompletionResult(completion, name, CompletionResultType.ParameterValue, name));
        }
        return results;
    }

    private static bool NeedsQuotes(string value) =>
        value.IndexOfAny(new[] { ' ', '\t', ',', '(', ')', '\'', '"', '$', ';', '{', '}', '@', '#' }) >= 0;

    private static object? Unwrap(object? value) => value is PSObject pso ? pso.BaseObject : value;

    private static IEnumerable<string> PathsFrom(object? value)
    {
        value = Unwrap(value);
        switch (value)
        {
            case null:
                yield break;
            case string s:
                yield return s;
                yield break;
            case FileSystemInfo info:
                yield return info.FullName;
                yield break;
            case IEnumerable items:
                foreach (var item in items)
                {
                    var inner = Unwrap(item);
                    if (inner is FileSystemInfo fsi)
                    {
                        yield return fsi.FullName;
                    }
                    else if (inner is not null)
                    {
                        yield return inner.ToString() ?? string.Empty;
                    }
                }
                yield break;
            default:
                yield return value.ToString() ?? string.Empty;
                yield break;
        }
    }

    /// <summary>
    /// Resolves a (possibly relative or wildcard) PowerShell path against the current
    /// location of the runspace the completer runs in.
    /// </summary>
    private static IEnumerable<string> ResolvePath(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return Array.Empty<string>();
        }
        try
        {
            using var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
            ps.AddCommand("Microsoft.PowerShell.Management\\Resolve-Path")
              .AddParameter("Path", path)
              .AddParameter("ErrorAction", "Ignore");
            var resolved = ps.Invoke()
                .Select(o => Unwrap(o) as PathInfo)
                .Where(p => p is not null && p.Provider.Name == "FileSystem")
                .Select(p => p!.ProviderPath)
                .Where(File.Exists)
                .ToList();
            return resolved;
        }
        catch (Exception)
        {
            var full = System.IO.Path.GetFullPath(path);
            return File.Exists(full) ? new[] { full } : Array.Empty<string>();
        }
    }
}
