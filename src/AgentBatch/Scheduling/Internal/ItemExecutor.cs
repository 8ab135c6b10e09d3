using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace AgentBatch.Internal;

/// <summary>Runs items: clone, input map, agent run under the item's context and deadline, output map, result.</summary>
/// <remarks>
/// <para>
/// One executor serves single and grouped calls alike, so both classify failures the same way (<see cref="Classify"/>)
/// and both run under <see cref="BatchOptions.ItemTimeout"/>. The item is made current (<see cref="BatchItemContext.Enter"/>)
/// for the flow the agent runs on, whatever the agent is: its model calls reach the batch's per-call policy through
/// the AgentBatch layer of its chat pipeline, the one route every call takes.
/// </para>
/// <para>A result's attempts, usage and cost are what passed that layer for the item; a reply that no call produced (a cache hit) costs nothing.</para>
/// </remarks>
internal sealed partial class ItemExecutor<TItem, TOutput>
{
    private readonly Func<int, IBatchAgent> _agentFactory;
    private readonly Func<TItem, string> _inputMap;
    private readonly Func<ChatResponse, TOutput> _outputMap;
    private readonly BatchOptions _options;
    private readonly ModelCallPolicy _policy;
    private readonly BatchStop _stop;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly bool _guardsSpend;
    private int _unroutedLogged;

    public ItemExecutor(
        Func<int, IBatchAgent> agentFactory,
        Func<TItem, string> inputMap,
        Func<ChatResponse, TOutput> outputMap,
        BatchOptions options,
        ModelCallPolicy policy,
        BatchStop stop,
        TimeProvider timeProvider,
        ILogger logger)
    {
        _agentFactory = agentFactory;
        _inputMap = inputMap;
        _outputMap = outputMap;
        _options = options;
        _policy = policy;
        _stop = stop;
        _timeProvider = timeProvider;
        _logger = logger;
        _guardsSpend = options.MaxTotalTokens.HasValue || options.MaxCost.HasValue || options.TokensPerMinute.HasValue || options.RequestsPerMinute.HasValue;
    }

    /// <summary>Maps an item to its input; throws for a null item or an empty input.</summary>
    public string MapInput(int index, TItem item)
    {
        if (item is null)
        {
            throw new ArgumentException($"Batch item {index} is null; items must not contain null elements.");
        }

        var input = _inputMap(item);
        return string.IsNullOrWhiteSpace(input)
            ? throw new ArgumentException($"The input map returned {(input is null ? "null" : "an empty string")} for batch item {index}; every item needs a non-empty input.")
            : input;
    }

    /// <summary>The result of an item that never started because the batch stopped first.</summary>
    public BatchItemResult<TOutput> Skipped(int index) =>
        new(index, BatchItemStatus.Skipped, default, _stop.State?.SkipReason, null, 0m, 0, TimeSpan.Zero, wasSent: false);

    /// <summary>The result of an item that failed before it could start (its input could not be made).</summary>
    public BatchItemResult<TOutput> FailedBeforeStart(int index, Exception error)
    {
        error = _policy.Redactor.Redact(error);
        LogFailure(index, error);
        return new(index, BatchItemStatus.Failed, default, error, null, 0m, 0, TimeSpan.Zero, wasSent: false);
    }

    /// <summary>Runs one item on its own.</summary>
    /// <param name="index">The item's index.</param>
    /// <param name="item">The item.</param>
    /// <param name="input">Its input, when already mapped (a group split down to one item); otherwise <see langword="null"/>.</param>
    /// <param name="deadline">The deadline it shares with its group, or <see langword="null"/> to start its own.</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<BatchItemResult<TOutput>> RunAsync(int index, TItem item, string? input = null, ItemDeadline? deadline = null)
    {
        if (_stop.State is { CancelInFlight: false })
        {
            // Dispatched just before the batch stopped without cancelling: it never starts.
            return Skipped(index);
        }

        var started = _timeProvider.GetTimestamp();
        using var activity = AgentBatchTelemetry.StartItem(index);
        var ownDeadline = deadline is null ? ItemDeadline.Start(_options.ItemTimeout, _timeProvider, _stop.InFlightToken) : null;
        var itemDeadline = deadline ?? ownDeadline;
        var context = new BatchItemContext(index, 1, _policy, itemDeadline?.Token ?? _stop.InFlightToken);

        ChatResponse? response = null;
        TOutput? output = default;
        BatchItemStatus status;
        Exception? error = null;
        try
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            input ??= MapInput(index, item);
            var agent = _agentFactory(index) ?? throw new InvalidOperationException($"The agent factory returned null for item {index}.");

            // Made current inside this async method: it flows into the agent's calls and tools, and is gone when it returns.
            BatchItemContext.Enter(context);
            response = await agent.RunAsync(input, context.CancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Agent '{agent.Name}' returned no response for item {index}.");
            output = _outputMap(response);
            status = BatchItemStatus.Succeeded;
        }
        catch (Exception ex)
        {
            (status, error) = Classify(ex, context, itemDeadline);
        }
        finally
        {
            ownDeadline?.Dispose();
        }

        if (response is not null && context.Calls == 0)
        {
            NoteUnrouted(index);
        }

        return Finish(index, status, output, error, context, _timeProvider.GetElapsedTime(started), activity);
    }

