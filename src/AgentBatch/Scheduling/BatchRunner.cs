using System.Runtime.CompilerServices;
using System.Threading.Channels;
using AgentBatch.Internal;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentBatch;

/// <summary>Runs an agent over many items: one isolated clone per item, concurrently under limits, results in input order.</summary>
/// <remarks>
/// <para>
/// For each item the runner maps the item to an input (<see cref="BatchInput"/>: a text, or messages), makes a fresh
/// agent for that item's index, runs it on the input, and maps the reply to an output. Items run in a sliding window
/// of <see cref="BatchOptions.MaxConcurrency"/>: a new item starts as soon as one finishes.
/// </para>
/// <para>
/// The methods here take an agent factory; the ones that take a template (cloned once per item with
/// <see cref="IBatchAgent.Clone(int)"/>) are in <see cref="BatchRunnerExtensions"/>. For typed output pass
/// <see cref="BatchOutput.Json{T}(System.Text.Json.JsonSerializerOptions?)"/> as the output map.
/// <see cref="RunBatchAsync{TItem, TOutput}(Func{int, IBatchAgent}, IEnumerable{TItem}, Func{TItem, BatchInput}, Func{ChatResponse, TOutput}, BatchOptions?, CancellationToken)"/>
/// and <see cref="StreamBatchAsync{TItem, TOutput}(Func{int, IBatchAgent}, IAsyncEnumerable{TItem}, Func{TItem, BatchInput}, Func{ChatResponse, TOutput}, BatchOptions?, CancellationToken)"/>
/// run the same engine; only how results come back differs.
/// </para>
/// <para>A runner holds no per-batch state: one instance can run any number of batches, concurrently.</para>
/// </remarks>
public sealed class BatchRunner
{
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;

    /// <summary>Initializes a new instance of the <see cref="BatchRunner"/> class with no logging and the system clock.</summary>
    public BatchRunner()
        : this(null, null)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BatchRunner"/> class.</summary>
    /// <param name="loggerFactory">The logger factory; <see langword="null"/> for no logging.</param>
    public BatchRunner(ILoggerFactory? loggerFactory)
        : this(loggerFactory, null)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BatchRunner"/> class.</summary>
    /// <param name="loggerFactory">The logger factory; <see langword="null"/> for no logging.</param>
    /// <param name="timeProvider">The clock for durations, timeouts and pacing; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    public BatchRunner(ILoggerFactory? loggerFactory, TimeProvider? timeProvider)
    {
        _logger = (ILogger?)loggerFactory?.CreateLogger<BatchRunner>() ?? NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Runs an agent made by <paramref name="agentFactory"/> on every item and returns every item's result in input order.</summary>
    /// <typeparam name="TItem">The type of the items.</typeparam>
    /// <typeparam name="TOutput">The type of each item's output.</typeparam>
    /// <param name="agentFactory">Makes a fresh agent for the item at the given index.</param>
    /// <param name="items">The items, read lazily, once.</param>
    /// <param name="inputMap">Maps an item to the agent's input: a text, a message or messages; an empty input fails that item.</param>
    /// <param name="outputMap">Maps a successful reply to the item's output; an exception fails that item.</param>
    /// <param name="options">The batch options; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>Exactly one result per item, in input order, with the batch totals.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A member of <paramref name="options"/> is out of range or contradicts another (see <see cref="BatchOptions.Validate"/>); <see cref="ArgumentException.ParamName"/> names it.</exception>
    /// <exception cref="BatchItemException">An item failed and <see cref="BatchOptions.ErrorHandling"/> is <see cref="BatchErrorHandling.Throw"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<BatchResult<TOutput>> RunBatchAsync<TItem, TOutput>(
        Func<int, IBatchAgent> agentFactory,
        IEnumerable<TItem> items,
        Func<TItem, BatchInput> inputMap,
        Func<ChatResponse, TOutput> outputMap,
        BatchOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ThrowIfNull(agentFactory, items, inputMap);
        ArgumentNullException.ThrowIfNull(outputMap);
        return RunCoreAsync(agentFactory, ItemReader<TItem>.From(items), inputMap, OutputReader<TOutput>.For(outputMap), null, Snapshot(options, outputMap), cancellationToken);
    }

