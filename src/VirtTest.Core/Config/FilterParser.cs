namespace VirtTest.Core.Config;

/// <summary>
/// Parses the filter syntax shared by only/no/join, conditional blocks and dependencies:
/// <c>,</c> or white space separate alternatives, <c>..</c> joins conditions that must all hold,
/// <c>.</c> chains names that must follow each other, <c>(name=value)</c> names a block's value.
/// </summary>
internal static class FilterParser
{
    private static readonly Tok[] First = { Tok.Identifier, Tok.LParen, Tok.EndL, Tok.White };
    private static readonly Tok[] SetOrClose = { Tok.Set, Tok.RParen };
    private static readonly Tok[] NameOrText = { Tok.Identifier, Tok.String };
    private static readonly Tok[] AfterSeparator = { Tok.Identifier, Tok.Comma, Tok.Dot, Tok.LParen, Tok.EndL };
    private static readonly Tok[] AfterName = { Tok.Identifier, Tok.Comma, Tok.Dot, Tok.LParen, Tok.EndL, Tok.White };

    public static Label[][][] Parse(Lexer lexer, TokenBuffer tokens)
    {
        var orFilters = new List<Label[][]>();
        var andFilter = new List<Label[]>();
        var conFilter = new List<Label>();
        var dots = 1;
        var pos = 0;
        Token NextToken() => pos < tokens.Count ? tokens[pos++] : new Token(Tok.EndL);
        Token NextNonWhite()
        {
            var t = NextToken();
            while (t.Kind == Tok.White) t = NextToken();
            return t;
        }
        ConfigError Error(string problem, string expected) =>
            new(ConfigErrorKind.Filter, problem, lexer.FileName, lexer.LineNumber, lexer.Line, expected: expected);

        var token = lexer.Check(NextToken(), First);
        while (token.Kind != Tok.EndL)
        {
            if (token.Kind is Tok.Identifier or Tok.LParen)
            {
                Label label;
                if (token.Kind == Tok.LParen)
                {
                    var ident = lexer.Check(NextNonWhite(), Tok.Identifier);
                    var sep = lexer.Check(NextNonWhite(), SetOrClose);
                    if (sep.Kind == Tok.RParen)
                    {
                        label = new Label(ident.Text);
                    }
                    else
                    {
                        var value = lexer.Check(NextNonWhite(), NameOrText);
                        lexer.Check(NextNonWhite(), Tok.RParen);
                        label = new Label(value.Text, ident.Text);
                    }
                }
                else
                {
                    label = new Label(token.Text);
                }
                if (dots == 1)
                {
                    conFilter.Add(label);
                }
                else if (dots == 2)
                {
                    andFilter.Add(conFilter.ToArray());
                    conFilter = new List<Label> { label };
                }
                else
                {
                    throw Error("two names without '.' or '..' between them, or too many dots", "'.', '..' or ',' between names");
                }
                dots = 0;
            }
            else if (token.Kind == Tok.Dot)
            {
                dots++;
            }
            else if (token.Kind is Tok.Comma or Tok.White)
            {
                if (dots > 0) throw Error("a filter ends with '.' or starts with ','", "a name between '.' and ','");
                if (andFilter.Count > 0)
                {
                    if (conFilter.Count > 0) andFilter.Add(conFilter.ToArray());
                    conFilter = new List<Label>();
                    orFilters.Add(andFilter.ToArray());
                    andFilter = new List<Label[]>();
                }
                else if (conFilter.Count > 0)
                {
                    orFilters.Add(new[] { conFilter.ToArray() });
                    conFilter = new List<Label>();
                }
                else
                {
                    throw Error("empty alternative", "a name before ','");
                }
                dots = 1;
                token = lexer.Check(NextNonWhite(), AfterSeparator);
                continue;
            }
            token = lexer.Check(NextToken(), AfterName);
        }
        if (andFilter.Count > 0)
        {
            if (conFilter.Count > 0) andFilter.Add(conFilter.ToArray());
            conFilter = new List<Label>();
            orFilters.Add(andFilter.ToArray());
        }
        if (conFilter.Count > 0) orFilters.Add(new[] { conFilter.ToArray() });
        return orFilters.ToArray();
    }
}
