using System.Management.Automation;

namespace VirtTest.PowerShell.Completion;

/// <summary>What every completer here does with its candidates: match the typed prefix, quote where needed.</summary>
internal static class CompletionText
{
    /// <summary>The candidates that start with the typed word (case-insensitive, quotes the user typed ignored), as completions.</summary>
    public static IEnumerable<CompletionResult> Matching(IEnumerable<string> candidates, string? wordToComplete, CompletionResultType type, Func<string, string>? tooltip = null)
    {
        var typed = (wordToComplete ?? "").Trim('\'', '"');
        foreach (var candidate in candidates.Distinct(StringComparer.OrdinalIgnoreCase).OrderBy(c => c, StringComparer.OrdinalIgnoreCase))
        {
            if (!candidate.StartsWith(typed, StringComparison.OrdinalIgnoreCase)) continue;
            yield return new CompletionResult(Quote(candidate), candidate, type, tooltip?.Invoke(candidate) ?? candidate);
        }
    }

    /// <summary>Single-quotes a value that a bare word would not carry (spaces, quotes, special characters).</summary>
    public static string Quote(string value) =>
        value.Length > 0 && value.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '/')
            ? value
            : "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}
