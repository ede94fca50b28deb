namespace VirtTest.Core.Config;

/// <summary>
/// Builds the variant tree from Cartesian config text. Statement order, block nesting and the
/// batching of plain assignments follow the reference parser, because the order in which
/// statements reach a dict decides its values.
/// </summary>
internal sealed class ConfigParser
{
    private static readonly Tok[] IndentKinds = { Tok.Indent, Tok.EndBlock };
    private static readonly Tok[] BlockAllowed =
        { Tok.Variants, Tok.Identifier, Tok.Only, Tok.No, Tok.Include, Tok.Del, Tok.NotCond, Tok.Suffix, Tok.Join };
    private static readonly Tok[] VariantsAllowed = { Tok.Variant };
    private static readonly Tok[] IdentifierEnd =
        { Tok.Set, Tok.Append, Tok.Prepend, Tok.LazySet, Tok.RegexSet, Tok.RegexAppend, Tok.RegexPrepend, Tok.Colon, Tok.EndL };
    private static readonly Tok[] VariantsHeaderEnd = { Tok.LBracket, Tok.Colon, Tok.Identifier, Tok.EndL };
    private static readonly Tok[] NameParts = { Tok.Identifier, Tok.Dot };
    private static readonly Tok[] ColonOnly = { Tok.Colon };
    private static readonly Tok[] ColonOrEnd = { Tok.Colon, Tok.EndL };
    private static readonly Tok[] BracketEnd = { Tok.RBracket, Tok.EndL };
    private static readonly Tok[] EndOfLine = { Tok.EndL };
    private static readonly Tok[] SetOrBracket = { Tok.Set, Tok.RBracket };
    private static readonly Tok[] VariantName = { Tok.Identifier, Tok.Default };
    private static readonly Tok[] VariantNameOrEnd = { Tok.Identifier, Tok.Default, Tok.Indent, Tok.EndBlock };

    private readonly Stack<string> _includeStack = new();
    // Token lists that are read at once and not kept (a statement's rest, a filter, a variant's
    // name): reused line after line rather than made per line.
    private readonly TokenBuffer _scratch = new();
    private readonly TokenBuffer _lineScratch = new();
    private readonly TokenBuffer _nameScratch = new();
    // One string per key name: dict lookups then mostly compare a string with itself.
    private readonly KeyNamePool _keyNames = new();
    private readonly ValuePool _values = new();
    private readonly HashSet<string> _variantNames = new(StringComparer.Ordinal);
    private readonly FilterLineMemo _filterLines = new();

    /// <summary>Whether filter lines seen before are taken from <see cref="FilterLineMemo"/> (off only in tests).</summary>
    internal bool RememberFilterLines { get; set; } = true;

    public Node Root { get; private set; } = new();

    /// <summary>Every variant name seen so far (for completion).</summary>
    public IReadOnlyCollection<string> VariantNames
    {
        get
        {
            if (_storedVariantNames is { } read)
            {
                // A tree from the parse cache: its names first, then those parsed after it.
                _storedVariantNames = null;
                var parsed = _variantNames.ToList();
                _variantNames.Clear();
                _variantNames.UnionWith(read());
                _variantNames.UnionWith(parsed);
            }
            return _variantNames;
        }
    }

    // The variant names of a tree restored from the parse cache, read on first use.
    private Func<List<string>>? _storedVariantNames;

    /// <summary>Every file read so far (top-level files and includes), with a hash of its bytes, in reading order.</summary>
    public List<ConfigSource> FilesRead { get; } = new();

