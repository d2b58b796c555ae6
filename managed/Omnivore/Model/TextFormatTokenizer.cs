// Tokenizer for protobuf text format (.prototxt), used by TextFormat (TextFormatParser.cs).
// Splits text into identifiers, numbers, strings and one-character symbols, tracking the
// 1-based line and column (one column per UTF-16 char) where each token starts. Skips
// whitespace and '#' comments. Numbers: decimal, hex (0x1F), octal (017), floats with
// exponents and an optional f suffix (1e-8, .5, 2.f); a '-' directly before a digit or
// '.' is part of the number (-3). inf/nan are identifiers; the parser reads them as floats.
// Strings in '...' or "..." with C escapes (\n \t \\ \' \" \xHH \NNN \uXXXX ...) are
// decoded to bytes, and adjacent string literals ("a" "b") form one token.
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Omnivore.Model;

public enum TextFormatTokenKind
{
    EndOfFile,
    Identifier,
    Integer,
    Float,
    String,
    Symbol,
}

/// <summary>A token. Text is the source text (for strings: from the first opening quote
/// to the last closing quote); Bytes is the decoded value of a string token.</summary>
public sealed record TextFormatToken(TextFormatTokenKind Kind, string Text, int Line, int Column, byte[]? Bytes = null)
{
    /// <summary>How the token is named in error messages.</summary>
    public string Describe() => Kind switch
    {
        TextFormatTokenKind.EndOfFile => "end of file",
        TextFormatTokenKind.Identifier => $"identifier '{Text}'",
        TextFormatTokenKind.Integer or TextFormatTokenKind.Float => $"number {Text}",
        TextFormatTokenKind.String => "string " + (Text.Length > 40 ? Text[..37] + "..." : Text),
        _ => $"'{Text}'",
    };

    public bool IsSymbol(char c) => Kind == TextFormatTokenKind.Symbol && Text.Length == 1 && Text[0] == c;
}

public sealed class TextFormatTokenizer
{
    private const string Symbols = ":{}<>[],;-";
    private static readonly Regex FloatPattern =
        new(@"^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?[fF]?$", RegexOptions.CultureInvariant);

    private readonly string _text;
    private int _pos;
    private int _line = 1;
    private int _col = 1;

    public TextFormatTokenizer(string text, string fileName)
    {
        _text = text ?? throw new ArgumentNullException(nameof(text));
        FileName = fileName ?? throw new ArgumentNullException(nameof(fileName));
        if (_text.Length > 0 && _text[0] == '\uFEFF') _pos = 1; // byte-order mark
        Current = ReadToken();
    }

    public string FileName { get; }

    /// <summary>The next unconsumed token (EndOfFile at the end, repeatedly).</summary>
    public TextFormatToken Current { get; private set; }

    /// <summary>Consumes Current and returns it.</summary>
    public TextFormatToken Next()
    {
        var consumed = Current;
        if (consumed.Kind != TextFormatTokenKind.EndOfFile) Current = ReadToken();
        return consumed;
    }

    /// <summary>Tokenizes a whole text; the list ends with the EndOfFile token.</summary>
    public static List<TextFormatToken> Tokenize(string text, string fileName)
    {
        var tokenizer = new TextFormatTokenizer(text, fileName);
        var tokens = new List<TextFormatToken>();
        while (true)
        {
            var t = tokenizer.Next();
            tokens.Add(t);
            if (t.Kind == TextFormatTokenKind.EndOfFile) return tokens;
        }
    }

    public PrototxtException Error(int line, int column, string reason) => new(FileName, line, column, reason);

    public PrototxtException Error(TextFormatToken at, string reason) => Error(at.Line, at.Column, reason);

