// Fmt: numbers printed the way Caffe's C++ streams print them (6 significant digits,
// "1e-05" style exponents), so log parsers written for Caffe match Omnivore's lines.
using System.Globalization;

namespace Omnivore.Core;

public static class Fmt
{
    public static string G(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsPositiveInfinity(value)) return "inf";
        if (double.IsNegativeInfinity(value)) return "-inf";
        return value.ToString("G6", CultureInfo.InvariantCulture).Replace("E", "e");
    }
}
