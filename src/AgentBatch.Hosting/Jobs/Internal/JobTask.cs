using Microsoft.Extensions.AI;

namespace AgentBatch.Hosting.Internal;

/// <summary>A job task's mutable state; changed only under the manager's lock.</summary>
internal sealed class JobTask
{
    public JobTask(string id, long sequence, string input, BatchTaskOptions options, DateTimeOffset submittedAt)
    {
        Id = id;
        Sequence = sequence;
        Input = input;
        Name = options.Name;
        Priority = options.Priority;
        MaxRetries = options.MaxRetries;
        SubmittedAt = submittedAt;
    }

    public string Id { get; }

    public long Sequence { get; }

    public string Input { get; }

    public string? Name { get; }

    public BatchPriority Priority { get; }

    public int MaxRetries { get; }

    public DateTimeOffset SubmittedAt { get; }

    public BatchTaskStatus Status { get; set; }

    public string? Output { get; set; }

    public string? Error { get; set; }

    public int Runs { get; set; }

    public int Attempts { get; set; }

    public UsageDetails Usage { get; } = new();

    public decimal? Cost { get; set; } = 0m;

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    public TimeSpan ExecutionTime { get; set; }

    /// <summary>Gets or sets the running task's own cancellation, for <see cref="IBatchJobManager.Cancel(string)"/>.</summary>
    public CancellationTokenSource? Cancellation { get; set; }

    public bool CancelRequested { get; set; }

    public bool IsFinished => Status is BatchTaskStatus.Completed or BatchTaskStatus.Failed or BatchTaskStatus.Canceled;

    public BatchTaskInfo Snapshot() => new()
    {
        Id = Id,
        Name = Name,
        Input = Input,
        Priority = Priority,
        MaxRetries = MaxRetries,
        Status = Status,
        Output = Output,
        Error = Error,
        Runs = Runs,
        Attempts = Attempts,
        InputTokens = Usage.InputTokenCount ?? 0,
        OutputTokens = Usage.OutputTokenCount ?? 0,
        Cost = Cost,
        SubmittedAt = SubmittedAt,
        StartedAt = StartedAt,
        CompletedAt = CompletedAt,
        ExecutionTime = ExecutionTime,
    };
}
