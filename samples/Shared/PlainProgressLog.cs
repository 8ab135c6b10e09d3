using Spectre.Console;

namespace AgentBatch.Samples;

/// <summary>Progress for output that is not a terminal: one plain line per completed item.</summary>
public sealed class PlainProgressLog : IProgress<BatchProgress>
{
    private readonly IAnsiConsole _console;
    private readonly string _label;
    private readonly Lock _gate = new();
    private int _lastCompleted;

    /// <summary>Initializes a new instance of the <see cref="PlainProgressLog"/> class.</summary>
    /// <param name="console">Where the lines go.</param>
    /// <param name="label">What each line starts with.</param>
    public PlainProgressLog(IAnsiConsole console, string label)
    {
        _console = console;
        _label = label;
    }

    /// <inheritdoc />
    public void Report(BatchProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        lock (_gate)
        {
            // Counts never go backwards on the page, whatever thread a report arrives on.
            if (value.Completed <= _lastCompleted)
            {
                return;
            }

            _lastCompleted = value.Completed;
            _console.WriteLine($"{_label}: {ProgressText.Describe(value)}");
        }
    }
}
