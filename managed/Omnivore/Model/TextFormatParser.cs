// Protobuf text-format (.prototxt) parser for Caffe net and solver definitions.
// Google.Protobuf for C# reads only binary and JSON, so this fills any generated message
// through reflection (MessageDescriptor / FieldDescriptor / Accessor). Accepts what
// protobuf's C++ TextFormat accepts for Caffe files: `field: value`, `field { ... }`,
// `field: { ... }`, `field < ... >`, optional ',' or ';' after each field, repeated fields
// given several times or as a list `field: [1, 2]`, enums by name or number, and all
// scalar types with range checks. Every error is a PrototxtException "file:line:col: ...".
// Not supported: extensions / Any ("[...]" names) and map fields.
using System.Collections;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Omnivore.Model;

public static class TextFormat
{
    private const int MaxDepth = 100;
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>Parses text into a new message; fileName is used only in error messages.</summary>
    public static T Parse<T>(string text, string fileName) where T : IMessage<T>, new()
    {
        var message = new T();
        Merge(message, text, fileName);
        return message;
    }

    /// <summary>Reads and parses a file; errors name the path as given.</summary>
    public static T ParseFile<T>(string path) where T : IMessage<T>, new()
    {
        ArgumentNullException.ThrowIfNull(path);
        return Parse<T>(File.ReadAllText(path), path);
    }

    /// <summary>Merges text into message: scalars overwrite, repeated fields append, and
    /// message fields merge into what is there. A non-repeated field may be given only
    /// once within the text.</summary>
    public static void Merge(IMessage message, string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(message);
        new Parser(new TextFormatTokenizer(text, fileName)).ParseBody(message, null, "", 0);
    }

    private sealed class Parser(TextFormatTokenizer tokens)
    {
        private TextFormatToken Current => tokens.Current;

        private PrototxtException Error(TextFormatToken at, string reason) => tokens.Error(at, reason);

        /// <summary>Parses fields up to the closer of opener, or to end of file when opener is null.</summary>
        public void ParseBody(IMessage message, TextFormatToken? opener, string blockName, int depth)
        {
            var descriptor = message.Descriptor;
            char closer = opener?.Text == "<" ? '>' : '}';
            // Non-repeated fields (and oneofs) given so far in this block, to reject repeats.
            var seen = new Dictionary<object, (FieldDescriptor Field, TextFormatToken At)>();
            while (true)
            {
                var t = Current;
                if (t.Kind == TextFormatTokenKind.EndOfFile)
                {
                    if (opener == null) return;
                    throw Error(opener, $"unterminated block: '{opener.Text}' of field '{blockName}' is never closed " +
                        $"(expected '{closer}' before end of file at line {t.Line})");
                }
                if (opener != null && t.IsSymbol(closer)) { tokens.Next(); return; }
                if (t.IsSymbol('}') || t.IsSymbol('>'))
                    throw Error(t, opener == null
                        ? $"unexpected '{t.Text}': no block is open here"
                        : $"expected '{closer}' to close field '{blockName}' (opened at line {opener.Line}, column {opener.Column}), got '{t.Text}'");
                if (t.IsSymbol('['))
                    throw Error(t, $"extension and Any names '[...]' are not supported; expected a field name of {descriptor.FullName}");
                if (t.Kind != TextFormatTokenKind.Identifier)
                    throw Error(t, $"expected a field name of {descriptor.FullName}, got {t.Describe()}");
                ParseField(message, seen, depth);
                if (Current.IsSymbol(',') || Current.IsSymbol(';')) tokens.Next();
            }
        }

