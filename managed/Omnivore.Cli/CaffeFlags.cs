// CaffeFlags: accepts Caffe's single-dash flags (`-solver x`, `-weights=y`) so that a
// Caffe command line works with only the program name changed.
namespace Omnivore.Cli;

public static class CaffeFlags
{
    private static readonly HashSet<string> Known =
        ["solver", "weights", "snapshot", "model", "iterations", "gpu", "phase", "level", "stage", "threads",
         "sigint_effect", "sighup_effect", "gray", "shuffle", "resize_height", "resize_width", "check_size", "encoded", "encode_type"];

    public static string[] Normalize(string[] args)
    {
        var result = new List<string>();
        foreach (var a in args)
        {
            if (a.Length > 1 && a[0] == '-' && a[1] != '-')
            {
                var name = a[1..];
                var eq = name.IndexOf('=');
                var key = eq >= 0 ? name[..eq] : name;
                if (Known.Contains(key))
                {
                    result.Add("--" + key);
                    if (eq >= 0) result.Add(name[(eq + 1)..]);
                    continue;
                }
            }
            else if (a.StartsWith("--", StringComparison.Ordinal) && a.Contains('='))
            {
                var eq = a.IndexOf('=');
                result.Add(a[..eq]);
                result.Add(a[(eq + 1)..]);
                continue;
            }
            result.Add(a);
        }
        return result.ToArray();
    }
}
