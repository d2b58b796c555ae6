// Lmdb: opens Caffe's LMDB datasets through LightningDB, bound to the system's liblmdb
// 0.9 (Debian's liblmdb0) instead of the library bundled in the package, which needs a
// newer glibc and writes a file format that Caffe cannot read.
using System.Reflection;
using System.Runtime.InteropServices;
using LightningDB;
using Omnivore.Core;

namespace Omnivore.Data;

public static class Lmdb
{
    private static int _resolverSet;
    private static readonly string[] Candidates = ["liblmdb.so.0", "liblmdb.so", "lmdb"];

    /// <summary>Makes LightningDB load the system liblmdb; idempotent.</summary>
    public static void UseSystemLibrary()
    {
        if (Interlocked.Exchange(ref _resolverSet, 1) == 1) return;
        NativeLibrary.SetDllImportResolver(typeof(LightningEnvironment).Assembly, Resolve);
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != "lmdb" && name != "liblmdb") return 0;
        // A copy beside the program (the bundle in dist/) wins over the system's.
        var beside = Path.Combine(AppContext.BaseDirectory, "liblmdb.so.0");
        if (File.Exists(beside) && NativeLibrary.TryLoad(beside, out var own)) return own;
        foreach (var candidate in Candidates)
            if (NativeLibrary.TryLoad(candidate, out var handle)) return handle;
        throw new OmnivoreException(
            "the LMDB library (liblmdb.so.0) was not found; install it with 'apt-get install liblmdb0' " +
            "(or run ./build.sh, which installs what is missing)");
    }

    /// <summary>Opens an existing LMDB directory read-only, with a clear error when it is missing.</summary>
    public static LightningEnvironment OpenRead(string path)
    {
        UseSystemLibrary();
        if (!Directory.Exists(path))
            throw new OmnivoreException(
                $"LMDB '{path}' does not exist (resolved against the working directory {Environment.CurrentDirectory}); " +
                "create it first, e.g. 'omnivore convert mnist'");
        if (!File.Exists(Path.Combine(path, "data.mdb")))
            throw new OmnivoreException($"'{path}' is not an LMDB directory (no data.mdb inside)");
        var env = new LightningEnvironment(path, new EnvironmentConfiguration { MaxReaders = 126 });
        try
        {
            env.Open(EnvironmentOpenFlags.ReadOnly | EnvironmentOpenFlags.NoThreadLocalStorage | EnvironmentOpenFlags.NoLock);
        }
        catch (LightningException e)
        {
            env.Dispose();
            throw new OmnivoreException($"cannot open LMDB '{path}': {e.Message}", e);
        }
        return env;
    }

    /// <summary>Creates (or truncates) an LMDB directory for writing, sized as Caffe does (1 TiB map).</summary>
    public static LightningEnvironment CreateForWrite(string path)
    {
        UseSystemLibrary();
        if (Directory.Exists(path))
            throw new OmnivoreException($"'{path}' already exists; remove it first (Caffe's converters refuse too)");
        Directory.CreateDirectory(path);
        var env = new LightningEnvironment(path, new EnvironmentConfiguration { MapSize = 1L << 40 });
        try
        {
            env.Open(EnvironmentOpenFlags.None);
        }
        catch
        {
            env.Dispose(); // an undisposed environment crashes the process in its finalizer
            throw;
        }
        return env;
    }
}
