namespace AgentBatch;

/// <summary>A snapshot of a running batch, reported after each item completes.</summary>
public sealed class BatchProgress
{
    internal BatchProgress(
        int completed,
        int succeeded,
        int failed,
        int? total,
        TimeSpan elapsed,
        long inputTokens,
        long outputTokens,
        decimal? cost,
        ProviderBatchProgress? providerBatch = null)
    {
        ProviderBatch = providerBatch;
        Completed = completed;
        Succeeded = succeeded;
        Failed = failed;
        Total = total;
        Elapsed = elapsed;
        InputTokens = inputTokens;
        OutputTokens = outputTokens;
        Cost = cost;
    }

    /// <summary>Gets the number of items that have a result, whatever their status.</summary>
    public int Completed { get; }

    /// <summary>Gets the number of items that succeeded so far.</summary>
    public int Succeeded { get; }

    /// <summary>Gets the number of items that failed so far.</summary>
    public int Failed { get; }

    /// <summary>Gets the number of items in the batch, or <see langword="null"/> while the source has not been read to its end.</summary>
    public int? Total { get; }

    /// <summary>Gets the share of items completed, from 0 to 100, or <see langword="null"/> when <see cref="Total"/> is unknown.</summary>
    public double? Percentage => Total switch
    {
        null => null,
        0 => 100.0,
        { } total => 100.0 * Completed / total,
    };

    /// <summary>Gets the time since the batch started.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Gets an estimate of the time left, or <see langword="null"/> when it cannot be estimated.</summary>
    /// <remarks>
    /// From the average pace of the items so far; in the provider batch lane, while the provider works on batches, from the
    /// provider's own counts (<see cref="ProviderBatchProgress.EstimatedRemaining"/>), since items end only when their batch does.
    /// </remarks>
    public TimeSpan? EstimatedRemaining =>
        ProviderBatch is { Batches: > 0, EstimatedRemaining: { } provider }
            ? provider
            : Total is { } total && Completed > 0
                ? TimeSpan.FromTicks((long)((double)Elapsed.Ticks / Completed * Math.Max(0, total - Completed)))
                : null;

    /// <summary>Gets what the provider reports of the batches the run waits for, in the provider batch lane; <see langword="null"/> otherwise.</summary>
    /// <remarks>Reports come after each poll as well as after each item.</remarks>
    public ProviderBatchProgress? ProviderBatch { get; }

    /// <summary>Gets the input tokens reported so far.</summary>
    public long InputTokens { get; }

    /// <summary>Gets the output tokens reported so far.</summary>
    public long OutputTokens { get; }

    /// <summary>Gets the total tokens reported so far.</summary>
    public long TotalTokens => InputTokens + OutputTokens;

    /// <summary>Gets the cost of the usage reported so far, or <see langword="null"/> when some of it has no known price.</summary>
    public decimal? Cost { get; }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Completed}/{(Total?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?")} done, {Failed} failed, {TotalTokens} tokens, cost {(Cost is { } cost ? cost.ToString(System.Globalization.CultureInfo.InvariantCulture) : "unknown")}";
}
