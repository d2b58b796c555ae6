// LiveProgress: the live progress line of `omnivore train` on a terminal, drawn with
// Spectre.Console on standard error and updated in place a few times a second, while the
// Caffe-format log lines keep appearing above it (each log line clears the progress line,
// is written, and the line is drawn again). Off the terminal it is never created.
using Omnivore.Core;
using Omnivore.Solvers;
using Spectre.Console;

namespace Omnivore.Cli.Progress;

public sealed class LiveProgress : IDisposable
{
    private const string ClearLine = "\r\u001b[2K";
    private readonly object _sync = new();
    private readonly Solver _solver;
    private readonly string _split;
    private readonly TextWriter _out;
    private readonly IAnsiConsole _console;
    private readonly TextWriter _oldLog;
    private readonly Timer _timer;
    private readonly Func<int> _width;
    private DateTime _lastTime = DateTime.UtcNow;
    private int _lastIter;
    private double _rate;
    private bool _drawn, _disposed;

    /// <summary>A live line for this run when live (a terminal), else null: only the plain log lines.</summary>
    public static LiveProgress? Attach(Solver solver, string split, bool live, TextWriter stderr, Func<int>? width = null) =>
        live ? new LiveProgress(solver, split, stderr, width ?? TerminalWidth) : null;

    private LiveProgress(Solver solver, string split, TextWriter stderr, Func<int> width)
    {
        _solver = solver;
        _split = split;
        _out = stderr;
        _width = width;
        _lastIter = solver.Iter;
        _console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.Standard,
            Out = new AnsiConsoleOutput(stderr),
        });
        _oldLog = Log.Writer;
        Log.Writer = new AboveTheLine(this);
        _timer = new Timer(_ => Redraw(), null, 250, 250);
    }

    private static int TerminalWidth()
    {
        try
        {
            return Console.WindowWidth > 0 ? Console.WindowWidth : 120;
        }
        catch (IOException)
        {
            return 120;
        }
    }

    /// <summary>The numbers now: the speed is smoothed over the last few updates.</summary>
    public ProgressState State()
    {
        var now = DateTime.UtcNow;
        int iter = _solver.Iter;
        double dt = (now - _lastTime).TotalSeconds;
        if (dt >= 0.5 && iter >= _lastIter)
        {
            double rate = (iter - _lastIter) / dt;
            _rate = _rate == 0 ? rate : 0.7 * _rate + 0.3 * rate;
            _lastTime = now;
            _lastIter = iter;
        }
        return new ProgressState(iter, _solver.Param.MaxIter, _solver.SmoothedLoss, _rate, _solver.BatchSize, _split);
    }

    private void Draw()
    {
        var text = ProgressText.Fit(ProgressText.Format(State()), _width());
        _console.WriteAnsi(ClearLine);
        _console.Markup($"[bold]{Markup.Escape(text)}[/]");
        _out.Flush();
        _drawn = true;
    }

    private void Redraw()
    {
        lock (_sync)
        {
            if (!_disposed) Draw();
        }
    }

    private void WriteAbove(string? line)
    {
        lock (_sync)
        {
            if (_drawn) _out.Write(ClearLine);
            _out.WriteLine(line);
            if (!_disposed) Draw();
            else _out.Flush();
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        lock (_sync)
        {
            if (_disposed) return;
            _disposed = true;
            if (_drawn) _out.Write(ClearLine);
            _out.Flush();
            Log.Writer = _oldLog;
        }
    }

    /// <summary>What Log writes to while the line is live: each log line goes above the progress line.</summary>
    private sealed class AboveTheLine(LiveProgress owner) : TextWriter
    {
        public override System.Text.Encoding Encoding => owner._out.Encoding;
        public override void WriteLine(string? value) => owner.WriteAbove(value);
        public override void Write(string? value) => owner.WriteAbove(value);
        public override void Write(char value) => owner.WriteAbove(value.ToString());
        public override void Flush() { }
    }
}