    /// <summary>Decides how an item that threw ends: the one classification of failures, for single and grouped calls.</summary>
    private (BatchItemStatus Status, Exception Error) Classify(Exception error, BatchItemContext context, ItemDeadline? deadline)
    {
        switch (error)
        {
            case OperationCanceledException when _stop.InFlightToken.IsCancellationRequested:
                return (BatchItemStatus.Canceled, error);

            case OperationCanceledException when deadline?.Expired == true:
                return (BatchItemStatus.Failed, new TimeoutException(
                    $"Batch item {context.Index} did not complete within the item timeout of {deadline.Timeout}.", error));

            case BudgetExceededException { ExceedsCap: true }:
                // Larger than the whole cap, this call could never be made: its item fails alone and the batch goes on.
                return (BatchItemStatus.Failed, error);

            case BudgetExceededException budget:
                // The cap is spent. Items in flight hold reservations that fit: they finish. Nothing new starts, and every
                // unread item is reported skipped with this reason.
                _stop.TryStop(new StopState(
                    budget.Limit == BudgetLimit.Cost ? BatchStopReason.CostLimitReached : BatchStopReason.TokenLimitReached,
                    Drain: true,
                    SkipReason: budget,
                    CancelInFlight: false));

                // Refused before its first request, the item never ran; refused mid-item (a tool loop), it failed.
                return (context.Attempts == 0 ? BatchItemStatus.Skipped : BatchItemStatus.Failed, budget);
        }

        // Not sent because the batch stopped for a fault of the endpoint (an open circuit, refused credentials): skipped
        // with the batch's reason, like the items never read; failed with it when the item had already sent requests.
        if (error is BatchStoppedException or Polly.CircuitBreaker.BrokenCircuitException)
        {
            var reason = _stop.State?.SkipReason ?? (error as BatchStoppedException)?.InnerException ?? error;
            return (context.Attempts == 0 ? BatchItemStatus.Skipped : BatchItemStatus.Failed, reason);
        }

        return (BatchItemStatus.Failed, error);
    }

    private BatchItemResult<TOutput> Finish(
        int index, BatchItemStatus status, TOutput? output, Exception? error, BatchItemContext context, TimeSpan duration, System.Diagnostics.Activity? activity)
    {
        error = _policy.Redactor.RedactOrNull(error);
        if (status == BatchItemStatus.Failed)
        {
            LogFailure(index, error!);
            AgentBatchTelemetry.SetItemError(activity, error!);
        }

        return new BatchItemResult<TOutput>(index, status, output, error, context.Usage, context.Cost, context.Attempts, duration, wasSent: context.Attempts > 0);
    }

    /// <summary>A failed item is one line at Warning: its type, and its message only where AgentBatch wrote it (a server's body text never).</summary>
    private void LogFailure(int index, Exception error)
    {
        if (!_logger.IsEnabled(LogLevel.Warning))
        {
            return;
        }

        Log.ItemFailed(_logger, index, error.GetType().Name, ErrorText.Describe(error));
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            Log.ItemFailedDetail(_logger, index, error);
        }
    }

    private void NoteUnrouted(int index)
    {
        // Either the reply came from a cache below the AgentBatch layer (nothing was sent: right), or the agent's chat
        // client lacks the layer, and then its calls escaped the caps and pacing. Worth saying once when those are on.
        if (_guardsSpend && Interlocked.Exchange(ref _unroutedLogged, 1) == 0)
        {
            Log.CallsNotRouted(_logger, index);
        }
    }
}
