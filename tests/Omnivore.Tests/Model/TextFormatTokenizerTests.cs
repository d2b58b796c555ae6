// Tests for TextFormatTokenizer: token kinds, 1-based line/column tracking, comments,
// number forms, string escapes and adjacent-string concatenation.
using System.Text;
using NUnit.Framework;
using Omnivore.Model;

namespace Omnivore.Tests.Model;

[TestFixture]
public class TextFormatTokenizerTests
{
    private static List<TextFormatToken> Lex(string text) => TextFormatTokenizer.Tokenize(text, "t.prototxt");

    [Test]
    public void TracksLinesAndColumnsAndSkipsComments()
    {
        var tokens = Lex("# header\nlayer {\n  name: \"a\" # trailing\n\tkernel_size: 5\r\n}");
        var got = tokens.Select(t => (t.Kind, t.Text, t.Line, t.Column)).ToList();
        Assert.That(got, Is.EqualTo(new[]
        {
            (TextFormatTokenKind.Identifier, "layer", 2, 1),
            (TextFormatTokenKind.Symbol, "{", 2, 7),
            (TextFormatTokenKind.Identifier, "name", 3, 3),
            (TextFormatTokenKind.Symbol, ":", 3, 7),
            (TextFormatTokenKind.String, "\"a\"", 3, 9),
            (TextFormatTokenKind.Identifier, "kernel_size", 4, 2),
            (TextFormatTokenKind.Symbol, ":", 4, 13),
            (TextFormatTokenKind.Integer, "5", 4, 15),
            (TextFormatTokenKind.Symbol, "}", 5, 1),
            (TextFormatTokenKind.EndOfFile, "", 5, 2),
        }));
    }

    [TestCase("0", TextFormatTokenKind.Integer)]
    [TestCase("123", TextFormatTokenKind.Integer)]
    [TestCase("-3", TextFormatTokenKind.Integer)]
    [TestCase("0x1F", TextFormatTokenKind.Integer)]
    [TestCase("-0XfF", TextFormatTokenKind.Integer)]
    [TestCase("017", TextFormatTokenKind.Integer)]
    [TestCase("1.5", TextFormatTokenKind.Float)]
    [TestCase(".5", TextFormatTokenKind.Float)]
    [TestCase("-.5", TextFormatTokenKind.Float)]
    [TestCase("5.", TextFormatTokenKind.Float)]
    [TestCase("1e-8", TextFormatTokenKind.Float)]
    [TestCase("2.5E+10", TextFormatTokenKind.Float)]
    [TestCase("1.5f", TextFormatTokenKind.Float)]
    [TestCase("inf", TextFormatTokenKind.Identifier)]
    [TestCase("nan", TextFormatTokenKind.Identifier)]
    public void NumberForms(string text, TextFormatTokenKind kind)
    {
        var tokens = Lex(text);
        Assert.That(tokens, Has.Count.EqualTo(2));
        Assert.That((tokens[0].Kind, tokens[0].Text), Is.EqualTo((kind, text)));
    }

    [TestCase("123", false, 123UL)]
    [TestCase("-3", true, 3UL)]
    [TestCase("0x1F", false, 31UL)]
    [TestCase("017", false, 15UL)]
    [TestCase("18446744073709551615", false, ulong.MaxValue)]
    public void IntegerValues(string text, bool negative, ulong magnitude)
    {
        Assert.That(TextFormatTokenizer.TryParseInteger(text, out bool n, out ulong m), Is.True);
        Assert.That((n, m), Is.EqualTo((negative, magnitude)));
        Assert.That(TextFormatTokenizer.TryParseInteger("18446744073709551616", out _, out _), Is.False);
    }

    [Test]
    public void MinusBeforeIdentifierIsASymbol()
    {
        var tokens = Lex("-inf - 2");
        Assert.That(tokens.Select(t => (t.Kind, t.Text)), Is.EqualTo(new[]
        {
            (TextFormatTokenKind.Symbol, "-"), (TextFormatTokenKind.Identifier, "inf"),
            (TextFormatTokenKind.Symbol, "-"), (TextFormatTokenKind.Integer, "2"), (TextFormatTokenKind.EndOfFile, ""),
        }));
    }

    [Test]
    public void StringEscapesDecodeToBytes()
    {
        var token = Lex(@"'\n\t\r\a\b\f\v\\\'\""\?\x41\x7\101\0\u00e9\U0001F600 é'")[0];
        var expected = new List<byte> { 10, 9, 13, 7, 8, 12, 11, 92, 39, 34, 63, 65, 7, 65, 0 };
        expected.AddRange(Encoding.UTF8.GetBytes("\u00e9\U0001F600 \u00e9"));
        Assert.That(token.Kind, Is.EqualTo(TextFormatTokenKind.String));
        Assert.That(token.Bytes, Is.EqualTo(expected.ToArray()));
    }

    [Test]
    public void AdjacentStringsConcatenate()
    {
        var tokens = Lex("\"ab\" 'cd' # comment\n  \"ef\" x");
        Assert.That(tokens[0].Kind, Is.EqualTo(TextFormatTokenKind.String));
        Assert.That(Encoding.UTF8.GetString(tokens[0].Bytes!), Is.EqualTo("abcdef"));
        Assert.That((tokens[0].Line, tokens[0].Column), Is.EqualTo((1, 1)));
        Assert.That((tokens[1].Text, tokens[1].Line, tokens[1].Column), Is.EqualTo(("x", 2, 8)));
    }

    [Test]
    public void ErrorsCarryPosition()
    {
        var ex = Assert.Throws<PrototxtException>(() => Lex("a: 1\n  b: \"open\n"))!;
        Assert.That((ex.FileName, ex.Line, ex.Column), Is.EqualTo(("t.prototxt", 2, 6)));
        Assert.That(ex.Message, Does.StartWith("t.prototxt:2:6: unterminated string"));
        ex = Assert.Throws<PrototxtException>(() => Lex("x: 3..4"))!;
        Assert.That(ex.Message, Is.EqualTo("t.prototxt:1:4: bad number '3..4': expected an integer (123, -4, 0x1F) or a float (1.5, .5, 1e-8)"));
    }
}