    /// <summary>Reads the sign and magnitude of an Integer token's text (decimal, 0x hex,
    /// 0-prefixed octal). False when the magnitude does not fit in 64 bits.</summary>
    public static bool TryParseInteger(string text, out bool negative, out ulong magnitude)
    {
        negative = text.StartsWith('-');
        var body = negative ? text[1..] : text;
        magnitude = 0;
        int radix = 10, start = 0;
        if (body.Length > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) { radix = 16; start = 2; }
        else if (body.Length > 1 && body[0] == '0') { radix = 8; start = 1; }
        for (int i = start; i < body.Length; i++)
        {
            ulong digit = (ulong)HexValue(body[i]);
            if (magnitude > (ulong.MaxValue - digit) / (ulong)radix) return false;
            magnitude = magnitude * (ulong)radix + digit;
        }
        return true;
    }

    private static int HexValue(char c) =>
        c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

    private char Peek(int ahead = 0) => _pos + ahead < _text.Length ? _text[_pos + ahead] : '\0';

    private bool AtEnd => _pos >= _text.Length;

    private char Advance()
    {
        char c = _text[_pos++];
        if (c == '\n') { _line++; _col = 1; }
        else _col++;
        return c;
    }

    private void SkipWhitespaceAndComments()
    {
        while (!AtEnd)
        {
            char c = Peek();
            if (c == '#')
            {
                while (!AtEnd && Peek() != '\n') Advance();
            }
            else if (char.IsWhiteSpace(c)) Advance();
            else return;
        }
    }

    private static bool IsIdentStart(char c) => c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

    private static bool IsIdentChar(char c) => IsIdentStart(c) || (c >= '0' && c <= '9');

    private static bool IsDigit(char c) => c >= '0' && c <= '9';

    private TextFormatToken ReadToken()
    {
        SkipWhitespaceAndComments();
        int line = _line, col = _col, start = _pos;
        if (AtEnd) return new TextFormatToken(TextFormatTokenKind.EndOfFile, "", line, col);
        char c = Peek();
        if (IsIdentStart(c))
        {
            while (!AtEnd && IsIdentChar(Peek())) Advance();
            return new TextFormatToken(TextFormatTokenKind.Identifier, _text[start.._pos], line, col);
        }
        if (IsDigit(c) || (c == '.' && IsDigit(Peek(1))) ||
            (c == '-' && (IsDigit(Peek(1)) || (Peek(1) == '.' && IsDigit(Peek(2))))))
            return ReadNumber(line, col);
        if (c == '"' || c == '\'') return ReadStrings(line, col);
        if (Symbols.IndexOf(c) >= 0)
        {
            Advance();
            return new TextFormatToken(TextFormatTokenKind.Symbol, c.ToString(), line, col);
        }
        string shown = char.IsControl(c) || char.IsSurrogate(c) ? $"U+{(int)c:X4}" : $"'{c}'";
        throw Error(line, col, $"unexpected character {shown}; expected a field name, value or one of : {{ }} < > [ ] , ;");
    }

    private TextFormatToken ReadNumber(int line, int col)
    {
        int start = _pos;
        if (Peek() == '-') Advance();
        bool hex = Peek() == '0' && (Peek(1) == 'x' || Peek(1) == 'X');
        while (!AtEnd)
        {
            char c = Peek();
            char prev = _pos > start ? _text[_pos - 1] : '\0';
            if (IsIdentChar(c) || c == '.') Advance();
            else if ((c == '+' || c == '-') && !hex && (prev == 'e' || prev == 'E')) Advance();
            else break;
        }
        string text = _text[start.._pos];
        string body = text.StartsWith('-') ? text[1..] : text;
        bool isHex = hex && body.Length > 2 && body[2..].All(ch => HexValue(ch) >= 0);
        bool allDigits = body.All(IsDigit);
        if (isHex || (allDigits && (body[0] != '0' || body.All(ch => ch >= '0' && ch <= '7'))))
            return new TextFormatToken(TextFormatTokenKind.Integer, text, line, col);
        if (allDigits)
            throw Error(line, col, $"bad number '{text}': a number starting with 0 is octal and may only use digits 0-7");
        if (!hex && FloatPattern.IsMatch(body))
            return new TextFormatToken(TextFormatTokenKind.Float, text, line, col);
        throw Error(line, col, $"bad number '{text}': expected an integer (123, -4, 0x1F) or a float (1.5, .5, 1e-8)");
    }