        private void ParseField(IMessage message, Dictionary<object, (FieldDescriptor Field, TextFormatToken At)> seen, int depth)
        {
            var nameToken = tokens.Next();
            var field = FindField(message.Descriptor, nameToken);
            if (field.IsMap)
                throw Error(nameToken, $"map field '{field.Name}' is not supported by this parser");
            if (!field.IsRepeated)
            {
                if (seen.TryGetValue(field, out var first))
                    throw Error(nameToken, $"field '{field.Name}' given twice (first at line {first.At.Line}); " +
                        "it is not repeated, so it may be given only once");
                var oneof = field.RealContainingOneof;
                if (oneof != null && seen.TryGetValue(oneof, out var other))
                    throw Error(nameToken, $"fields '{other.Field.Name}' (line {other.At.Line}) and '{field.Name}' " +
                        $"belong to oneof '{oneof.Name}'; give only one of them");
                seen[field] = (field, nameToken);
                if (oneof != null) seen[oneof] = (field, nameToken);
            }

            bool isMessage = field.FieldType is FieldType.Message or FieldType.Group;
            bool colon = Current.IsSymbol(':');
            if (colon) tokens.Next();
            var t = Current;
            if (isMessage)
            {
                if (colon && t.IsSymbol('[')) ParseList(message, field, depth);
                else if (t.IsSymbol('{') || t.IsSymbol('<')) ParseMessageValue(message, field, depth);
                else
                    throw Error(t, colon
                        ? $"expected '{{' or '<' to start the {field.MessageType.FullName} value of field '{field.Name}', got {t.Describe()}"
                        : $"expected ':' or '{{' after field '{field.Name}' ({field.MessageType.FullName}), got {t.Describe()}");
                return;
            }
            if (t.IsSymbol('{') || t.IsSymbol('<'))
                throw Error(t, $"field '{field.Name}' is {TypeName(field)}, not a message: expected ':' and a value, got '{t.Text}'");
            if (!colon)
                throw Error(t, $"expected ':' after field '{field.Name}', got {t.Describe()}");
            if (t.IsSymbol('[')) ParseList(message, field, depth);
            else Store(message, field, ParseScalar(field));
        }

        private FieldDescriptor FindField(MessageDescriptor descriptor, TextFormatToken name)
        {
            var field = descriptor.FindFieldByName(name.Text);
            if (field != null) return field;
            // proto2 groups are written with their type name.
            var fields = descriptor.Fields.InDeclarationOrder();
            field = fields.FirstOrDefault(f => f.FieldType == FieldType.Group && f.MessageType.Name == name.Text);
            if (field != null) return field;
            var names = fields.Select(f => f.Name).ToList();
            string known = names.Count == 0 ? "none" : string.Join(", ", names);
            throw Error(name, $"unknown field '{name.Text}' in {descriptor.FullName} (known: {known}){DidYouMean(name.Text, names)}");
        }

        private void ParseList(IMessage message, FieldDescriptor field, int depth)
        {
            var open = tokens.Next();
            if (!field.IsRepeated)
                throw Error(open, $"field '{field.Name}' is not repeated, so it takes one value, not a list '[...]'");
            bool isMessage = field.FieldType is FieldType.Message or FieldType.Group;
            if (Current.IsSymbol(']')) { tokens.Next(); return; }
            while (true)
            {
                if (!isMessage) Store(message, field, ParseScalar(field));
                else if (Current.IsSymbol('{') || Current.IsSymbol('<')) ParseMessageValue(message, field, depth);
                else throw Error(Current, $"expected '{{' to start a {field.MessageType.FullName} in the list of field '{field.Name}', got {Current.Describe()}");
                var sep = Current;
                if (sep.IsSymbol(',')) { tokens.Next(); continue; }
                if (sep.IsSymbol(']')) { tokens.Next(); return; }
                throw sep.Kind == TextFormatTokenKind.EndOfFile
                    ? Error(open, $"unterminated list: '[' of field '{field.Name}' is never closed (expected ']' before end of file at line {sep.Line})")
                    : Error(sep, $"expected ',' or ']' in the list of field '{field.Name}', got {sep.Describe()}");
            }
        }

        private void ParseMessageValue(IMessage message, FieldDescriptor field, int depth)
        {
            var open = tokens.Next();
            if (depth >= MaxDepth)
                throw Error(open, $"messages nested more than {MaxDepth} deep");
            if (field.IsRepeated)
            {
                var child = NewMessage(field);
                ParseBody(child, open, field.Name, depth + 1);
                ((IList)field.Accessor.GetValue(message)).Add(child);
                return;
            }
            if (field.Accessor.GetValue(message) is not IMessage existing)
            {
                existing = NewMessage(field);
                field.Accessor.SetValue(message, existing);
            }
            ParseBody(existing, open, field.Name, depth + 1);
        }

        // Parsing empty input is the public, trim-safe way to get a new instance.
        private static IMessage NewMessage(FieldDescriptor field) => field.MessageType.Parser.ParseFrom(ByteString.Empty);

