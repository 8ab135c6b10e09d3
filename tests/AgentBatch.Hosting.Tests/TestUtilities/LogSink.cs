using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace AgentBatch.Hosting.Tests;

/// <summary>A logger provider that keeps every log line (exceptions included) and can signal when an event is logged.</summary>
internal sealed class LogSink : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource> _events = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public string AllText => string.Join("\n", _lines);

    /// <summary>Completes when an entry with <paramref name="eventId"/> is logged.</summary>
    public Task WhenLogged(int eventId) => Signal(eventId).Task;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private TaskCompletionSource Signal(int eventId) =>
        _events.GetOrAdd(eventId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private sealed class Logger(LogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            sink._lines.Enqueue($"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)} {exception}");
            sink.Signal(eventId.Id).TrySetResult();
        }
    }
}