    private TextFormatToken ReadStrings(int line, int col)
    {
        int start = _pos;
        var bytes = new List<byte>();
        int end;
        do
        {
            ReadOneString(bytes);
            end = _pos;
            SkipWhitespaceAndComments();
        } while (!AtEnd && (Peek() == '"' || Peek() == '\''));
        return new TextFormatToken(TextFormatTokenKind.String, _text[start..end], line, col, bytes.ToArray());
    }

    private void ReadOneString(List<byte> bytes)
    {
        int line = _line, col = _col;
        char quote = Advance();
        Span<byte> utf8 = stackalloc byte[4];
        while (true)
        {
            if (AtEnd || Peek() == '\n')
                throw Error(line, col, $"unterminated string: missing closing {quote} before end of {(AtEnd ? "file" : "line")} (strings cannot span lines; use \\n)");
            if (Peek() == quote) { Advance(); return; }
            if (Peek() == '\\') { ReadEscape(bytes); continue; }
            Rune.DecodeFromUtf16(_text.AsSpan(_pos), out var rune, out int used);
            for (int i = 0; i < used; i++) Advance();
            int n = rune.EncodeToUtf8(utf8);
            for (int i = 0; i < n; i++) bytes.Add(utf8[i]);
        }
    }

    private void ReadEscape(List<byte> bytes)
    {
        int line = _line, col = _col;
        Advance(); // backslash
        if (AtEnd || Peek() == '\n') return; // reported as an unterminated string by the caller
        char c = Advance();
        switch (c)
        {
            case 'n': bytes.Add((byte)'\n'); return;
            case 't': bytes.Add((byte)'\t'); return;
            case 'r': bytes.Add((byte)'\r'); return;
            case 'a': bytes.Add(7); return;
            case 'b': bytes.Add(8); return;
            case 'f': bytes.Add(12); return;
            case 'v': bytes.Add(11); return;
            case '\\': case '\'': case '"': case '?': bytes.Add((byte)c); return;
            case 'x' or 'X':
            {
                int value = 0, digits = 0;
                while (digits < 2 && HexValue(Peek()) >= 0) { value = value * 16 + HexValue(Advance()); digits++; }
                if (digits == 0) throw Error(line, col, "bad escape '\\x': expected 1 or 2 hex digits after \\x");
                bytes.Add((byte)value);
                return;
            }
            case >= '0' and <= '7':
            {
                int value = c - '0', digits = 1;
                while (digits < 3 && Peek() >= '0' && Peek() <= '7') { value = value * 8 + (Advance() - '0'); digits++; }
                if (value > 255) throw Error(line, col, $"bad escape: octal value \\{Convert.ToString(value, 8)} is over \\377 (255)");
                bytes.Add((byte)value);
                return;
            }
            case 'u' or 'U':
            {
                int want = c == 'u' ? 4 : 8, value = 0;
                for (int i = 0; i < want; i++)
                {
                    if (HexValue(Peek()) < 0) throw Error(line, col, $"bad escape '\\{c}': expected {want} hex digits");
                    value = value * 16 + HexValue(Advance());
                }
                if (!Rune.IsValid(value)) throw Error(line, col, $"bad escape: U+{value:X} is not a valid Unicode scalar value");
                bytes.AddRange(Encoding.UTF8.GetBytes(new Rune(value).ToString()));
                return;
            }
            default:
                throw Error(line, col, $"bad escape '\\{c}': expected one of \\n \\t \\r \\a \\b \\f \\v \\\\ \\' \\\" \\? \\xHH \\NNN \\uXXXX");
        }
    }

    /// <summary>Parses a Float or decimal Integer token's text (f suffix allowed) as a double.</summary>
    public static double ParseDouble(string text)
    {
        var t = text.EndsWith('f') || text.EndsWith('F') ? text[..^1] : text;
        return double.Parse(t, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
            CultureInfo.InvariantCulture);
    }
}
