using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace AgentBatch.Internal;

/// <summary>Runs items: input map, clone, agent run under the item's context and deadline, output, result.</summary>
/// <remarks>
/// <para>
/// One executor serves single and grouped calls alike, so both classify failures the same way (<see cref="Classify"/>)
/// and both run under <see cref="BatchOptions.ItemTimeout"/> and the item's own cancellation. The item is made current
/// (<see cref="BatchItemContext.Enter"/>) for the flow the agent runs on, whatever the agent is: its model calls reach
/// the batch's per-call policy through the AgentBatch layer of its chat pipeline, the one route every call takes.
/// </para>
/// <para>A result's attempts, usage and cost are what passed that layer for the item; a reply that no call produced (a cache hit) costs nothing.</para>
/// </remarks>
internal sealed partial class ItemExecutor<TItem, TOutput>
{
    private readonly Func<int, IBatchAgent> _agentFactory;
    private readonly Func<TItem, BatchInput> _inputMap;
    private readonly OutputReader<TOutput> _output;
    private readonly BatchOptions _options;
    private readonly ModelCallPolicy _policy;
    private readonly BatchStop _stop;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly bool _guardsSpend;
    private int _unroutedLogged;

    public ItemExecutor(
        Func<int, IBatchAgent> agentFactory,
        Func<TItem, BatchInput> inputMap,
        OutputReader<TOutput> output,
        BatchOptions options,
        ModelCallPolicy policy,
        BatchStop stop,
        TimeProvider timeProvider,
        ILogger logger)
    {
        _agentFactory = agentFactory;
        _inputMap = inputMap;
        _output = output;
        _options = options;
        _policy = policy;
        _stop = stop;
        _timeProvider = timeProvider;
        _logger = logger;
        _guardsSpend = options.MaxTotalTokens.HasValue || options.MaxCost.HasValue || options.TokensPerMinute.HasValue || options.RequestsPerMinute.HasValue
            || options.SpendLedger is not null || options.RateLedger is not null || options.UsesProviderBatches;
    }

    /// <summary>Maps an item to its input; throws for a null item or an empty input.</summary>
    public BatchInput MapInput(int index, TItem item)
    {
        if (item is null)
        {
            throw new ArgumentException($"Batch item {index} is null; items must not contain null elements.");
        }

        var input = _inputMap(item);
        return input.IsEmpty
            ? throw new ArgumentException(input.IsText
                ? $"The input map returned {(input.Text is null ? "null" : "an empty string")} for batch item {index}; every item needs a non-empty input."
                : $"The input map returned no message with any content for batch item {index}; every item needs a non-empty input.")
            : input;
    }

    /// <summary>The result of an item that never started because the batch stopped first.</summary>
    public BatchItemResult<TItem, TOutput> Skipped(int index, TItem item)
    {
        var stop = _stop.State;
        return new(index, item, BatchItemStatus.Skipped, default, stop?.SkipReason, null, 0m, 0, TimeSpan.Zero, stop?.NotSent ?? BatchNotSentReason.Canceled);
    }

    /// <summary>The result of an item that failed before it could start (its input could not be made).</summary>
    public BatchItemResult<TItem, TOutput> FailedBeforeStart(int index, TItem item, Exception error)
    {
        error = _policy.Redactor.Redact(error);
        LogFailure(index, error, null);
        return new(index, item, BatchItemStatus.Failed, default, error, null, 0m, 0, TimeSpan.Zero, BatchNotSentReason.InvalidInput);
    }

