namespace AgentBatch.Hosting;

/// <summary>A snapshot of one job task: what it was asked, where it stands, and what it produced and cost.</summary>
public sealed class BatchTaskInfo
{
    /// <summary>Gets the task's identifier.</summary>
    public required string Id { get; init; }

    /// <summary>Gets the task's name, if one was given.</summary>
    public string? Name { get; init; }

    /// <summary>Gets the agent's input.</summary>
    public required string Input { get; init; }

    /// <summary>Gets the task's priority.</summary>
    public BatchPriority Priority { get; init; }

    /// <summary>Gets how many times a failed run of the task is queued again.</summary>
    public int MaxRetries { get; init; }

    /// <summary>Gets where the task stands.</summary>
    public BatchTaskStatus Status { get; init; }

    /// <summary>Gets the reply's text, once <see cref="BatchTaskStatus.Completed"/>.</summary>
    public string? Output { get; init; }

    /// <summary>Gets the last run's error: the final one when <see cref="BatchTaskStatus.Failed"/> or <see cref="BatchTaskStatus.Canceled"/>, the one that caused a retry while queued again.</summary>
    public string? Error { get; init; }

    /// <summary>Gets how many times the task started.</summary>
    public int Runs { get; init; }

    /// <summary>Gets the requests sent for the task over all its runs, retried calls included.</summary>
    public int Attempts { get; init; }

    /// <summary>Gets the input tokens of all runs.</summary>
    public long InputTokens { get; init; }

    /// <summary>Gets the output tokens of all runs.</summary>
    public long OutputTokens { get; init; }

    /// <summary>Gets the cost of all runs, or 0 when no price is known.</summary>
    public decimal? Cost { get; init; }

    /// <summary>Gets when the task was submitted.</summary>
    public DateTimeOffset SubmittedAt { get; init; }

    /// <summary>Gets when the task's last run started; <see langword="null"/> if it never started.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>Gets when the task finished; <see langword="null"/> while queued or running.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>Gets the time the task spent running, over all its runs.</summary>
    public TimeSpan ExecutionTime { get; init; }
}
