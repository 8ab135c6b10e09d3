namespace AgentBatch.Hosting;

/// <summary>A consistent snapshot of a job manager's tasks: counts by status, progress and an estimate of the time left.</summary>
public sealed class BatchJobStatus
{
    /// <summary>Gets a value indicating whether the manager is started.</summary>
    public bool IsRunning { get; init; }

    /// <summary>Gets the number of queued tasks.</summary>
    public int Queued { get; init; }

    /// <summary>Gets the number of running tasks.</summary>
    public int Running { get; init; }

    /// <summary>Gets the number of completed tasks.</summary>
    public int Completed { get; init; }

    /// <summary>Gets the number of failed tasks.</summary>
    public int Failed { get; init; }

    /// <summary>Gets the number of cancelled tasks.</summary>
    public int Canceled { get; init; }

    /// <summary>Gets the number of tasks the manager holds (finished tasks until <see cref="IBatchJobManager.ClearFinished"/>).</summary>
    public int Total => Queued + Running + Completed + Failed + Canceled;

    /// <summary>Gets the share of tasks finished (completed, failed or cancelled), from 0 to 100; 100 when there are none.</summary>
    public double Percentage => Total == 0 ? 100 : 100.0 * (Completed + Failed + Canceled) / Total;

    /// <summary>Gets the time the manager has been running since it was last started; <see cref="TimeSpan.Zero"/> when stopped.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Gets the estimated time until every queued and running task finishes, from the pace since the last start; <see langword="null"/> until a task has finished or when stopped.</summary>
    public TimeSpan? EstimatedRemaining { get; init; }

    /// <summary>Gets the average execution time of the completed tasks; <see langword="null"/> when none.</summary>
    public TimeSpan? AverageExecutionTime { get; init; }

    /// <summary>Gets the input and output tokens of all tasks held.</summary>
    public long TotalTokens { get; init; }

    /// <summary>Gets the cost of all tasks held.</summary>
    public decimal? Cost { get; init; }

    /// <summary>Gets why the last run stopped on its own, if it did: a token or cost cap reached, or an endpoint failing every call; <see langword="null"/> otherwise.</summary>
    /// <remarks>The tasks it could not start are queued again and run on the next <see cref="IBatchJobManager.Start"/>.</remarks>
    public string? LastError { get; init; }

    /// <inheritdoc />
    public override string ToString() =>
        FormattableString.Invariant($"{Completed + Failed + Canceled}/{Total} finished ({Percentage:F1}%): {Queued} queued, {Running} running, {Completed} completed, {Failed} failed, {Canceled} canceled");
}
