// Tests for TextFormat's error reporting: every error is a PrototxtException whose
// FileName, Line and Column point at the offending text and whose Message reads
// "file:line:col: what is wrong and what was expected".
using NUnit.Framework;
using Omnivore.Model;
using Omnivore.Model.Caffe;

namespace Omnivore.Tests.Model;

[TestFixture]
public class TextFormatErrorTests
{
    private const string File = "lenet.prototxt";

    private static PrototxtException Fails<T>(string text, int line, int column, params string[] fragments)
        where T : Google.Protobuf.IMessage<T>, new()
    {
        var ex = Assert.Throws<PrototxtException>(() => TextFormat.Parse<T>(text, File))!;
        Assert.That(ex.FileName, Is.EqualTo(File));
        Assert.That((ex.Line, ex.Column), Is.EqualTo((line, column)), ex.Message);
        Assert.That(ex.Message, Does.StartWith($"{File}:{line}:{column}: "));
        Assert.That(ex.Message, Is.EqualTo($"{File}:{line}:{column}: {ex.Reason}"));
        foreach (var fragment in fragments) Assert.That(ex.Message, Does.Contain(fragment));
        return ex;
    }

    [Test]
    public void UnknownFieldListsKnownFieldsAndSuggests()
    {
        const string text = "layer {\n  name: \"conv1\"\n  convolution_param {\n    num_output: 20\n    kernal_size: 5\n  }\n}\n";
        var ex = Fails<NetParameter>(text, 5, 5,
            "unknown field 'kernal_size' in caffe.ConvolutionParameter (known: num_output, bias_term, pad, kernel_size, ",
            "did you mean 'kernel_size'?");
        Assert.That(ex.Message, Does.StartWith(
            "lenet.prototxt:5:5: unknown field 'kernal_size' in caffe.ConvolutionParameter (known: num_output, bias_term, pad, kernel_size, stride,"));
    }

    [Test]
    public void UnknownFieldWithoutCloseMatchHasNoSuggestion()
    {
        var ex = Fails<NetParameter>("name: \"x\"\n\n   completely_different: 1", 3, 4,
            "unknown field 'completely_different' in caffe.NetParameter (known: name, input, input_shape, input_dim,");
        Assert.That(ex.Message, Does.Not.Contain("did you mean"));
    }

    [Test]
    public void UnknownEnumValueListsValidNames()
    {
        Fails<NetParameter>("layer {\n  pooling_param { pool: MAXX }\n}", 2, 25,
            "unknown value 'MAXX' for field 'pool' of enum caffe.PoolingParameter.PoolMethod (valid: MAX, AVE, STOCHASTIC)",
            "did you mean 'MAX'?");
        Fails<NetParameter>("layer { include { phase: train } }", 1, 26,
            "unknown value 'train'", "(valid: TRAIN, TEST)", "did you mean 'TRAIN'?");
        Fails<SolverParameter>("solver_mode: 7", 1, 14,
            "unknown number 7 for field 'solver_mode' of enum caffe.SolverParameter.SolverMode (valid: CPU = 0, GPU = 1)");
        Fails<SolverParameter>("solver_mode: \"GPU\"", 1, 14,
            "expected a value name of enum caffe.SolverParameter.SolverMode for field 'solver_mode' (valid: CPU, GPU), got string \"GPU\"");
    }

    [Test]
    public void MissingColonOrBrace()
    {
        Fails<NetParameter>("layer {\n  convolution_param {\n    num_output 20\n  }\n}", 3, 16,
            "expected ':' after field 'num_output', got number 20");
        Fails<ConvolutionParameter>("weight_filler type: \"xavier\"", 1, 15,
            "expected ':' or '{' after field 'weight_filler' (caffe.FillerParameter), got identifier 'type'");
        Fails<ConvolutionParameter>("weight_filler: \"xavier\"", 1, 16,
            "expected '{' or '<' to start the caffe.FillerParameter value of field 'weight_filler', got string \"xavier\"");
        Fails<ConvolutionParameter>("num_output: 1\n42", 2, 1, "expected a field name of caffe.ConvolutionParameter, got number 42");
    }

    [Test]
    public void UnterminatedString()
    {
        Fails<NetParameter>("name: \"LeNet\"\nlayer {\n  name: \"conv1\n  type: \"Convolution\"\n}", 3, 9,
            "unterminated string: missing closing \" before end of line");
        Fails<NetParameter>("name: 'LeNet", 1, 7, "unterminated string: missing closing ' before end of file");
        Fails<NetParameter>("name: \"ends in escape\\", 1, 7, "unterminated string");
    }

    [Test]
    public void UnterminatedBlockReportsWhereItOpened()
    {
        Fails<NetParameter>("name: \"x\"\nlayer {\n  name: \"conv1\"\n  convolution_param { num_output: 1 }\n", 2, 7,
            "unterminated block: '{' of field 'layer' is never closed (expected '}' before end of file at line 5)");
        Fails<NetParameter>("layer { param <\n lr_mult: 1 }", 2, 13,
            "expected '>' to close field 'param' (opened at line 1, column 15), got '}'");
        Fails<NetParameter>("layer { }\n}", 2, 1, "unexpected '}': no block is open here");
        Fails<NetParameter>("layer < name: \"x\"", 1, 7, "unterminated block: '<' of field 'layer'", "expected '>'");
    }