        private static void Store(IMessage message, FieldDescriptor field, object value)
        {
            if (field.IsRepeated) ((IList)field.Accessor.GetValue(message)).Add(value);
            else field.Accessor.SetValue(message, value);
        }

        private object ParseScalar(FieldDescriptor field) => field.FieldType switch
        {
            FieldType.Double => ParseFloating(field, false),
            FieldType.Float => (float)ParseFloating(field, true),
            FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => (int)ParseSigned(field, int.MinValue, int.MaxValue),
            FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => ParseSigned(field, long.MinValue, long.MaxValue),
            FieldType.UInt32 or FieldType.Fixed32 => (uint)ParseUnsigned(field, uint.MaxValue),
            FieldType.UInt64 or FieldType.Fixed64 => ParseUnsigned(field, ulong.MaxValue),
            FieldType.Bool => ParseBool(field),
            FieldType.String => ParseString(field),
            FieldType.Bytes => ByteString.CopyFrom(ReadStringBytes(field)),
            FieldType.Enum => ParseEnum(field),
            _ => throw Error(Current, $"field '{field.Name}' has unsupported type {field.FieldType}"),
        };

        private (bool Negative, ulong Magnitude, TextFormatToken Token) ReadInteger(FieldDescriptor field)
        {
            var t = Current;
            if (t.Kind != TextFormatTokenKind.Integer)
                throw Error(t, $"expected an integer for {TypeName(field)} field '{field.Name}', got {t.Describe()}");
            if (!TextFormatTokenizer.TryParseInteger(t.Text, out bool negative, out ulong magnitude))
                throw OutOfRange(t, field);
            tokens.Next();
            return (negative && magnitude != 0, magnitude, t);
        }

        private long ParseSigned(FieldDescriptor field, long min, long max)
        {
            var (negative, magnitude, t) = ReadInteger(field);
            bool fits = negative ? magnitude <= (ulong)max + 1 : magnitude <= (ulong)max;
            if (!fits) throw OutOfRange(t, field, min, max);
            return negative ? unchecked((long)(0UL - magnitude)) : (long)magnitude;
        }

        private ulong ParseUnsigned(FieldDescriptor field, ulong max)
        {
            var (negative, magnitude, t) = ReadInteger(field);
            if (negative || magnitude > max) throw OutOfRange(t, field, 0, max);
            return magnitude;
        }

        private PrototxtException OutOfRange(TextFormatToken t, FieldDescriptor field, object? min = null, object? max = null) =>
            Error(t, $"value {t.Text} is out of range for {TypeName(field)} field '{field.Name}'" +
                (min != null ? $" ({min} to {max})" : ""));

        private double ParseFloating(FieldDescriptor field, bool isFloat)
        {
            var start = Current;
            bool negate = start.IsSymbol('-');
            if (negate) tokens.Next();
            var t = Current;
            double value;
            string lower = t.Text.ToLowerInvariant();
            if (t.Kind == TextFormatTokenKind.Identifier && lower is "inf" or "infinity" or "nan")
                value = lower == "nan" ? double.NaN : double.PositiveInfinity;
            else if (negate)
                throw Error(t, $"expected inf or infinity after '-' for {TypeName(field)} field '{field.Name}', got {t.Describe()}");
            else if (t.Kind == TextFormatTokenKind.Float || (t.Kind == TextFormatTokenKind.Integer && !IsHexOrOctal(t.Text)))
            {
                value = TextFormatTokenizer.ParseDouble(t.Text);
                if (double.IsInfinity(value)) throw OutOfRange(t, field);
            }
            else if (t.Kind == TextFormatTokenKind.Integer)
            {
                if (!TextFormatTokenizer.TryParseInteger(t.Text, out bool negative, out ulong magnitude)) throw OutOfRange(t, field);
                value = negative ? -(double)magnitude : magnitude;
            }
            else
                throw Error(t, $"expected a number for {TypeName(field)} field '{field.Name}', got {t.Describe()}");
            if (isFloat && double.IsFinite(value) && float.IsInfinity((float)value))
                throw Error(t, $"value {t.Text} is out of range for float field '{field.Name}' (magnitude at most {float.MaxValue})");
            tokens.Next();
            return negate ? -value : value;
        }

