namespace AgentBatch.Samples;

/// <summary>Shows each progress snapshot once, in order: a report that arrives after a newer one is dropped.</summary>
public sealed class ForwardProgress : IProgress<BatchProgress>
{
    private readonly Action<BatchProgress> _show;
    private readonly Lock _gate = new();
    private int _lastCompleted;

    /// <summary>Initializes a new instance of the <see cref="ForwardProgress"/> class.</summary>
    /// <param name="show">Shows one snapshot: a plain line, or a progress bar's new state.</param>
    public ForwardProgress(Action<BatchProgress> show)
    {
        _show = show;
    }

    /// <inheritdoc />
    public void Report(BatchProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        lock (_gate)
        {
            // Counts never go backwards on the screen, whatever thread a report arrives on.
            if (value.Completed <= _lastCompleted)
            {
                return;
            }

            _lastCompleted = value.Completed;
            _show(value);
        }
    }
}