    /// <summary>
    /// Runs an agent made by <paramref name="agentFactory"/> on every item until a completed item satisfies
    /// <paramref name="stopCondition"/>, then cancels the items in flight and starts no more.
    /// </summary>
    /// <typeparam name="TItem">The type of the items.</typeparam>
    /// <typeparam name="TOutput">The type of each item's output.</typeparam>
    /// <param name="agentFactory">Makes a fresh agent for the item at the given index.</param>
    /// <param name="items">The items, read lazily, once.</param>
    /// <param name="inputMap">Maps an item to the agent's input.</param>
    /// <param name="outputMap">Maps a successful reply to the item's output.</param>
    /// <param name="stopCondition">Evaluated on each succeeded or failed item; <see langword="true"/> stops the batch. If it throws, the batch stops <see cref="BatchStopReason.Faulted"/>.</param>
    /// <param name="options">The batch options; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>
    /// One result per item in input order. When the condition is met, <see cref="BatchResult{TOutput}.StopReason"/> is
    /// <see cref="BatchStopReason.StopConditionMet"/>, items cancelled in flight are <see cref="BatchItemStatus.Canceled"/>
    /// and items never started are <see cref="BatchItemStatus.Skipped"/>.
    /// </returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A member of <paramref name="options"/> is out of range or contradicts another (see <see cref="BatchOptions.Validate"/>); <see cref="ArgumentException.ParamName"/> names it.</exception>
    /// <exception cref="BatchItemException">An item failed and <see cref="BatchOptions.ErrorHandling"/> is <see cref="BatchErrorHandling.Throw"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<BatchResult<TOutput>> RunBatchAsync<TItem, TOutput>(
        Func<int, IBatchAgent> agentFactory,
        IEnumerable<TItem> items,
        Func<TItem, BatchInput> inputMap,
        Func<ChatResponse, TOutput> outputMap,
        Func<BatchItemResult<TItem, TOutput>, bool> stopCondition,
        BatchOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ThrowIfNull(agentFactory, items, inputMap);
        ArgumentNullException.ThrowIfNull(outputMap);
        ArgumentNullException.ThrowIfNull(stopCondition);
        return RunCoreAsync(agentFactory, ItemReader<TItem>.From(items), inputMap, OutputReader<TOutput>.For(outputMap), stopCondition, Snapshot(options, outputMap), cancellationToken);
    }

    /// <summary>Runs an agent made by <paramref name="agentFactory"/> on every item of a stream and yields each result, with its item, as it completes.</summary>
    /// <typeparam name="TItem">The type of the items.</typeparam>
    /// <typeparam name="TOutput">The type of each item's output.</typeparam>
    /// <param name="agentFactory">Makes a fresh agent for the item at the given index.</param>
    /// <param name="items">The items, read lazily: only the items in flight are held, so memory stays flat however many flow through.</param>
    /// <param name="inputMap">Maps an item to the agent's input.</param>
    /// <param name="outputMap">Maps a successful reply to the item's output.</param>
    /// <param name="options">The batch options; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The results in completion order; <see cref="BatchItemResult{TOutput}.Index"/> gives each one's input position.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A member of <paramref name="options"/> is out of range or contradicts another (see <see cref="BatchOptions.Validate"/>); <see cref="ArgumentException.ParamName"/> names it.</exception>
    /// <remarks>
    /// Leaving the enumeration early cancels the items in flight and returns at once, even while the source is waiting for
    /// its next item. In <see cref="BatchErrorHandling.Throw"/> mode the enumeration throws <see cref="BatchItemException"/> at
    /// the first failure; if the batch faults (the source throws, the endpoint refuses the batch, the circuit opens), the
    /// results of the items already read are yielded and then the fault is thrown.
    /// </remarks>
    public IAsyncEnumerable<BatchItemResult<TItem, TOutput>> StreamBatchAsync<TItem, TOutput>(
        Func<int, IBatchAgent> agentFactory,
        IAsyncEnumerable<TItem> items,
        Func<TItem, BatchInput> inputMap,
        Func<ChatResponse, TOutput> outputMap,
        BatchOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ThrowIfNull(agentFactory, items, inputMap);
        ArgumentNullException.ThrowIfNull(outputMap);
        return StreamCoreAsync(agentFactory, items, inputMap, OutputReader<TOutput>.For(outputMap), null, Snapshot(options, outputMap), cancellationToken);
    }

    /// <summary>
    /// Runs an agent made by <paramref name="agentFactory"/> on every item of a stream, yielding each result as it completes,
    /// until a completed item satisfies <paramref name="stopCondition"/>.
    /// </summary>
    /// <typeparam name="TItem">The type of the items.</typeparam>
    /// <typeparam name="TOutput">The type of each item's output.</typeparam>
    /// <param name="agentFactory">Makes a fresh agent for the item at the given index.</param>
    /// <param name="items">The items, read lazily.</param>
    /// <param name="inputMap">Maps an item to the agent's input.</param>
    /// <param name="outputMap">Maps a successful reply to the item's output.</param>
    /// <param name="stopCondition">Evaluated on each succeeded or failed item; <see langword="true"/> stops the batch.</param>
    /// <param name="options">The batch options; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The results in completion order; after the condition is met, the cancelled and skipped items follow.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A member of <paramref name="options"/> is out of range or contradicts another (see <see cref="BatchOptions.Validate"/>); <see cref="ArgumentException.ParamName"/> names it.</exception>
    public IAsyncEnumerable<BatchItemResult<TItem, TOutput>> StreamBatchAsync<TItem, TOutput>(
        Func<int, IBatchAgent> agentFactory,
        IAsyncEnumerable<TItem> items,
        Func<TItem, BatchInput> inputMap,
        Func<ChatResponse, TOutput> outputMap,
        Func<BatchItemResult<TItem, TOutput>, bool> stopCondition,
        BatchOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ThrowIfNull(agentFactory, items, inputMap);
        ArgumentNullException.ThrowIfNull(outputMap);
        ArgumentNullException.ThrowIfNull(stopCondition);
        return StreamCoreAsync(agentFactory, items, inputMap, OutputReader<TOutput>.For(outputMap), stopCondition, Snapshot(options, outputMap), cancellationToken);
    }

    private async Task<BatchResult<TOutput>> RunCoreAsync<TItem, TOutput>(
        Func<int, IBatchAgent> agentFactory,
        ItemReader<TItem> reader,
        Func<TItem, BatchInput> inputMap,
        OutputReader<TOutput> output,
        Func<BatchItemResult<TItem, TOutput>, bool>? stopCondition,
        BatchOptions options,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();

        // The same engine as a stream; its sink keeps each result at its input index.
        var collector = new OrderedResultCollector<TItem, TOutput>(reader.KnownCount);
        using var engine = new BatchEngine<TItem, TOutput>(
            agentFactory, inputMap, output, stopCondition, options, _timeProvider, _logger, collector, cancellationToken);

        // The dispatcher runs on the thread pool so a caller's synchronization context never serializes the batch.
        await Task.Run(() => engine.RunAsync(reader), CancellationToken.None).ConfigureAwait(false);

        cancellationToken.ThrowIfCancellationRequested();
        if (engine.FirstFailure is { } failure)
        {
            throw failure;
        }

        return new BatchResult<TOutput>(collector.ToArray(), engine.StopReason, engine.Usage, engine.Cost, engine.Elapsed, engine.Fault);
    }

    private async IAsyncEnumerable<BatchItemResult<TItem, TOutput>> StreamCoreAsync<TItem, TOutput>(
        Func<int, IBatchAgent> agentFactory,
        IAsyncEnumerable<TItem> items,
        Func<TItem, BatchInput> inputMap,
        OutputReader<TOutput> output,
        Func<BatchItemResult<TItem, TOutput>, bool>? stopCondition,
        BatchOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var capacity = options.EffectiveConcurrency ?? 256;
        var channel = Channel.CreateBounded<BatchItemResult<TItem, TOutput>>(
            new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

        using var engine = new BatchEngine<TItem, TOutput>(
            agentFactory, inputMap, output, stopCondition, options, _timeProvider, _logger, new ChannelResultSink<TItem, TOutput>(channel.Writer), cancellationToken);

        // The source is read under a token that the caller's cancellation and the consumer leaving both cancel.
        var reader = ItemReader<TItem>.From(items, engine.SourceToken);
        var run = Task.Run(
            async () =>
            {
                try
                {
                    await engine.RunAsync(reader).ConfigureAwait(false);
                }
                finally
                {
                    channel.Writer.TryComplete();
                }
            },
            CancellationToken.None);

        try
        {
            await foreach (var result in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return result;
            }
        }
        finally
        {
            if (!run.IsCompleted)
            {
                // Left early (or cancelled): the engine stops reading at once, even mid-read, and cancels what is in flight.
                engine.Abandon();
            }

            await run.ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (engine.FirstFailure is { } failure)
        {
            throw failure;
        }

        if (engine.Fault is { } fault)
        {
            throw fault;
        }
    }

    private static void ThrowIfNull<TItem>(Func<int, IBatchAgent> agentFactory, object items, Func<TItem, BatchInput> inputMap)
    {
        // Parameter names match the public methods', so the exceptions name the caller's argument.
        ArgumentNullException.ThrowIfNull(agentFactory);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(inputMap);
    }

    private static BatchOptions Snapshot<TOutput>(BatchOptions? options, Func<ChatResponse, TOutput> outputMap)
    {
        var snapshot = options is null ? new BatchOptions() : new BatchOptions(options);
        snapshot.Validate();
        if (snapshot.MaxItemsPerRequest > 1 && OutputReader<TOutput>.For(outputMap).ResponseFormat is not null)
        {
            throw new ArgumentException(
                "Typed output (BatchOutput.Json) reads each item's reply as its own JSON value; grouped requests (MaxItemsPerRequest above 1) answer several items in one reply. Set MaxItemsPerRequest to 1, or map the text yourself.",
                nameof(options));
        }

        return snapshot;
    }
}
