// PrototxtException: the one error type of the protobuf text-format reader
// (TextFormatTokenizer / TextFormat). It carries the file name and the 1-based line
// and column of the offending text, and its Message reads like a compiler diagnostic:
//   lenet.prototxt:12:5: unknown field 'kernal_size' in caffe.ConvolutionParameter (known: ...)
namespace Omnivore.Model;

/// <summary>A syntax or schema error in a .prototxt (protobuf text format) file.</summary>
public sealed class PrototxtException : Exception
{
    public PrototxtException(string fileName, int line, int column, string reason)
        : base($"{fileName}:{line}:{column}: {reason}")
    {
        FileName = fileName;
        Line = line;
        Column = column;
        Reason = reason;
    }

    /// <summary>The file name as given to the parser.</summary>
    public string FileName { get; }

    /// <summary>1-based line of the offending text.</summary>
    public int Line { get; }

    /// <summary>1-based column (in characters) of the offending text.</summary>
    public int Column { get; }

    /// <summary>What is wrong and what was expected, without the "file:line:col: " prefix.</summary>
    public string Reason { get; }
}
