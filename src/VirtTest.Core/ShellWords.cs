using System.Text;

namespace VirtTest.Core;

/// <summary>Command lines written in params (<c>extra_params</c>, <c>pre_command</c>) as argument lists.</summary>
public static class ShellWords
{
    /// <summary>
    /// Splits text into arguments the way a POSIX shell would split words (quotes and
    /// backslashes), without running one.
    /// </summary>
    public static IReadOnlyList<string> Split(string text)
    {
        var result = new List<string>();
        var current = new StringBuilder();
        var inWord = false;
        char quote = '\0';
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
                else if (c == '\\' && quote == '"' && i + 1 < text.Length && text[i + 1] is '"' or '\\') current.Append(text[++i]);
                else current.Append(c);
            }
            else if (c is '\'' or '"') { quote = c; inWord = true; }
            else if (c == '\\' && i + 1 < text.Length) { current.Append(text[++i]); inWord = true; }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) { result.Add(current.ToString()); current.Clear(); inWord = false; }
            }
            else { current.Append(c); inWord = true; }
        }
        if (quote != '\0') throw new FormatException($"Unclosed {quote} quote in '{text}'.");
        if (inWord) result.Add(current.ToString());
        return result;
    }
}
