using Microsoft.Extensions.AI;

namespace AgentBatch;

/// <summary>The outcome of one batch item.</summary>
/// <typeparam name="TOutput">The type the output map produces.</typeparam>
/// <remarks>Every result a runner makes is a <see cref="BatchItemResult{TItem, TOutput}"/>, which also carries the item.</remarks>
public class BatchItemResult<TOutput>
{
    private protected BatchItemResult(
        int index,
        BatchItemStatus status,
        TOutput? output,
        Exception? error,
        UsageDetails? usage,
        decimal? cost,
        int attempts,
        TimeSpan duration,
        BatchNotSentReason notSentReason,
        bool failedOnItsOwn)
    {
        Index = index;
        Status = status;
        Output = output;
        Error = error;
        Usage = usage;
        Cost = cost;
        Attempts = attempts;
        Duration = duration;
        NotSentReason = attempts > 0 ? BatchNotSentReason.None : notSentReason;
        IsFinal = status == BatchItemStatus.Succeeded || (status == BatchItemStatus.Failed && failedOnItsOwn);
    }

    /// <summary>Gets the zero-based position of the item in the batch's input.</summary>
    public int Index { get; }

    /// <summary>Gets how the item ended.</summary>
    public BatchItemStatus Status { get; }

    /// <summary>Gets the item's output when it <see cref="BatchItemStatus.Succeeded"/>; otherwise the default value.</summary>
    public TOutput? Output { get; }

    /// <summary>Gets why the item failed, was skipped or was cancelled, when known.</summary>
    public Exception? Error { get; }

    /// <summary>Gets the tokens the server reported for this item's model calls, summed; <see langword="null"/> when none was reported.</summary>
    public UsageDetails? Usage { get; }

    /// <summary>Gets the cost of this item's reported usage under the batch's pricing, or <see langword="null"/> when some of it has no known price.</summary>
    /// <remarks>Zero when nothing was reported (an item never sent, or answered from a cache).</remarks>
    public decimal? Cost { get; }

    /// <summary>Gets the number of requests sent to the model for this item, retries, tool round trips and output repairs included.</summary>
    public int Attempts { get; }

    /// <summary>Gets a value indicating whether at least one request for this item left for the model.</summary>
    /// <remarks>When <see langword="false"/>, <see cref="NotSentReason"/> says why. Such an item was not paid for, and can be run again as it is.</remarks>
    public bool WasSent => NotSentReason == BatchNotSentReason.None;

    /// <summary>Gets why no request for this item was sent, or <see cref="BatchNotSentReason.None"/> when one was.</summary>
    public BatchNotSentReason NotSentReason { get; }

    /// <summary>Gets a value indicating whether this outcome is the item's own, so that running the item again as it is would be expected to end the same way.</summary>
    /// <remarks>
    /// <para>
    /// <see langword="true"/> when the item succeeded, or failed for a reason of its own: its input (null, empty, beyond the
    /// context window, larger than the whole cap), a request the provider refused for what it asked (400, a content
    /// filter), its output (a map that threw, a reply that does not read), its tools, <c>MaxTurns</c> or its own
    /// <c>ItemTimeout</c>.
    /// </para>
    /// <para>
    /// <see langword="false"/> when it was skipped or cancelled, or failed for a reason outside it: the endpoint down or
    /// failing (refused or dropped connections, 5xx, 408, 429 or attempt timeouts past the last retry, an open circuit),
    /// refusing the batch (401, 403, 404, a used-up quota), or a token or cost cap spent. Such an item runs again, as it
    /// is, once the cause is gone; a store of results that must survive restarts records only final ones.
    /// </para>
    /// </remarks>
    public bool IsFinal { get; }

    /// <summary>Gets the constructor's <c>failedOnItsOwn</c> again, for a copy of this result.</summary>
    internal bool FailedOnItsOwn => IsFinal || Status != BatchItemStatus.Failed;

    /// <summary>Gets how long the item took, from its start to its result.</summary>
    public TimeSpan Duration { get; }

    /// <summary>Gets a value indicating whether the item succeeded.</summary>
    public bool IsSuccess => Status == BatchItemStatus.Succeeded;

    /// <inheritdoc />
    public override string ToString() =>
        Error is null
            ? $"#{Index} {Status} ({Attempts} attempt(s), {Duration.TotalMilliseconds:F0} ms)"
            : $"#{Index} {Status}{(WasSent ? string.Empty : $" (not sent: {NotSentReason})")}: {Error.GetType().Name}: {Error.Message}";
}
