namespace AgentBatch.Hosting;

/// <summary>How <see cref="IBatchJobManager.Start"/> runs the queue.</summary>
public sealed class BatchJobStartOptions
{
    private int? _maxConcurrency;
    private TimeSpan? _taskTimeout;

    /// <summary>Gets or sets the most tasks running at once.</summary>
    /// <value>The default value is <see langword="null"/>: the manager's <see cref="BatchOptions.MaxConcurrency"/> (<c>AgentBatch:MaxConcurrency</c>, 16 by default).</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int? MaxConcurrency
    {
        get => _maxConcurrency;
        set
        {
            if (value is { } limit)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1, nameof(MaxConcurrency));
            }

            _maxConcurrency = value;
        }
    }

    /// <summary>Gets or sets the most time one run of a task may take, retries of its calls included; a task that takes longer fails (and is retried if it has retries left).</summary>
    /// <value>The default value is <see langword="null"/>: the manager's <see cref="BatchOptions.ItemTimeout"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public TimeSpan? TaskTimeout
    {
        get => _taskTimeout;
        set
        {
            if (value is { } timeout)
            {
                ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero, nameof(TaskTimeout));
            }

            _taskTimeout = value;
        }
    }
}
