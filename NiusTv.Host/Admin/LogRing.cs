namespace NiusTv.Host.Admin;

/// <summary>The node's last <see cref="Capacity"/> log lines, for `nius log peek`: an operator can see why a node
/// misbehaves without a shell on its machine or a log pipeline.</summary>
public sealed class LogRing
{
    public const int Capacity = 1000;

    public sealed record Line(DateTimeOffset At, string Level, string Category, string Message);

    private readonly Line[] _lines = new Line[Capacity];
    private long _written;

    public void Add(Line line)
    {
        lock (_lines) _lines[_written++ % Capacity] = line;
    }

    /// <summary>The newest <paramref name="n"/> lines, oldest first.</summary>
    public IReadOnlyList<Line> Last(int n)
    {
        lock (_lines)
        {
            var count = (int)Math.Min(Math.Min(n, Capacity), _written);
            return Enumerable.Range(0, count).Select(i => _lines[(_written - count + i) % Capacity]).ToList();
        }
    }
}

/// <summary>Feeds <see cref="LogRing"/> from Microsoft.Extensions.Logging (Akka's log goes through it too).</summary>
public sealed class LogRingProvider(LogRing ring) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new RingLogger(ring, categoryName);

    public void Dispose() { }

    private sealed class RingLogger(LogRing ring, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var message = formatter(state, exception);
            if (exception is not null) message += " — " + exception.GetType().Name + ": " + exception.Message;
            ring.Add(new LogRing.Line(DateTimeOffset.UtcNow, logLevel.ToString().ToLowerInvariant(), category, message));
        }
    }
}
