using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;

namespace AgentBatch.Internal;

/// <summary>The per-call policy of a batch: what happens around every model call of every item, streamed or not.</summary>
/// <remarks>
/// <para>
/// One instance per batch, reached by one route: the AgentBatch layer of the chat pipeline
/// (<see cref="BatchCallChatClient"/>, <c>UseAgentBatch()</c>) hands it every call made on behalf of the current
/// <see cref="BatchItemContext"/>, whether the call comes from a <see cref="ChatAgent"/>, its tool loop, a grouped
/// request or a custom agent, and whether it is streamed or not. A call reads in one direction:
/// </para>
/// <list type="number">
/// <item>prepare: its model and price, its input against the context window, its estimate (<see cref="CallEstimator"/>);</item>
/// <item>resilience: its attempts, retried per the batch's resilience pipeline (Resilience/); each attempt</item>
/// <item>reserves its estimate against the caps (the batch's <see cref="SpendLedger"/>: its own <see cref="BatchBudget"/>,
/// in input order, or one it shares), lowering its output limit when that is the only way it fits;</item>
/// <item>waits for room under the tokens/requests-per-minute limits (the batch's <see cref="RateLedger"/>: its own
/// <see cref="InProcessRateLedger"/>, or one it shares);</item>
/// <item>sends the request under the attempt timeout (to the first update, for a stream);</item>
/// <item>settles: the reservation is replaced by the usage the server reported, or kept whole when the request may have
/// been billed and nothing was reported; adaptive concurrency hears of a success or a 429.</item>
/// </list>
/// <para>
/// Errors leave it redacted (<see cref="SecretRedactor"/>). Failures that are the batch's rather than the item's (an open
/// circuit, refused credentials, a missing model) are reported through <see cref="BatchFault"/>, so the batch stops
/// before it sends anything more.
/// </para>
/// </remarks>
internal sealed partial class ModelCallPolicy : IDisposable
{
    private readonly BatchOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private int _warnedNoClassifier;
    private readonly CallEstimator _estimator;
    private readonly SpendLedger? _budget;
    private readonly RateLedger? _pacing;
    private readonly bool _ownsPacing;
    private readonly bool _needsEstimate;
    private readonly bool _guardsAttempts;
    private readonly ResiliencePipeline<ChatResponse> _resilience;
    private readonly AttemptTimeout? _attemptTimeout;
    private readonly bool _ownsCircuit;
    private readonly ProviderBatchCoordinator? _lane;
    private int _faultLogged;
    private Exception? _fault;

    /// <param name="options">The batch's options.</param>
    /// <param name="timeProvider">The batch's clock.</param>
    /// <param name="logger">The batch's logger.</param>
    /// <param name="window">The batch's window of items in flight, which adaptive concurrency moves; <see langword="null"/> when unlimited.</param>
    /// <param name="redactor">Removes secrets from the errors that leave a call.</param>
    /// <param name="lane">The provider batch lane every call is submitted through instead of being sent, or <see langword="null"/> for live calls.</param>
    public ModelCallPolicy(BatchOptions options, TimeProvider timeProvider, ILogger logger, ConcurrencyWindow? window, SecretRedactor redactor, ProviderBatchCoordinator? lane = null)
    {
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        _lane = lane;
        Redactor = redactor;
        _estimator = new CallEstimator(options);
        _budget = options.SpendLedger
            ?? (options.MaxTotalTokens.HasValue || options.MaxCost.HasValue ? new BatchBudget(options.MaxTotalTokens, options.MaxCost) : null);
        // A provider batch is paced by the provider: the per-minute limits (and a shared rate ledger) are the live endpoint's.
        _pacing = lane is null ? options.RateLedger : null;
        if (lane is null && _pacing is null && (options.TokensPerMinute.HasValue || options.RequestsPerMinute.HasValue))
        {
            _pacing = new InProcessRateLedger(options.TokensPerMinute, options.RequestsPerMinute, timeProvider);
            _ownsPacing = true;
        }

        _needsEstimate = _budget is not null || _pacing?.TokensPerMinute is not null;
        _guardsAttempts = _needsEstimate || _pacing is not null;
        _resilience = options.ResiliencePipeline
            ?? (lane is null ? ModelCallResilience.Create(options, timeProvider, logger, OnCircuitOpened) : ModelCallResilience.CreateForProviderBatches(options, timeProvider, logger));

        // A batched request waits for its batch, hours perhaps: the attempt timeout is a live request's.
        _attemptTimeout = lane is null ? AttemptTimeout.Create(options, timeProvider) : null;
        _ownsCircuit = options.ResiliencePipeline is null && lane is null;
        if (options.AdaptiveConcurrency && !options.Sequential && window is not null && lane is null)
        {
            Concurrency = new AdaptiveConcurrencyLimiter(window);
            Concurrency.LimitChanged += OnConcurrencyLimitChanged;
        }
    }

