using System.Runtime.CompilerServices;
using AgentBatch.Internal;
using Microsoft.Extensions.AI;

namespace AgentBatch;

/// <summary>The resumable forms of <see cref="BatchRunner"/>'s methods: final results recorded in a <see cref="BatchCheckpoint{TItem}"/>'s store, and skipped when the batch runs again.</summary>
/// <remarks>
/// A rerun with the same run key and fingerprint answers every recorded item from the store (its result's
/// <see cref="BatchItemResult{TOutput}.NotSentReason"/> is <see cref="BatchNotSentReason.AlreadyRecorded"/>, nothing is
/// sent for it) and runs the rest: after a crash, only what had not finished runs again, and an item an outage or a spent
/// cap kept from finishing runs again too, since only final results are recorded.
/// </remarks>
public static class BatchRunnerCheckpointExtensions
{
    /// <summary>Runs a clone of <paramref name="template"/> on every item not yet recorded under <paramref name="checkpoint"/>, recording each final result, and returns every item's result in input order.</summary>
    /// <typeparam name="TItem">The type of the items.</typeparam>
    /// <typeparam name="TOutput">The type of each item's output; recorded as JSON.</typeparam>
    /// <param name="runner">The runner.</param>
    /// <param name="template">The agent cloned once per item that runs.</param>
    /// <param name="items">The items, read lazily, once.</param>
    /// <param name="inputMap">Maps an item to the agent's input.</param>
    /// <param name="outputMap">Maps a successful reply to the item's output.</param>
    /// <param name="checkpoint">Where final results are recorded, under which run, and each item's key.</param>
    /// <param name="options">The batch options; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>
    /// Exactly one result per item, in input order: recorded ones as recorded, the others as they ran now. The totals
    /// (<see cref="BatchResult{TOutput}.Usage"/>, <see cref="BatchResult{TOutput}.Cost"/>) are this run's.
    /// </returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A member of <paramref name="options"/> is out of range or contradicts another; <see cref="ArgumentException.ParamName"/> names it.</exception>
    /// <exception cref="BatchItemException">An item failed and <see cref="BatchOptions.ErrorHandling"/> is <see cref="BatchErrorHandling.Throw"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<BatchResult<TOutput>> RunBatchAsync<TItem, TOutput>(
        this BatchRunner runner,
        IBatchAgent template,
        IEnumerable<TItem> items,
        Func<TItem, BatchInput> inputMap,
        Func<ChatResponse, TOutput> outputMap,
        BatchCheckpoint<TItem> checkpoint,
        BatchOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var batch = Create(runner, template, items, inputMap, outputMap, checkpoint, options);
        var started = TimeProvider.System.GetTimestamp();
        var results = new List<BatchItemResult<TOutput>>(items.TryGetNonEnumeratedCount(out var count) ? count : 16);
        Exception? fault = null;
        try
        {
            await foreach (var result in batch.StreamAsync(AsAsync(items, cancellationToken), cancellationToken).ConfigureAwait(false))
            {
                results.Add(result);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not BatchItemException)
        {
            // As RunBatchAsync does: the batch ends Faulted with its error, keeping every result it has.
            fault = ex;
        }

        cancellationToken.ThrowIfCancellationRequested();
        results.Sort(static (a, b) => a.Index.CompareTo(b.Index));
        return new BatchResult<TOutput>(results, StopReasonOf(results, fault), UsageOf(results), CostOf(results), TimeProvider.System.GetElapsedTime(started), fault);
    }

    /// <summary>Runs a clone of <paramref name="template"/> on every item of a stream not yet recorded under <paramref name="checkpoint"/>, recording each final result, and yields every item's result as it completes.</summary>
    /// <typeparam name="TItem">The type of the items.</typeparam>
    /// <typeparam name="TOutput">The type of each item's output; recorded as JSON.</typeparam>
    /// <param name="runner">The runner.</param>
    /// <param name="template">The agent cloned once per item that runs.</param>
    /// <param name="items">The items, read lazily.</param>
    /// <param name="inputMap">Maps an item to the agent's input.</param>
    /// <param name="outputMap">Maps a successful reply to the item's output.</param>
    /// <param name="checkpoint">Where final results are recorded, under which run, and each item's key.</param>
    /// <param name="options">The batch options; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The results in completion order (recorded ones as they are read); <see cref="BatchItemResult{TOutput}.Index"/> gives each one's input position.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A member of <paramref name="options"/> is out of range or contradicts another; <see cref="ArgumentException.ParamName"/> names it.</exception>
    /// <remarks>The store's entries for the run are read into memory when the enumeration starts: one entry per recorded item.</remarks>
    public static IAsyncEnumerable<BatchItemResult<TItem, TOutput>> StreamBatchAsync<TItem, TOutput>(
        this BatchRunner runner,
        IBatchAgent template,
        IAsyncEnumerable<TItem> items,
        Func<TItem, BatchInput> inputMap,
        Func<ChatResponse, TOutput> outputMap,
        BatchCheckpoint<TItem> checkpoint,
        BatchOptions? options = null,
        CancellationToken cancellationToken = default) =>
        Create(runner, template, items, inputMap, outputMap, checkpoint, options).StreamAsync(items, cancellationToken);

    private static CheckpointedBatch<TItem, TOutput> Create<TItem, TOutput>(
        BatchRunner runner, IBatchAgent template, object items, Func<TItem, BatchInput> inputMap, Func<ChatResponse, TOutput> outputMap, BatchCheckpoint<TItem> checkpoint, BatchOptions? options)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(inputMap);
        ArgumentNullException.ThrowIfNull(outputMap);
        ArgumentNullException.ThrowIfNull(checkpoint);

        // At the call, as every runner method does; the runner checks its own copy again when the batch starts.
        if (options is not null)
        {
            new BatchOptions(options).Validate();
        }

        return new CheckpointedBatch<TItem, TOutput>(runner, template, inputMap, outputMap, checkpoint, options);
    }

    private static BatchStopReason StopReasonOf<TOutput>(List<BatchItemResult<TOutput>> results, Exception? fault) =>
        fault is not null
            ? BatchStopReason.Faulted
            : results.Find(static r => r.Error is BudgetExceededException { ExceedsCap: false })?.Error is BudgetExceededException budget
                ? budget.Limit == BudgetLimit.Cost ? BatchStopReason.CostLimitReached : BatchStopReason.TokenLimitReached
                : BatchStopReason.Completed;

    private static UsageDetails UsageOf<TOutput>(List<BatchItemResult<TOutput>> results)
    {
        var usage = new UsageDetails();
        foreach (var result in results)
        {
            if (result.Usage is { } used)
            {
                usage.Add(used);
            }
        }

        return usage;
    }

    private static decimal? CostOf<TOutput>(List<BatchItemResult<TOutput>> results)
    {
        var cost = 0m;
        foreach (var result in results)
        {
            if (result.Cost is not { } known)
            {
                return null;
            }

            cost += known;
        }

        return cost;
    }

    private static async IAsyncEnumerable<TItem> AsAsync<TItem>(IEnumerable<TItem> items, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var item in items)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return item;
            await Task.CompletedTask.ConfigureAwait(false);
        }
    }
}