    /// <summary>Runs one item on its own.</summary>
    /// <param name="index">The item's index.</param>
    /// <param name="item">The item.</param>
    /// <param name="input">Its input, when already mapped (a group split down to one item, a message item of a grouped batch); otherwise <see langword="null"/>.</param>
    /// <param name="deadline">The deadline it shares with its group, or <see langword="null"/> to start its own.</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<BatchItemResult<TItem, TOutput>> RunAsync(int index, TItem item, BatchInput? input = null, ItemDeadline? deadline = null)
    {
        if (_stop.State is { CancelInFlight: false })
        {
            // Dispatched just before the batch stopped without cancelling: it never starts.
            return Skipped(index, item);
        }

        var started = _timeProvider.GetTimestamp();
        using var activity = AgentBatchTelemetry.StartItem(index);
        ItemDeadline? ownDeadline = null;
        BatchItemContext? context = null;
        ChatResponse? response = null;
        TOutput? output = default;
        BatchItemStatus status;
        Exception? error = null;
        try
        {
            var mapped = input ?? MapInput(index, item);
            // Its own deadline, unless its group's bounds it; linked to its own token, when it has one.
            ownDeadline = ItemDeadline.Start(deadline is null ? _options.ItemTimeout : null, _timeProvider, deadline?.Token ?? _stop.InFlightToken, mapped.CancellationToken);
            context = new BatchItemContext(index, 1, _policy, _output.ResponseFormat, ownDeadline?.Token ?? deadline?.Token ?? _stop.InFlightToken);
            context.CancellationToken.ThrowIfCancellationRequested();
            var agent = _agentFactory(index) ?? throw new InvalidOperationException($"The agent factory returned null for item {index}.");

            // Made current inside this async method: it flows into the agent's calls and tools, and is gone when it returns.
            BatchItemContext.Enter(context);
            response = Answered(agent, context, await agent.RunAsync(mapped.ToMessages(), context.CancellationToken).ConfigureAwait(false));
            (output, response) = await ReadOutputAsync(agent, response, context).ConfigureAwait(false);
            status = BatchItemStatus.Succeeded;
        }
        catch (Exception ex)
        {
            (status, error) = Classify(ex, context, ownDeadline ?? deadline, input ?? default);
        }
        finally
        {
            ownDeadline?.Dispose();
        }

        if (response is not null && context?.Calls == 0)
        {
            NoteUnrouted(index);
        }

        return Finish(index, item, status, output, error, context, null, _timeProvider.GetElapsedTime(started), activity);
    }

    // Checked where it is awaited rather than in an async wrapper of its own: a wrapper would cost every item a task.
    private static ChatResponse Answered(IBatchAgent agent, BatchItemContext context, ChatResponse? response) =>
        response ?? throw new InvalidOperationException($"Agent '{agent.Name}' returned no response for item {context.Index}.");

    /// <summary>Reads the item's output, asking the same clone to repair a typed reply that does not read, at most <see cref="BatchOptions.OutputRepairAttempts"/> times.</summary>
    private async ValueTask<(TOutput Output, ChatResponse Response)> ReadOutputAsync(IBatchAgent agent, ChatResponse response, BatchItemContext context)
    {
        for (var repairs = 0; ; repairs++)
        {
            try
            {
                return (_output.Read(response), response);
            }
            catch (StructuredOutputException problem) when (_output.Repairs && repairs < _options.OutputRepairAttempts)
            {
                response = Answered(agent, context, await agent.RunAsync([_output.RepairTurn(problem)], context.CancellationToken).ConfigureAwait(false));
            }
        }
    }

    /// <summary>Decides how an item that threw ends: the one classification of failures, for single and grouped calls.</summary>
    private (BatchItemStatus Status, Exception Error) Classify(Exception error, BatchItemContext? context, ItemDeadline? deadline, BatchInput input)
    {
        var attempts = context?.Attempts ?? 0;
        switch (error)
        {
            case OperationCanceledException when _stop.InFlightToken.IsCancellationRequested:
                return (BatchItemStatus.Canceled, error);

            case OperationCanceledException when deadline?.ItemCanceled == true || input.CancellationToken.IsCancellationRequested:
                return (BatchItemStatus.Canceled, error);

            case OperationCanceledException when deadline?.Expired == true:
                return (BatchItemStatus.Failed, new TimeoutException(
                    $"Batch item {context?.Index} did not complete within the item timeout of {deadline.Timeout}.", error));

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
                    CancelInFlight: false,
                    BatchNotSentReason.BudgetExhausted));