    /// <summary>Raised with a redacted error when a failure is the batch's, not an item's: the circuit opened, or the endpoint refused the credentials, the model or the quota.</summary>
    /// <remarks>Raised for every such failure (stopping is idempotent); the first one is the batch's reason.</remarks>
    public event Action<Exception>? BatchFault;

    /// <summary>Gets what moves the limit on items in flight as the provider rate-limits, or <see langword="null"/> when adaptive concurrency is off.</summary>
    public AdaptiveConcurrencyLimiter? Concurrency { get; }

    public ITokenCounter TokenCounter => _estimator.TokenCounter;

    public SecretRedactor Redactor { get; }

    public Task<ChatResponse> GetResponseAsync(
        IChatClient innerClient,
        IEnumerable<ChatMessage> messages,
        ChatOptions? options,
        BatchItemContext item,
        ModelFaultClassifier? classifier,
        ProviderBatchClient? batchClient,
        CancellationToken cancellationToken)
    {
        PreparedCall call;
        try
        {
            call = Prepare(innerClient, messages, options, item, classifier, batchClient);
        }
        catch (Exception ex)
        {
            // A call refused before any attempt fails its task, as a chat client's call does, rather than throwing.
            return Task.FromException<ChatResponse>(ex);
        }

        return RunAttemptsAsync(
            static (context, state) => state.Self.SendAttemptAsync(state.InnerClient, state.Messages, state.Call, state.Item, context),
            (Self: this, InnerClient: innerClient, Messages: messages, Call: call, Item: item),
            item,
            cancellationToken);
    }

    /// <summary>Prices usage that no call through the layer reserved, and charges it to the caps as spent; returns its cost, or <see langword="null"/> when no price is known.</summary>
    public decimal? ChargeUnrouted(UsageDetails usage, string? modelId)
    {
        var sane = UsageMath.Sanitize(usage) ?? usage;
        var cost = _estimator.PricingOf(modelId)?.GetCost(sane);
        _budget?.Charge(UsageMath.Tokens(sane) ?? 0, cost ?? 0m);
        return cost;
    }

    public void Dispose()
    {
        // A shared ledger is its owner's to dispose.
        if (_ownsPacing)
        {
            _pacing?.Dispose();
        }
    }

    /// <summary>Sizes a call before its first attempt; throws when it must not be made at all.</summary>
    private PreparedCall Prepare(
        IChatClient innerClient, IEnumerable<ChatMessage> messages, ChatOptions? options, BatchItemContext item, ModelFaultClassifier? classifier, ProviderBatchClient? batchClient)
    {
        if (_lane is not null)
        {
            batchClient = _options.ProviderBatch.Client ?? batchClient ?? throw new InvalidOperationException(
                "Execution is ProviderBatch, but the item's chat client offers no provider batch client. Build it with AgentBatch.OpenAI's openAIClient.AsBatchChatClient(model) "
                + "(or .UseProviderBatches(client) in a ChatClientBuilder pipeline), or set BatchOptions.ProviderBatch.Client.");
            classifier ??= batchClient.FaultClassifier;
            if (options?.MaxOutputTokens is not > 0)
            {
                // Every batched request carries an output limit, the one its reservation assumed: the provider then
                // cannot bill more than the caps admitted, and nothing is uploaded that could run unbounded for a day.
                options = options?.Clone() ?? new ChatOptions();
                options.MaxOutputTokens = _options.DefaultMaxOutputTokens;
            }
        }
        else
        {
            batchClient = null;
        }

        item.RecordCall(classifier);
        var format = item.ItemCount > 1 ? GroupedPrompt.ResponseFormat : item.ResponseFormat;
        if (format is not null && options?.ResponseFormat is null or ChatResponseFormatText)
        {
            // A grouped request asks for its answers' shape as a schema, typed output for its type's; the caller's
            // options are left as they were.
            options = options?.Clone() ?? new ChatOptions();
            options.ResponseFormat = format;
        }

        var model = _estimator.ModelOf(innerClient, options);
        if (batchClient is not null && model is null)
        {
            throw new InvalidOperationException(
                "Execution is ProviderBatch, but the call names no model and its chat client has no default one; a provider batch request needs its model. Set ChatOptions.ModelId.");
        }

        var pricing = _estimator.PricingOf(model);
        if (_budget?.MaxCost is not null && pricing is null)
        {
            throw new InvalidOperationException(
                $"MaxCost is set, but no price is known for model '{model ?? "(unspecified)"}'. Set BatchOptions.Pricing to the model's price per million tokens.");
        }

        var countedInput = _estimator.CheckContextWindow(messages, options, model);
        var estimate = _needsEstimate ? _estimator.Estimate(messages, options, model, pricing, countedInput) : new CallEstimate(0, 0, pricing);
        return new PreparedCall(options, pricing, estimate, classifier, batchClient is null ? null : new LaneTarget(batchClient, model!));
    }

