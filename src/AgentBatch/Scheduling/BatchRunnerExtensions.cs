using Microsoft.Extensions.AI;

namespace AgentBatch;

/// <summary>The template forms of <see cref="BatchRunner"/>'s methods: a template is cloned once per item (<see cref="IBatchAgent.Clone(int)"/>).</summary>
public static class BatchRunnerExtensions
{
    /// <summary>Runs a clone of <paramref name="template"/> on every item and returns every item's result in input order.</summary>
    /// <typeparam name="TItem">The type of the items.</typeparam>
    /// <typeparam name="TOutput">The type of each item's output.</typeparam>
    /// <param name="runner">The runner.</param>
    /// <param name="template">The agent cloned once per item with <see cref="IBatchAgent.Clone(int)"/>; never run or changed itself.</param>
    /// <param name="items">The items, read lazily, once.</param>
    /// <param name="inputMap">Maps an item to the agent's input: a text, a message or messages; an empty input fails that item.</param>
    /// <param name="outputMap">Maps a successful reply to the item's output; an exception fails that item.</param>
    /// <param name="options">The batch options; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>Exactly one result per item, in input order, with the batch totals.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A member of <paramref name="options"/> is out of range or contradicts another; <see cref="ArgumentException.ParamName"/> names it.</exception>
    /// <exception cref="BatchItemException">An item failed and <see cref="BatchOptions.ErrorHandling"/> is <see cref="BatchErrorHandling.Throw"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<BatchResult<TOutput>> RunBatchAsync<TItem, TOutput>(
        this BatchRunner runner,
        IBatchAgent template,
        IEnumerable<TItem> items,
        Func<TItem, BatchInput> inputMap,
        Func<ChatResponse, TOutput> outputMap,
        BatchOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(template);
        return runner.RunBatchAsync(template.Clone, items, inputMap, outputMap, options, cancellationToken);
    }

    /// <summary>
    /// Runs a clone of <paramref name="template"/> on every item until a completed item satisfies <paramref name="stopCondition"/>,
    /// then cancels the items in flight and starts no more.
    /// </summary>
    /// <typeparam name="TItem">The type of the items.</typeparam>
    /// <typeparam name="TOutput">The type of each item's output.</typeparam>
    /// <param name="runner">The runner.</param>
    /// <param name="template">The agent cloned once per item.</param>
    /// <param name="items">The items, read lazily, once.</param>
    /// <param name="inputMap">Maps an item to the agent's input.</param>
    /// <param name="outputMap">Maps a successful reply to the item's output.</param>
    /// <param name="stopCondition">Evaluated on each succeeded or failed item; <see langword="true"/> stops the batch. If it throws, the batch stops <see cref="BatchStopReason.Faulted"/>.</param>
    /// <param name="options">The batch options; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>One result per item in input order.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A member of <paramref name="options"/> is out of range or contradicts another; <see cref="ArgumentException.ParamName"/> names it.</exception>
    /// <exception cref="BatchItemException">An item failed and <see cref="BatchOptions.ErrorHandling"/> is <see cref="BatchErrorHandling.Throw"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<BatchResult<TOutput>> RunBatchAsync<TItem, TOutput>(
        this BatchRunner runner,
        IBatchAgent template,
        IEnumerable<TItem> items,
        Func<TItem, BatchInput> inputMap,
        Func<ChatResponse, TOutput> outputMap,
        Func<BatchItemResult<TItem, TOutput>, bool> stopCondition,
        BatchOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(template);
        return runner.RunBatchAsync(template.Clone, items, inputMap, outputMap, stopCondition, options, cancellationToken);
    }

    /// <summary>Runs a clone of <paramref name="template"/> on every item of a stream and yields each result, with its item, as it completes.</summary>
    /// <typeparam name="TItem">The type of the items.</typeparam>
    /// <typeparam name="TOutput">The type of each item's output.</typeparam>
    /// <param name="runner">The runner.</param>
    /// <param name="template">The agent cloned once per item.</param>
    /// <param name="items">The items, read lazily: only the items in flight are held, so memory stays flat however many flow through.</param>
    /// <param name="inputMap">Maps an item to the agent's input.</param>
    /// <param name="outputMap">Maps a successful reply to the item's output.</param>
    /// <param name="options">The batch options; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The results in completion order.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A member of <paramref name="options"/> is out of range or contradicts another; <see cref="ArgumentException.ParamName"/> names it.</exception>
    public static IAsyncEnumerable<BatchItemResult<TItem, TOutput>> StreamBatchAsync<TItem, TOutput>(
        this BatchRunner runner,
        IBatchAgent template,
        IAsyncEnumerable<TItem> items,
        Func<TItem, BatchInput> inputMap,
        Func<ChatResponse, TOutput> outputMap,
        BatchOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(template);
        return runner.StreamBatchAsync(template.Clone, items, inputMap, outputMap, options, cancellationToken);
    }

    /// <summary>
    /// Runs a clone of <paramref name="template"/> on every item of a stream, yielding each result as it completes,
    /// until a completed item satisfies <paramref name="stopCondition"/>.
    /// </summary>
    /// <typeparam name="TItem">The type of the items.</typeparam>
    /// <typeparam name="TOutput">The type of each item's output.</typeparam>
    /// <param name="runner">The runner.</param>
    /// <param name="template">The agent cloned once per item.</param>
    /// <param name="items">The items, read lazily.</param>
    /// <param name="inputMap">Maps an item to the agent's input.</param>
    /// <param name="outputMap">Maps a successful reply to the item's output.</param>
    /// <param name="stopCondition">Evaluated on each succeeded or failed item; <see langword="true"/> stops the batch.</param>
    /// <param name="options">The batch options; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The results in completion order; after the condition is met, the cancelled and skipped items follow.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A member of <paramref name="options"/> is out of range or contradicts another; <see cref="ArgumentException.ParamName"/> names it.</exception>
    public static IAsyncEnumerable<BatchItemResult<TItem, TOutput>> StreamBatchAsync<TItem, TOutput>(
        this BatchRunner runner,
        IBatchAgent template,
        IAsyncEnumerable<TItem> items,
        Func<TItem, BatchInput> inputMap,
        Func<ChatResponse, TOutput> outputMap,
        Func<BatchItemResult<TItem, TOutput>, bool> stopCondition,
        BatchOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(template);
        return runner.StreamBatchAsync(template.Clone, items, inputMap, outputMap, stopCondition, options, cancellationToken);
    }
}