        private static bool IsHexOrOctal(string text) => text.TrimStart('-') is { Length: > 1 } body && body[0] == '0';

        private bool ParseBool(FieldDescriptor field)
        {
            var t = Current;
            bool? value = (t.Kind, t.Text) switch
            {
                (TextFormatTokenKind.Identifier, "true" or "True" or "t") or (TextFormatTokenKind.Integer, "1") => true,
                (TextFormatTokenKind.Identifier, "false" or "False" or "f") or (TextFormatTokenKind.Integer, "0") => false,
                _ => null,
            };
            if (value == null)
                throw Error(t, $"expected true or false (also True/False/t/f/1/0) for bool field '{field.Name}', got {t.Describe()}");
            tokens.Next();
            return value.Value;
        }

        private byte[] ReadStringBytes(FieldDescriptor field)
        {
            var t = Current;
            if (t.Kind != TextFormatTokenKind.String)
                throw Error(t, $"expected a quoted string for {TypeName(field)} field '{field.Name}', got {t.Describe()}");
            tokens.Next();
            return t.Bytes!;
        }

        private string ParseString(FieldDescriptor field)
        {
            var t = Current;
            try { return StrictUtf8.GetString(ReadStringBytes(field)); }
            catch (DecoderFallbackException)
            { throw Error(t, $"string field '{field.Name}' is not valid UTF-8 (\\x and octal escapes give raw bytes)"); }
        }

        private object ParseEnum(FieldDescriptor field)
        {
            var t = Current;
            var type = field.EnumType;
            var names = type.Values.Select(v => v.Name).ToList();
            string valid = string.Join(", ", names);
            EnumValueDescriptor? value;
            if (t.Kind == TextFormatTokenKind.Identifier)
            {
                value = type.FindValueByName(t.Text);
                if (value == null)
                    throw Error(t, $"unknown value '{t.Text}' for field '{field.Name}' of enum {type.FullName} (valid: {valid}){DidYouMean(t.Text, names)}");
            }
            else if (t.Kind == TextFormatTokenKind.Integer)
            {
                bool ok = TextFormatTokenizer.TryParseInteger(t.Text, out bool negative, out ulong magnitude) &&
                          magnitude <= (negative ? 1UL + int.MaxValue : int.MaxValue);
                int number = ok ? (negative ? unchecked((int)(0UL - magnitude)) : (int)magnitude) : 0;
                value = ok ? type.FindValueByNumber(number) : null;
                if (value == null)
                    throw Error(t, $"unknown number {t.Text} for field '{field.Name}' of enum {type.FullName} (valid: " +
                        string.Join(", ", type.Values.Select(v => $"{v.Name} = {v.Number}")) + ")");
            }
            else
                throw Error(t, $"expected a value name of enum {type.FullName} for field '{field.Name}' (valid: {valid}), got {t.Describe()}");
            tokens.Next();
            return Enum.ToObject(type.ClrType, value.Number);
        }

        private static string TypeName(FieldDescriptor field) => field.FieldType switch
        {
            FieldType.Enum => "enum " + field.EnumType.FullName,
            FieldType.Message or FieldType.Group => field.MessageType.FullName,
            _ => field.FieldType.ToString().ToLowerInvariant(),
        };

        /// <summary>"; did you mean 'x'?" for the closest candidate by edit distance, or "".</summary>
        private static string DidYouMean(string name, IEnumerable<string> candidates)
        {
            int limit = name.Length <= 4 ? 1 : 2;
            var best = candidates.Select(c => (Name: c, Distance: EditDistance(name.ToLowerInvariant(), c.ToLowerInvariant())))
                .Where(c => c.Distance <= limit).OrderBy(c => c.Distance).FirstOrDefault();
            return best.Name == null ? "" : $"; did you mean '{best.Name}'?";
        }

        private static int EditDistance(string a, string b)
        {
            var row = new int[b.Length + 1];
            for (int j = 0; j <= b.Length; j++) row[j] = j;
            for (int i = 1; i <= a.Length; i++)
            {
                int diagonal = row[0];
                row[0] = i;
                for (int j = 1; j <= b.Length; j++)
                {
                    int above = row[j];
                    row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                    diagonal = above;
                }
            }
            return row[b.Length];
        }
    }
}
