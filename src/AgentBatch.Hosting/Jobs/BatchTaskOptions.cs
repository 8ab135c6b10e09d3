namespace AgentBatch.Hosting;

/// <summary>How one submitted task runs: its priority, its retries and an optional identifier and name.</summary>
public sealed class BatchTaskOptions
{
    /// <summary>The most retries a task may ask for.</summary>
    public const int MaxRetriesLimit = 100;

    private int _maxRetries;

    /// <summary>Gets or sets the task's identifier; <see langword="null"/> for one made by the manager (<c>task-1</c>, <c>task-2</c>, ...).</summary>
    /// <value>The default value is <see langword="null"/>. Must be unique among the manager's tasks. For several tasks, a suffix <c>-1</c>, <c>-2</c>, ... is added.</value>
    public string? Id { get; set; }

    /// <summary>Gets or sets a name to show with the task in status and exports.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Name { get; set; }

    /// <summary>Gets or sets the task's priority: higher priorities start first, first come first served within one.</summary>
    /// <value>The default value is <see cref="BatchPriority.Medium"/>.</value>
    public BatchPriority Priority { get; set; } = BatchPriority.Medium;

    /// <summary>Gets or sets how many times a failed task is queued again before it ends <see cref="BatchTaskStatus.Failed"/>.</summary>
    /// <value>The default value is 0. Between 0 and 100. Each run already retries transient errors of its model calls (<see cref="BatchOptions.MaxAttempts"/>); these retries run the whole task again.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or above <see cref="MaxRetriesLimit"/>.</exception>
    public int MaxRetries
    {
        get => _maxRetries;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(MaxRetries));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxRetriesLimit, nameof(MaxRetries));
            _maxRetries = value;
        }
    }
}
