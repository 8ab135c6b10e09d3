using Spectre.Console;

namespace AgentBatch.Samples;

/// <summary>Progress for an interactive terminal: moves a Spectre.Console progress bar and rewrites its description.</summary>
public sealed class LiveProgressBar : IProgress<BatchProgress>
{
    private readonly ProgressTask _task;
    private readonly string _label;
    private readonly Lock _gate = new();
    private int _lastCompleted = -1;

    /// <summary>Initializes a new instance of the <see cref="LiveProgressBar"/> class.</summary>
    /// <param name="task">The progress task to move.</param>
    /// <param name="label">The description's first words.</param>
    public LiveProgressBar(ProgressTask task, string label)
    {
        _task = task;
        _label = label;
    }

    /// <inheritdoc />
    public void Report(BatchProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        lock (_gate)
        {
            if (value.Completed <= _lastCompleted)
            {
                return;
            }

            _lastCompleted = value.Completed;
            if (value.Total is { } total)
            {
                _task.MaxValue = Math.Max(1, total);
            }

            _task.Value = value.Completed;
            _task.Description = Markup.Escape($"{_label}  {ProgressText.Describe(value)}");
        }
    }
}
