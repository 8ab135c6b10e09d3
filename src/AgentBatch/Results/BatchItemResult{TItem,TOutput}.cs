using Microsoft.Extensions.AI;

namespace AgentBatch;

/// <summary>The outcome of one batch item, with the item itself.</summary>
/// <typeparam name="TItem">The type of the items.</typeparam>
/// <typeparam name="TOutput">The type the output map produces.</typeparam>
/// <remarks>A streamed result carries its item, so a consumer needs no index of its own to know what it is about.</remarks>
public sealed class BatchItemResult<TItem, TOutput> : BatchItemResult<TOutput>
{
    internal BatchItemResult(
        int index,
        TItem item,
        BatchItemStatus status,
        TOutput? output,
        Exception? error,
        UsageDetails? usage,
        decimal? cost,
        int attempts,
        TimeSpan duration,
        BatchNotSentReason notSentReason,
        bool failedOnItsOwn = true)
        : base(index, status, output, error, usage, cost, attempts, duration, notSentReason, failedOnItsOwn)
    {
        Item = item;
    }

    /// <summary>Gets the item, as the source gave it.</summary>
    public TItem Item { get; }
}
