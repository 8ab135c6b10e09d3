using Microsoft.Extensions.AI;

namespace AgentBatch;

/// <summary>The outcome of a whole batch: every item's result in input order, and the totals.</summary>
/// <typeparam name="TOutput">The type the output map produces.</typeparam>
public sealed class BatchResult<TOutput>
{
    private IReadOnlyList<TOutput?>? _outputs;

    internal BatchResult(
        IReadOnlyList<BatchItemResult<TOutput>> items,
        BatchStopReason stopReason,
        UsageDetails usage,
        decimal? cost,
        TimeSpan elapsed,
        Exception? error)
    {
        Items = items;
        StopReason = stopReason;
        Usage = usage;
        Cost = cost;
        Elapsed = elapsed;
        Error = error;

        foreach (var item in items)
        {
            switch (item.Status)
            {
                case BatchItemStatus.Succeeded: SucceededCount++; break;
                case BatchItemStatus.Failed: FailedCount++; break;
                case BatchItemStatus.Skipped: SkippedCount++; break;
                default: CanceledCount++; break;
            }
        }
    }

    /// <summary>Gets every item's result, in input order: exactly one per input item.</summary>
    public IReadOnlyList<BatchItemResult<TOutput>> Items { get; }

    /// <summary>Gets every item's output in input order; the default value where the item did not succeed.</summary>
    public IReadOnlyList<TOutput?> Outputs => _outputs ??= Items.Select(static i => i.Output).ToArray();

    /// <summary>Gets why the batch stopped.</summary>
    public BatchStopReason StopReason { get; }

    /// <summary>Gets the tokens reported by the server, summed over all items.</summary>
    public UsageDetails Usage { get; }

    /// <summary>Gets the cost of the reported usage, summed over all items, or <see langword="null"/> when some item's usage has no known price.</summary>
    public decimal? Cost { get; }

    /// <summary>Gets the wall-clock time the batch took.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Gets the error that stopped the batch when <see cref="StopReason"/> is <see cref="BatchStopReason.Faulted"/>.</summary>
    public Exception? Error { get; }

    /// <summary>Gets the number of items that succeeded.</summary>
    public int SucceededCount { get; }

    /// <summary>Gets the number of items that failed.</summary>
    public int FailedCount { get; }

    /// <summary>Gets the number of items that never started.</summary>
    public int SkippedCount { get; }

    /// <summary>Gets the number of items cancelled while in flight.</summary>
    public int CanceledCount { get; }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Items.Count} item(s): {SucceededCount} succeeded, {FailedCount} failed, {SkippedCount} skipped, {CanceledCount} canceled; {StopReason}; {Usage.TotalTokenCount ?? 0} tokens; cost {(Cost is { } cost ? cost.ToString(System.Globalization.CultureInfo.InvariantCulture) : "unknown")}; {Elapsed.TotalSeconds:F2} s";
}