    public void ParseFile(string path)
    {
        var full = Path.GetFullPath(path);
        SourceText text;
        try
        {
            text = SourceText.OpenFile(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var kind = e is FileNotFoundException or DirectoryNotFoundException ? ConfigErrorKind.MissingInclude : ConfigErrorKind.Parser;
            throw new ConfigError(kind, "cannot read config file: " + e.Message, path, 0, inner: e);
        }
        _includeStack.Push(full);
        try
        {
            Root = (Node)ParseSource(text, full, path, Root);
        }
        finally
        {
            _includeStack.Pop();
            text.Dispose();
        }
    }

    /// <summary>
    /// Parses an opened file and records it in <see cref="FilesRead"/>: in reading order (before
    /// the files it includes), with the hash of its bytes, known once the file is read.
    /// </summary>
    private IContentHolder ParseSource(SourceText text, string fullPath, string name, IContentHolder node)
    {
        var index = FilesRead.Count;
        FilesRead.Add(new ConfigSource(fullPath, ""));
        try
        {
            node = Parse(new Lexer(new LineReader(text, name, isFile: true)), node, -1);
        }
        catch (ConfigError)
        {
            // A file that stops the parse is still listed with the hash of its bytes, as before it was read whole.
            try { FilesRead[index] = new ConfigSource(fullPath, text.FinishHash()!); }
            catch (ConfigError) { }
            throw;
        }
        FilesRead[index] = new ConfigSource(fullPath, text.FinishHash()!);
        return node;
    }

    /// <summary>Continues from a tree parsed before (restored from the parse cache).</summary>
    internal void Restore(Node root, Func<List<string>> variantNames, IEnumerable<ConfigSource> filesRead)
    {
        Root = root;
        _storedVariantNames = variantNames;
        FilesRead.AddRange(filesRead);
    }

    public void ParseString(string text, string name, string? baseDirectory)
    {
        _stringBase = baseDirectory;
        Root = (Node)Parse(new Lexer(new LineReader(SourceText.FromString(text), name, isFile: false)), Root, -1);
    }

    private string? _stringBase;

    private string Pooled(string key) => _keyNames.Get(key).Name;

    // Batches of plain sets are copied into their statement when flushed; the dicts that gathered
    // them are kept for the next block (one per block open at once, not one per block).
    private readonly Stack<WorkingDict> _freeBatches = new();

    private WorkingDict RentBatch() => _freeBatches.Count > 0 ? _freeBatches.Pop() : new WorkingDict(16);

    private IContentHolder Parse(Lexer lexer, IContentHolder node, int prevIndent)
    {
        var allowed = BlockAllowed;
        var varIndent = 0;
        var varName = "";
        Dictionary<string, List<TokenBuffer?>>? meta = null; // a null entry: [flag] without value
        WorkingDict? batch = null;   // made when the block has a plain assignment
        ContentItem? suffix = null;
        lexer.Fast = true;

        while (true)
        {
            lexer.PrevIndent = prevIndent;
            var head = lexer.Expect(IndentKinds);
            if (head.Kind == Tok.EndBlock)
            {
                Flush(lexer, node, ref batch);
                if (suffix is not null) node.Content.Add(suffix);
                return node;
            }
            var indent = head.Indent;
            if (ReferenceEquals(allowed, BlockAllowed) && lexer.TryTakeAssignment(out var nameText, out var opKind, out var valueText))
            {
                // The common line, read without tokens: what the Identifier case below does with one.
                var key = _keyNames.Get(nameText);
                if (valueText.Length > 0 && ((valueText[0] == '"' && valueText[^1] == '"') || (valueText[0] == '\'' && valueText[^1] == '\'')))
                    valueText = valueText.Length >= 2 ? valueText.Slice(1, valueText.Length - 2) : default;
                if (opKind == Tok.Set && valueText.IndexOf('$') < 0)
                {
                    // A plain set goes into the block's batch as AssignOp.Apply would put it there.
                    var b = batch ??= RentBatch();
                    if (!key.Reserved)
                    {
                        if (key.Plain) b.SetPlain(key.Name, key.Hash, _values.Get(valueText), key.Postfix);
                        else b.Set(key.Name, key.Hash, _values.Get(valueText));
                    }
                    continue;
                }
                AddAssignment(lexer, node, new AssignOp(lexer.FileName, lexer.LineNumber, new Token(opKind).AssignKind, key.Name, _values.Get(valueText)), ref batch);
                continue;
            }
            if (RememberFilterLines && ReferenceEquals(allowed, BlockAllowed) && lexer.Fast && lexer.TryPeekLine(out var lineText) && _filterLines.TryGet(lineText, out var known))
            {
                // A filter line read before: what the Only/No and conditional cases below made of it.
                lexer.TakeLine();
                if (known.Kind is FilterKind.Condition or FilterKind.NegativeCondition)
                {
                    ParseConditionBody(lexer, node, known.Kind, known.Words, known.Line, indent, ref batch);
                }
                else
                {
                    Flush(lexer, node, ref batch);
                    node.Content.Add(new FilterStatement(lexer.FileName, lexer.LineNumber, known.Kind, known.Words, known.Line));
                }
                continue;
            }
            var token = lexer.Expect(allowed);
            switch (token.Kind)
            {
                case Tok.Identifier:
                {
                    var rest = lexer.UntilInto(_scratch, IdentifierEnd, dropWhite: true);
                    var last = rest[^1];
                    if (last.IsOperator)
                    {
                        var name = rest.Count == 1 ? token.Text : token.Text + rest.SourceText(rest.Count - 1);
                        var value = lexer.Expect(Tok.String).Text;
                        if (value.Length > 0 && ((value[0] == '"' && value[^1] == '"') || (value[0] == '\'' && value[^1] == '\'')))
                            value = value.Length >= 2 ? value.Substring(1, value.Length - 2) : "";
                        AddAssignment(lexer, node, new AssignOp(lexer.FileName, lexer.LineNumber, last.AssignKind, Pooled(name), _values.Get(value)), ref batch);
                        lexer.Expect(Tok.EndL);
                    }
                    else if (last.Kind == Tok.Colon)
                    {
                        var filterTokens = _lineScratch;
                        filterTokens.Clear();
                        filterTokens.Add(token);
                        filterTokens.AddRange(rest, rest.Count - 1);
                        var words = FilterParser.Parse(lexer, filterTokens);
                        ParseConditionBody(lexer, node, FilterKind.Condition, words, indent, ref batch);
                    }
                    else
                    {
                        throw lexer.ParseError("a statement must be an assignment or a filter block", "':' or an assignment operator");
                    }
                    break;
                }
                case Tok.Variant:
                {
                    Flush(lexer, node, ref batch);
                    node = ParseVariants(lexer, (Node)node, varName, varIndent, indent, meta ??= new(StringComparer.Ordinal));
                    allowed = BlockAllowed;
                    break;
                }
                case Tok.Variants:
                {
                    if (node is ConditionHolder)
                        throw lexer.ParseError("'variants' is not allowed inside a conditional block");
                    lexer.Fast = false;
                    var header = lexer.Until(VariantsHeaderEnd, dropWhite: true);
                    var kind = header[^1].Kind;
                    varName = "";
                    (meta ??= new(StringComparer.Ordinal)).Clear();
                    var current = header[^1];
                    while (kind is not (Tok.Colon or Tok.EndL))
                    {
                        if (kind == Tok.Identifier)
                        {
                            if (varName != "") throw lexer.ParseError("a variants block has one name", "'[' or ':'");
                            varName = current.Text;
                        }
                        else if (kind == Tok.LBracket)
                        {
                            var key = lexer.ExpectSkippingWhite(Tok.Identifier).Text;
                            var sep = lexer.ExpectSkippingWhite(SetOrBracket);
                            if (!meta.TryGetValue(key, out var entries)) meta[key] = entries = new();
                            if (sep.Kind == Tok.RBracket)
                            {
                                entries.Add(null);
                            }
                            else
                            {
                                var valueTokens = lexer.Until(BracketEnd, dropWhite: true);
                                if (valueTokens[^1].Kind != Tok.RBracket) throw lexer.ParseError("unclosed '['", "']'");
                                valueTokens.RemoveLast();
                                entries.Add(valueTokens);
                            }
                        }
                        current = lexer.ExpectSkippingWhite(VariantsHeaderEnd);
                        kind = current.Kind;
                    }
                    if (meta.TryGetValue("default", out var defaults) && defaults.Any(d => d is null))
                        throw lexer.ParseError("'[default]' needs a variant name", "[default=name]");
                    if (kind == Tok.EndL) throw lexer.ParseError("a variants line ends with ':'", "':'");
                    lexer.ExpectSkippingWhite(Tok.EndL);
                    allowed = VariantsAllowed;
                    varIndent = indent;
                    break;
                }
                case Tok.Only or Tok.No or Tok.Join:
                {
                    if (token.Kind == Tok.Join && node is ConditionHolder)
                        throw lexer.ParseError("'join' is not allowed inside a conditional block");
                    var words = FilterParser.Parse(lexer, lexer.RestOfLineInto(_lineScratch));
                    Flush(lexer, node, ref batch);
                    var kind = token.Kind switch { Tok.Only => FilterKind.Only, Tok.No => FilterKind.No, _ => FilterKind.Join };
                    var line = lexer.Line ?? "";
                    if (kind != FilterKind.Join && lexer.Fast) _filterLines.Add(line, kind, words);
                    node.Content.Add(new FilterStatement(lexer.FileName, lexer.LineNumber, kind, words, line));
                    break;
                }
                case Tok.Suffix:
                {
                    Flush(lexer, node, ref batch);
                    var value = lexer.Expect(Tok.Identifier).Text;
                    lexer.Expect(Tok.EndL);
                    suffix = new SuffixOp(lexer.FileName, lexer.LineNumber, value);
                    break;
                }
                case Tok.Include:
                {
                    var path = lexer.RestAsText().Text;
                    var includeLine = lexer.Line;
                    var includeLineNumber = lexer.LineNumber;
                    var resolved = ResolveInclude(lexer, path);
                    if (!File.Exists(resolved))
                        throw new ConfigError(ConfigErrorKind.MissingInclude,
                            "included file '" + path + "' does not exist or is not a regular file (looked for " + Path.GetFullPath(resolved) + ")",
                            lexer.FileName, includeLineNumber, includeLine, expected: "a path relative to the including file");
                    var full = Path.GetFullPath(resolved);
                    if (_includeStack.Contains(full))
                        throw new ConfigError(ConfigErrorKind.IncludeCycle,
                            "include cycle: " + string.Join(" -> ", _includeStack.Reverse().Append(full)),
                            lexer.FileName, includeLineNumber, includeLine, expected: "includes that do not loop");
                    Flush(lexer, node, ref batch);
                    SourceText text;
                    try
                    {
                        text = SourceText.OpenFile(full);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        throw new ConfigError(ConfigErrorKind.MissingInclude, "cannot read included file: " + e.Message,
                            lexer.FileName, includeLineNumber, includeLine, inner: e);
                    }
                    _includeStack.Push(full);
                    try
                    {
                        node = ParseSource(text, full, resolved, node);
                    }
                    finally
                    {
                        _includeStack.Pop();
                        text.Dispose();
                    }
                    lexer.PrevIndent = prevIndent;
                    break;
                }
                case Tok.Del:
                {
                    var name = lexer.ExpectSkippingWhite(Tok.Identifier).Text;
                    lexer.ExpectSkippingWhite(Tok.EndL);
                    Flush(lexer, node, ref batch);
                    node.Content.Add(new DelOp(lexer.FileName, lexer.LineNumber, name));
                    break;
                }
                case Tok.NotCond:
                {
                    var filterTokens = lexer.UntilInto(_lineScratch, ColonOrEnd, dropWhite: true);
                    filterTokens.RemoveLast();
                    var words = FilterParser.Parse(lexer, filterTokens);
                    ParseConditionBody(lexer, node, FilterKind.NegativeCondition, words, indent, ref batch);
                    lexer.PrevIndent = prevIndent;
                    break;
                }
                default:
                    throw lexer.ParseError("unexpected " + token.Describe());
            }
        }
    }

    /// <summary>An assignment into the block's batch of plain sets, or as a statement of its own after the batch.</summary>
    private void AddAssignment(Lexer lexer, IContentHolder node, AssignOp op, ref WorkingDict? batch)
    {
        if (op.Kind == AssignKind.Set && !op.HasSubstitution)
        {
            op.ApplyToBatch(batch ??= RentBatch());
            return;
        }
        if (batch is { Count: > 0 })
        {
            if (batch.ContainsKey(op.Name) && !op.HasSubstitution)
            {
                // Safe to fold into the batch: the key is set in this same block.
                op.ApplyToBatch(batch);
                return;
            }
            Flush(lexer, node, ref batch);
        }
        node.Content.Add(op);
    }

    /// <summary>The block's batch of plain sets as one statement, at the points where the reference flushes it.</summary>
    private void Flush(Lexer lexer, IContentHolder node, ref WorkingDict? batch)
    {
        // The reference flushes (possibly empty) batches at these points; an empty one changes nothing.
        if (batch is not { Count: > 0 }) return;
        node.Content.Add(new BatchOp(lexer.FileName, lexer.LineNumber, batch));
        batch.Clear();
        _freeBatches.Push(batch);
        batch = null;
    }

    private void ParseConditionBody(Lexer lexer, IContentHolder node, FilterKind kind, Label[][][] words, int indent, ref WorkingDict? batch)
    {
        var rest = lexer.RestAsText();
        if (rest.Kind != Tok.String)
            throw lexer.ParseError("a conditional block needs ':' after its filter", "':'");
        var line = lexer.Line ?? "";
        if (rest.Text.Length > 0) lexer.Reader.PushBack(rest.Text, indent + 1, lexer.LineNumber);
        else if (lexer.Fast) _filterLines.Add(line, kind, words);   // only the filter and its ':'
        ParseConditionBody(lexer, node, kind, words, line, indent, ref batch);
    }

    private void ParseConditionBody(Lexer lexer, IContentHolder node, FilterKind kind, Label[][][] words, string line, int indent, ref WorkingDict? batch)
    {
        var body = new ConditionHolder();
        Parse(lexer, body, indent);
        Flush(lexer, node, ref batch);
        // The statement's place is where its block ended, as the reference records it.
        node.Content.Add(new FilterStatement(lexer.FileName, lexer.LineNumber, kind, words, line, body.Content));
    }

    private string ResolveInclude(Lexer lexer, string path)
    {
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
        {
            var home = Environment.GetEnvironmentVariable("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            path = home + path.Substring(1);
        }
        if (Path.IsPathRooted(path)) return path;
        if (lexer.Reader.IsFile) return Path.Combine(Path.GetDirectoryName(lexer.FileName) ?? "", path);
        return _stringBase is null ? path : Path.Combine(_stringBase, path);
    }

    /// <remarks>Every variant's body is read relative to the first variant line's indentation
    /// (<paramref name="bodyIndent"/>), as the reference does.</remarks>
    private Node ParseVariants(Lexer lexer, Node previous, string varName, int varIndent, int bodyIndent,
        Dictionary<string, List<TokenBuffer?>> meta)
    {
        var alreadyDefault = false;
        meta.TryGetValue("default", out var wantedDefaults);
        var container = new Node();
        var first = true;
        while (true)
        {
            Token token;
            if (first)
            {
                first = false;
                token = lexer.ExpectSkippingWhite(VariantName);
            }
            else
            {
                lexer.PrevIndent = varIndent;
                token = lexer.ExpectSkippingWhite(VariantNameOrEnd);
                if (token.Kind == Tok.EndBlock) break;
                if (token.Kind == Tok.Indent)
                {
                    lexer.ExpectSkippingWhite(Tok.Variant);
                    token = lexer.ExpectSkippingWhite(VariantName);
                }
            }
            var isDefault = token.Kind == Tok.Default;
            var nameTokens = _nameScratch;
            nameTokens.Clear();
            if (!isDefault) nameTokens.Add(token);
            lexer.UntilChecked(nameTokens, NameParts, ColonOnly);
            // The name without its colon; 'names' are its identifiers (a lone token counts whatever it is).
            var nameCount = nameTokens.Count - 1;
            var names = new List<string>(nameCount);
            for (var i = 0; i < nameCount; i++)
            {
                if (nameCount == 1) names.Add(nameTokens[i].SourceText);
                else if (nameTokens[i].Kind == Tok.Identifier) names.Add(nameTokens[i].Text);
            }
            var lineNumber = lexer.LineNumber;
            if (wantedDefaults is not null)
            {
                // Removing while walking skips the next entry, as the reference's loop does. (Before
                // the body is parsed: the name tokens are reused by the variants inside it.)
                for (var i = 0; i < wantedDefaults.Count; i++)
                {
                    if (TokensMatch(wantedDefaults[i]!, nameTokens, nameCount))
                    {
                        isDefault = true;
                        wantedDefaults.RemoveAt(i);
                    }
                }
            }

            var next = lexer.Next();
            while (next.Kind == Tok.White) next = lexer.Next();
            var deps = Array.Empty<Label[][]>();
            if (next.Kind != Tok.EndL)
            {
                var depTokens = new TokenBuffer(next);
                depTokens.AddRange(lexer.Until(EndOfLine));
                deps = FilterParser.Parse(lexer, depTokens);
            }

            var body = new Node { Labels = previous.Labels };
            body.Children.Add(previous);
            if (varName != "")
                body.Content.Add(new AssignOp(lexer.FileName, lineNumber, AssignKind.Set, Pooled(varName), string.Join(".", names)));
            var variant = (Node)Parse(lexer, body, bodyIndent);
            if (varName != "") variant.VarName = varName;
            var labels = new Label[names.Count];
            for (var i = 0; i < labels.Length; i++)
            {
                labels[i] = varName != "" ? new Label(names[i], varName) : new Label(names[i]);
                _variantNames.Add(names[i]);
            }
            variant.Name = labels;
            // After the variant's own statements (and its suffix): its names in the per-file maps.
            variant.Content.Add(new FileMapOp(lexer.FileName, lineNumber, lexer.MapFileName, JoinNames(labels, longNames: true), JoinNames(labels, longNames: false)));
            variant.Dep = deps;
            if (isDefault && !alreadyDefault)
            {
                variant.DefaultCandidate = true;
                alreadyDefault = true;
            }
            variant.BlockVarName = varName;
            variant.AppendToShortname = !isDefault;
            container.Children.Add(variant);
        }
        if (wantedDefaults is { Count: > 0 })
            throw lexer.ParseError("a default variant named in [default=...] does not exist in the block: " +
                                   string.Join(", ", wantedDefaults.Select(w => w!.SourceText())));
        var children = container.Children;
        var childLabels = new LabelSet[children.Count];
        var childNames = new Label[children.Count][];
        for (var i = 0; i < childLabels.Length; i++)
        {
            childLabels[i] = children[i].Labels;
            childNames[i] = children[i].Name;
        }
        container.Labels = LabelSet.Union(previous.Labels, childLabels, childNames);
        return container;
    }

    /// <summary>A variant's names joined by '.' (one name, the common case, is that name's string).</summary>
    private static string JoinNames(Label[] labels, bool longNames)
    {
        if (labels.Length == 1) return longNames ? labels[0].LongName : labels[0].Name;
        var parts = new string[labels.Length];
        for (var i = 0; i < labels.Length; i++) parts[i] = longNames ? labels[i].LongName : labels[i].Name;
        return string.Join(".", parts);
    }

    /// <summary>Compares a [default=...] value with a variant's name (its first <paramref name="nameCount"/> tokens) token by token, over the shorter of the two.</summary>
    private static bool TokensMatch(TokenBuffer wanted, TokenBuffer name, int nameCount)
    {
        var n = Math.Min(wanted.Count, nameCount);
        for (var i = 0; i < n; i++)
        {
            var a = wanted[i];
            var b = name[i];
            if (a.IsText != b.IsText) return false;
            if (a.IsText ? a.Text != b.Text : a.Kind != b.Kind) return false;
        }
        return true;
    }

    /// <summary>A conditional block's statements while they are parsed (its filter statement is made after them).</summary>
    private sealed class ConditionHolder : IContentHolder
    {
        public List<ContentItem> Content { get; } = new();
    }
}