    [Test]
    public void ValueOutOfRange()
    {
        Fails<ConvolutionParameter>("num_output: -1", 1, 13, "value -1 is out of range for uint32 field 'num_output' (0 to 4294967295)");
        Fails<ConvolutionParameter>("kernel_size: 4294967296", 1, 14, "value 4294967296 is out of range for uint32 field 'kernel_size'");
        Fails<ConvolutionParameter>("axis: 2147483648", 1, 7, "out of range for int32 field 'axis' (-2147483648 to 2147483647)");
        Fails<SolverParameter>("random_seed: 9223372036854775808", 1, 14, "out of range for int64 field 'random_seed'");
        Fails<SolverParameter>("random_seed: 99999999999999999999999", 1, 14, "out of range for int64 field 'random_seed'");
        Fails<SolverParameter>("base_lr: 1e39", 1, 10, "value 1e39 is out of range for float field 'base_lr'");
        Fails<BlobProto>("double_data: 1e400", 1, 14, "value 1e400 is out of range for double field 'double_data'");
    }

    [Test]
    public void BadNumber()
    {
        Fails<ConvolutionParameter>("num_output: 1.2.3", 1, 13, "bad number '1.2.3'");
        Fails<ConvolutionParameter>("num_output: 12abc", 1, 13, "bad number '12abc'");
        Fails<ConvolutionParameter>("num_output: 09", 1, 13, "bad number '09'", "octal");
        Fails<ConvolutionParameter>("num_output: 0x", 1, 13, "bad number '0x'");
        Fails<SolverParameter>("base_lr: 1e", 1, 10, "bad number '1e'");
    }

    [Test]
    public void ValueOfTheWrongKind()
    {
        Fails<LayerParameter>("name: conv1", 1, 7, "expected a quoted string for string field 'name', got identifier 'conv1'");
        Fails<ConvolutionParameter>("num_output: \"20\"", 1, 13, "expected an integer for uint32 field 'num_output', got string \"20\"");
        Fails<ConvolutionParameter>("num_output: 2.5", 1, 13, "expected an integer for uint32 field 'num_output', got number 2.5");
        Fails<ConvolutionParameter>("num_output { }", 1, 12,
            "field 'num_output' is uint32, not a message: expected ':' and a value, got '{'");
        Fails<ConvolutionParameter>("num_output: { }", 1, 13, "field 'num_output' is uint32, not a message");
        Fails<ConvolutionParameter>("bias_term: yes", 1, 12, "expected true or false", "bool field 'bias_term', got identifier 'yes'");
        Fails<ConvolutionParameter>("bias_term: 2", 1, 12, "expected true or false", "got number 2");
        Fails<SolverParameter>("base_lr: fast", 1, 10, "expected a number for float field 'base_lr', got identifier 'fast'");
        Fails<SolverParameter>("base_lr: - 1", 1, 12, "expected inf or infinity after '-'");
        Fails<ConvolutionParameter>("num_output: [1, 2]", 1, 13, "field 'num_output' is not repeated, so it takes one value, not a list");
        Fails<ConvolutionParameter>("kernel_size: [1 2]", 1, 17, "expected ',' or ']' in the list of field 'kernel_size', got number 2");
        Fails<ConvolutionParameter>("kernel_size: [1,\n 2", 1, 14, "unterminated list: '[' of field 'kernel_size'");
        Fails<ConvolutionParameter>("num_output:", 1, 12, "expected an integer for uint32 field 'num_output', got end of file");
    }

    [Test]
    public void NonRepeatedFieldGivenTwice()
    {
        Fails<NetParameter>("name: \"a\"\nlayer { }\n  name: \"b\"", 3, 3,
            "field 'name' given twice (first at line 1)");
        Fails<NetParameter>("layer {\n  convolution_param { num_output: 1 }\n  convolution_param { kernel_size: 3 }\n}", 3, 3,
            "field 'convolution_param' given twice (first at line 2)");
        // The same field in two different layers is fine.
        Assert.DoesNotThrow(() => TextFormat.Parse<NetParameter>("layer { name: \"a\" } layer { name: \"b\" }", File));
    }

    [Test]
    public void BadCharactersAndEscapes()
    {
        Fails<NetParameter>("name: \"x\"\n  @", 2, 3, "unexpected character '@'");
        Fails<NetParameter>("name: \"a\\qb\"", 1, 9, "bad escape '\\q'");
        Fails<NetParameter>("name: \"\\xZZ\"", 1, 8, "bad escape '\\x'");
        Fails<NetParameter>("name: \"\\400\"", 1, 8, "octal value \\400 is over \\377");
        Fails<NetParameter>("name: \"\\xff\"", 1, 7, "string field 'name' is not valid UTF-8");
        Fails<NetParameter>("[caffe.ext]: 1", 1, 1, "extension and Any names '[...]' are not supported");
    }

    [Test]
    public void OneofMembersExcludeEachOtherAndMapsAreRejected()
    {
        Assert.That(TextFormat.Parse<Google.Protobuf.WellKnownTypes.Value>("string_value: \"x\"", File).StringValue, Is.EqualTo("x"));
        Fails<Google.Protobuf.WellKnownTypes.Value>("number_value: 1\nstring_value: \"x\"", 2, 1,
            "fields 'number_value' (line 1) and 'string_value' belong to oneof 'kind'; give only one of them");
        Fails<Google.Protobuf.WellKnownTypes.Struct>("fields { key: \"a\" }", 1, 1, "map field 'fields' is not supported");
    }
}
