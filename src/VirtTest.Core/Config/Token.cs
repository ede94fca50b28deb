namespace VirtTest.Core.Config;

internal enum Tok
{
    Indent, EndBlock, EndL,
    Identifier, White, String,
    Colon, Variants, Dot, Variant, Default, Only, No, Include, Del, Suffix, Join, NotCond,
    Comma, LBracket, RBracket, LParen, RParen,
    Set, Append, Prepend, LazySet, RegexSet, RegexAppend, RegexPrepend,
}

internal readonly record struct Token(Tok Kind, string Text = "", int Indent = 0)
{
    public bool IsOperator => Kind is >= Tok.Set and <= Tok.RegexPrepend;
    public bool IsText => Kind is Tok.Identifier or Tok.White or Tok.String;

    public AssignKind AssignKind => Kind switch
    {
        Tok.Set => AssignKind.Set,
        Tok.Append => AssignKind.Append,
        Tok.Prepend => AssignKind.Prepend,
        Tok.LazySet => AssignKind.LazySet,
        Tok.RegexSet => AssignKind.RegexSet,
        Tok.RegexAppend => AssignKind.RegexAppend,
        Tok.RegexPrepend => AssignKind.RegexPrepend,
        _ => throw new InvalidOperationException(Kind + " is not an operator"),
    };

    /// <summary>The token as it stands in the source (the text of a name, the symbol of punctuation).</summary>
    public string SourceText => IsText ? Text : Symbol(Kind);

    public static string Symbol(Tok kind) => kind switch
    {
        Tok.Indent or Tok.EndBlock => "indent",
        Tok.EndL => "end of line",
        Tok.Identifier => "name",
        Tok.White => "white space",
        Tok.String => "text",
        Tok.Colon => ":",
        Tok.Variants => "variants",
        Tok.Dot => ".",
        Tok.Variant => "-",
        Tok.Default => "@",
        Tok.Only => "only",
        Tok.No => "no",
        Tok.Include => "include",
        Tok.Del => "del",
        Tok.Suffix => "suffix",
        Tok.Join => "join",
        Tok.NotCond => "!",
        Tok.Comma => ",",
        Tok.LBracket => "[",
        Tok.RBracket => "]",
        Tok.LParen => "(",
        Tok.RParen => ")",
        Tok.Set => "=",
        Tok.Append => "+=",
        Tok.Prepend => "<=",
        Tok.LazySet => "~=",
        Tok.RegexSet => "?=",
        Tok.RegexAppend => "?+=",
        Tok.RegexPrepend => "?<=",
        _ => kind.ToString(),
    };

    public string Describe() => Kind switch
    {
        Tok.Identifier => "name '" + Text + "'",
        Tok.String => "text '" + Text + "'",
        Tok.White => "white space",
        _ => "'" + Symbol(Kind) + "'",
    };
}