                // Refused before its first request, the item never ran; refused mid-item (a tool loop), it failed.
                return (attempts == 0 ? BatchItemStatus.Skipped : BatchItemStatus.Failed, budget);

            case BatchStoppedException or Polly.CircuitBreaker.BrokenCircuitException:
                // Not sent because the batch stopped for a fault of the endpoint (an open circuit, refused credentials):
                // skipped with the batch's reason, like the items never read; failed with it when requests had gone out.
                var reason = _stop.State?.SkipReason ?? (error as BatchStoppedException)?.InnerException ?? error;
                return (attempts == 0 ? BatchItemStatus.Skipped : BatchItemStatus.Failed, reason);
        }

        return (BatchItemStatus.Failed, error);
    }

    /// <summary>Why an item that sent nothing was not sent.</summary>
    private BatchNotSentReason NotSent(BatchItemStatus status, Exception? error) => (status, error) switch
    {
        (BatchItemStatus.Succeeded, _) => BatchNotSentReason.AnsweredWithoutRequest,
        (BatchItemStatus.Canceled, _) => BatchNotSentReason.Canceled,
        (_, BudgetExceededException { ExceedsCap: true }) => BatchNotSentReason.TooLargeForBudget,
        (_, BudgetExceededException) => BatchNotSentReason.BudgetExhausted,
        (_, Polly.CircuitBreaker.BrokenCircuitException) => BatchNotSentReason.EndpointFailing,
        (BatchItemStatus.Skipped, _) => _stop.State?.NotSent ?? BatchNotSentReason.Canceled,
        (_, ArgumentException or ContextWindowExceededException) => BatchNotSentReason.InvalidInput,
        _ => BatchNotSentReason.FailedBeforeSending,
    };

    private BatchItemResult<TItem, TOutput> Finish(
        int index,
        TItem item,
        BatchItemStatus status,
        TOutput? output,
        Exception? error,
        BatchItemContext? context,
        MemberShare? share,
        TimeSpan duration,
        System.Diagnostics.Activity? activity)
    {
        var ownFailure = status != BatchItemStatus.Failed || IsOwnFailure(error!, context);
        error = _policy.Redactor.RedactOrNull(error, context?.Classifier);
        if (status == BatchItemStatus.Failed)
        {
            LogFailure(index, error!, context?.FaultOf(error!));
            AgentBatchTelemetry.SetItemError(activity, error!);
        }

        var usage = share is { } part ? part.Usage : context?.Usage;
        var cost = share is { } costPart ? costPart.Cost : context is null ? 0m : context.Cost;
        var attempts = context?.Attempts ?? 0;
        return new BatchItemResult<TItem, TOutput>(
            index, item, status, output, error, usage, cost, attempts, duration, attempts > 0 ? BatchNotSentReason.None : NotSent(status, error), ownFailure);
    }

    /// <summary>Whether a failure is the item's own (<see cref="BatchItemResult{TOutput}.IsFinal"/>), not the endpoint's, the cap's or the batch's.</summary>
    /// <remarks>Judged from the error as it left the call, before redaction, so the fault its last attempt read is still found.</remarks>
    private bool IsOwnFailure(Exception error, BatchItemContext? context) => error switch
    {
        BudgetExceededException budget => budget.ExceedsCap,
        Polly.CircuitBreaker.BrokenCircuitException or BatchStoppedException => false,
        _ when ReferenceEquals(error, _stop.State?.SkipReason) => false,

        // Only a model call's own error can be the endpoint's: a tool's IOException is the item's.
        _ when context is not null && context.IsAttemptError(error, out var fault) => !TransientFaults.IsTransient(error, fault) && !TransientFaults.StopsBatch(fault),
        _ => true,
    };

    /// <summary>A failed item is one line at Warning: its type, and its message only where AgentBatch wrote it (a server's body text never).</summary>
    private void LogFailure(int index, Exception error, ModelFault? fault)
    {
        if (!_logger.IsEnabled(LogLevel.Warning))
        {
            return;
        }

        Log.ItemFailed(_logger, index, error.GetType().Name, ErrorText.Describe(error, fault));
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
