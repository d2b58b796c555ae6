// OmnivoreException: an error in the user's input or environment (bad prototxt, missing
// file, shape mismatch, missing library). The console program prints its message as one
// line and exits non-zero; anything else is a bug and keeps its stack trace.
namespace Omnivore.Core;

public class OmnivoreException : Exception
{
    public OmnivoreException(string message) : base(message) { }
    public OmnivoreException(string message, Exception inner) : base(message, inner) { }
}