    /// <summary>Runs a call's attempts through the batch's resilience pipeline; the call's reply, or its last attempt's error rethrown.</summary>
    /// <remarks>
    /// Outcomes rather than exceptions pass through the pipeline, and its context is pooled: on the path where nothing
    /// fails that is two asynchronous layers fewer per call.
    /// </remarks>
    private async Task<ChatResponse> RunAttemptsAsync<TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<ChatResponse>>> attempt, TState state, BatchItemContext item, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            // Only the retry log line needs to know the item.
            context.Properties.Set(ModelCallResilience.ItemKey, item);
        }

        Outcome<ChatResponse> outcome;
        ModelFault? lastFault;
        try
        {
            outcome = await _resilience.ExecuteOutcomeAsync(attempt, context, state).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            outcome = Outcome.FromException<ChatResponse>(ex);
        }
        finally
        {
            lastFault = ModelCallResilience.FaultOf(context);
            ResilienceContextPool.Shared.Return(context);
        }

        if (outcome.Exception is { } error)
        {
            NoteFailure(error, lastFault);
        }

        // Rethrown with the stack of the attempt that failed.
        outcome.ThrowIfException();
        return outcome.Result!;
    }

    /// <summary>One request to the model: the unit that retries repeat and that <see cref="BatchItemResult{TOutput}.Attempts"/> counts.</summary>
    /// <remarks>
    /// Holds its own reservation and pacing leases only while it is in flight, so nothing is held during a retry's backoff,
    /// and a retry after a request that may have been billed reserves anew instead of reusing room that was spent.
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome<ChatResponse>> SendAttemptAsync(
        IChatClient innerClient, IEnumerable<ChatMessage> messages, PreparedCall call, BatchItemContext item, ResilienceContext context)
    {
        var cancellationToken = context.CancellationToken;
        // The context is the call's, shared by its attempts: an attempt refused before sending must not be judged by the
        // fault an earlier attempt's reply carried.
        context.Properties.Set(ModelCallResilience.FaultKey, null);
        // The pipeline takes outcomes: nothing may be thrown out of an attempt.
        var attempt = default(AttemptLeases);
        AttemptTimeout.Scope? timeout = null;
        var epoch = 0;
        var sent = false;
        var settled = false;
        try
        {
            attempt = _guardsAttempts ? await AcquireAsync(call, item, cancellationToken).ConfigureAwait(false) : Unguarded(call);
            item.RecordAttempt();
            epoch = Concurrency?.Epoch ?? 0;
            timeout = _attemptTimeout?.Start(cancellationToken);
            sent = true;
            var response = (call.Lane is { } lane
                    ? await _lane!.SendAsync(lane.Client, lane.Model, messages, attempt.Options, item.Index, cancellationToken).ConfigureAwait(false)
                    : await innerClient.GetResponseAsync(messages, attempt.Options, timeout?.Token ?? cancellationToken).ConfigureAwait(false))
                ?? throw new InvalidModelResponseException("The chat client returned no response.");
            response.Usage = Settle(attempt, call, response.Usage, response.ModelId, item);
            settled = true;
            Concurrency?.OnSuccess();
            return Outcome.FromResult(response);
        }
        catch (Exception ex) when (sent && !settled)
        {
            return Outcome.FromException<ChatResponse>(AttemptFailed(timeout?.Translate(ex) ?? ex, attempt, epoch, call, item, context));
        }
        catch (Exception ex) when (settled)
        {
            return Outcome.FromException<ChatResponse>(Redactor.Redact(ex, call.Classifier));
        }
        catch (Exception ex)
        {
            // Failed before anything was sent: refused by the budget, or cancelled while waiting for room.
            _budget?.Release(attempt.Reservation);
            return Outcome.FromException<ChatResponse>(ex);
        }
        finally
        {
            timeout?.Dispose();
            attempt.Dispose();
        }
    }

    /// <summary>An attempt of a batch with no caps and no pacing: it holds nothing, unless the batch already stopped for a fault.</summary>
    private AttemptLeases Unguarded(PreparedCall call) =>
        Volatile.Read(ref _fault) is { } fault
            ? throw new BatchStoppedException(fault)
            : new AttemptLeases { Options = call.Options, Tokens = call.Estimate.Tokens };

    /// <summary>Reserves the attempt's estimate and waits for room under the pacing limits.</summary>
    /// <remarks>Synchronous when the reservation is granted at once and nothing paces the batch: the common capped case costs no asynchronous step.</remarks>
    private ValueTask<AttemptLeases> AcquireAsync(PreparedCall call, BatchItemContext item, CancellationToken cancellationToken)
    {
        var leases = Unguarded(call);
        if (_budget is not null)
        {
            // A batched request is admitted before it is submitted or not at all: waiting for room would wait for a batch.
            var reservation = _budget.ReserveAsync(call.Estimate, item.Index, mayWait: _lane is null, cancellationToken);
            if (!reservation.IsCompletedSuccessfully)
            {
                return AcquireAfterWaitingAsync(reservation, leases, call, cancellationToken);
            }

            Reserved(ref leases, reservation.Result, call);
        }

        return _pacing is null
            ? new ValueTask<AttemptLeases>(leases)
            : PaceAsync(leases, cancellationToken);
    }

    private async ValueTask<AttemptLeases> AcquireAfterWaitingAsync(
        ValueTask<BudgetReservation> reservation, AttemptLeases leases, PreparedCall call, CancellationToken cancellationToken)
    {
        Reserved(ref leases, await reservation.ConfigureAwait(false), call);
        return _pacing is null ? leases : await PaceAsync(leases, cancellationToken).ConfigureAwait(false);
    }

    private static void Reserved(ref AttemptLeases leases, BudgetReservation reservation, PreparedCall call)
    {
        leases.Reservation = reservation;
        leases.Tokens = reservation.Tokens;
        if (reservation.OutputLimit is { } lowered)
        {
            // The budget admitted the request only with a lower output limit: it must be sent with that limit, so the
            // provider cannot bill more than was reserved.
            leases.Options = call.Options?.Clone() ?? new ChatOptions();
            leases.Options.MaxOutputTokens = lowered;
        }
    }

    /// <summary>Waits for room under the tokens- and requests-per-minute limits; on failure gives the reservation back.</summary>
    private async ValueTask<AttemptLeases> PaceAsync(AttemptLeases leases, CancellationToken cancellationToken)
    {
        try
        {
            leases.Pacing = await _pacing!.AcquireAsync(_pacing.TokensPerMinute is null ? 0 : leases.Tokens, cancellationToken).ConfigureAwait(false);
            return leases;
        }
        catch
        {
            _budget?.Release(leases.Reservation);
            leases.Dispose();
            throw;
        }
    }

    /// <summary>Charges a successful request its reported usage (sanitized) and records it on the item; returns the usage to hand on.</summary>
    private UsageDetails? Settle(AttemptLeases attempt, PreparedCall call, UsageDetails? reported, string? replyModel, BatchItemContext item)
    {
        var usage = UsageMath.Sanitize(reported, out var suspect);
        var pricing = _estimator.PricingOf(replyModel) ?? call.Pricing;
        decimal? cost = usage is null ? 0m : pricing?.GetCost(usage);

        // Without usage, or with usage that had to be corrected (negative, inconsistent), the request is charged at least
        // what was reserved for it: the provider billed something, and a report cannot be trusted to raise what is left.
        var reportedTokens = UsageMath.Tokens(usage);
        var tokens = reportedTokens is { } trusted && !suspect ? trusted : Math.Max(attempt.Tokens, reportedTokens ?? 0);
        var charged = usage is not null && !suspect && cost is { } known ? known : Math.Max(attempt.Reservation.Cost, cost ?? 0m);
        attempt.Pacing?.Reconcile(tokens);
        _budget?.Settle(attempt.Reservation, tokens, charged);
        item.RecordUsage(usage, cost);
        return usage;
    }

    /// <summary>Settles a request that failed after it was sent and returns the error to hand on: redacted, and an unreadable body named as such.</summary>
    private Exception AttemptFailed(Exception error, AttemptLeases attempt, int epoch, PreparedCall call, BatchItemContext item, ResilienceContext context)
    {
        // Read once, by the provider's classifier where the client has one; the strategies judge the attempt by it.
        var fault = TransientFaults.Read(error, call.Classifier, out var guessed);
        if (guessed && Interlocked.Exchange(ref _warnedNoClassifier, 1) == 0)
        {
            Log.NoFaultClassifier(_logger, error.GetType().Name, fault!.StatusCode);
        }

        if (!context.CancellationToken.IsCancellationRequested && TransientFaults.AsInvalidResponse(error, fault) is { } invalid)
        {
            error = invalid;
        }

        error = Redactor.Redact(error, call.Classifier);
        context.Properties.Set(ModelCallResilience.FaultKey, fault);
        item.RecordFault(error, fault);

        // An error status is the provider saying the request did not run; anything else (no answer, an unreadable answer,
        // a cancellation after it left) may have been billed, so the reservation is kept as spent.
        var billed = TransientFaults.MayHaveBeenBilled(error, fault);
        attempt.Pacing?.Reconcile(billed ? attempt.Tokens : 0);
        _budget?.Settle(attempt.Reservation, billed ? attempt.Reservation.Tokens : 0, billed ? attempt.Reservation.Cost : 0m);
        if (TransientFaults.IsRateLimited(fault))
        {
            Concurrency?.OnRateLimited(epoch);
        }

        if (TransientFaults.StopsBatch(fault))
        {
            RaiseFault(error, TransientFaults.StatusOf(fault));
        }

        return error;
    }

    /// <summary>Looks at the error a call ends with after its attempts.</summary>
    private void NoteFailure(Exception error, ModelFault? lastFault)
    {
        if (error is BrokenCircuitException && _ownsCircuit)
        {
            // Polly runs OnOpened on its own schedule; stop the batch before this item's slot frees, not after.
            OnCircuitOpened(error.InnerException, lastFault);
        }
    }

    /// <summary>Reports that the breaker opened, from Polly's callback and from every call it rejects.</summary>
    /// <remarks>
    /// Every report reaches the batch (stopping is idempotent there): were only the first reporter to notify, a thread
    /// descheduled between winning that race and notifying would let every other rejected item fail instead of the
    /// batch stopping. Only the log line is written once.
    /// </remarks>
    private void OnCircuitOpened(Exception? lastError, ModelFault? lastFault)
    {
        if (Interlocked.Exchange(ref _faultLogged, 1) == 0)
        {
            Log.CircuitOpened(_logger);
        }

        // Attempts' errors are redacted as they fail; this one is the last of them.
        var error = ModelCallResilience.CircuitOpenedError(lastError, lastFault);
        Interlocked.CompareExchange(ref _fault, error, null);
        BatchFault?.Invoke(error);
    }

    private void RaiseFault(Exception error, int status)
    {
        if (Interlocked.Exchange(ref _faultLogged, 1) == 0)
        {
            Log.EndpointRefusedBatch(_logger, status, error.GetType().Name);
        }

        Interlocked.CompareExchange(ref _fault, error, null);
        BatchFault?.Invoke(error);
    }

    private void OnConcurrencyLimitChanged(int previous, int limit)
    {
        if (limit < previous)
        {
            Log.ConcurrencyLowered(_logger, limit);
        }
        else
        {
            Log.ConcurrencyRaised(_logger, limit);
        }
    }

    /// <summary>A call sized for its attempts.</summary>
    /// <param name="Options">The options the call is sent with.</param>
    /// <param name="Pricing">The call's price.</param>
    /// <param name="Estimate">The call at its worst, for the caps.</param>
    /// <param name="Classifier">The reader of the provider's errors.</param>
    /// <param name="Lane">Where the call is submitted in the provider batch lane, or <see langword="null"/> for a live call.</param>
    /// <remarks>
    /// The struct is copied into each asynchronous step of a call, so the lane's two references travel as one, and live
    /// calls (the hot path) carry a single null field for them.
    /// </remarks>
    private readonly record struct PreparedCall(
        ChatOptions? Options, ModelPricing? Pricing, CallEstimate Estimate, ModelFaultClassifier? Classifier, LaneTarget? Lane = null);

    /// <summary>A call's target in the provider batch lane.</summary>
    /// <param name="Client">The provider batch client the call is submitted through.</param>
    /// <param name="Model">The call's model.</param>
    private sealed record LaneTarget(ProviderBatchClient Client, string Model);

    /// <summary>What one attempt holds while it is in flight: its reservation, its pacing leases, the options it is sent with.</summary>
    private struct AttemptLeases : IDisposable
    {
        public BudgetReservation Reservation;
        public RateLease? Pacing;
        public ChatOptions? Options;
        public long Tokens;

        public readonly void Dispose() => Pacing?.Dispose();
    }
}
