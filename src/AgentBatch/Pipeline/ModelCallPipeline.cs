using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;

namespace AgentBatch.Internal;

/// <summary>What happens around every single model call a batch item makes.</summary>
/// <remarks>
/// <para>
/// One instance per batch. Every model call of every item passes through <see cref="GetResponseAsync"/>, which is
/// where per-call policies sit, so that they apply to each round trip of a tool loop and not just to an item as a
/// whole. A call reads in one direction:
/// </para>
/// <list type="number">
/// <item>budget: reserve the call's estimated tokens/cost against the batch's caps (Budgets/);</item>
/// <item>resilience: the attempts, each retried per the batch's resilience pipeline (Resilience/);</item>
/// <item>pacing: each attempt waits for room under the tokens/requests-per-minute limits (Budgets/);</item>
/// <item>reconcile: replace the reservation with the usage and cost the server reported.</item>
/// </list>
/// </remarks>
internal sealed class ModelCallPipeline : IDisposable
{
    private static readonly TimeSpan PacingWindow = TimeSpan.FromMinutes(1);

    private readonly BatchOptions _options;
    private readonly ILogger _logger;
    private readonly ITokenCounter _tokenCounter;
    private readonly BatchBudget? _budget;
    private readonly SlidingWindowLedgerLimiter? _tokenLimiter;
    private readonly SlidingWindowLedgerLimiter? _requestLimiter;
    private readonly bool _needsEstimate;
    private readonly ResiliencePipeline<ChatResponse> _resilience;
    private readonly AttemptTimeout? _attemptTimeout;
    private readonly bool _ownsCircuit;
    private int _circuitOpened;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ModelPricing?> _pricingByModel = new(StringComparer.Ordinal);
    private IChatClient? _lastClient;
    private string? _lastClientModel;

    /// <param name="options">The batch's options.</param>
    /// <param name="timeProvider">The batch's clock.</param>
    /// <param name="logger">The batch's logger.</param>
    /// <param name="window">The batch's window of items in flight, which adaptive concurrency moves; <see langword="null"/> when unlimited.</param>
    public ModelCallPipeline(BatchOptions options, TimeProvider timeProvider, ILogger logger, ConcurrencyWindow? window)
    {
        _options = options;
        _logger = logger;
        _tokenCounter = options.TokenCounter ?? SharpTokenCounter.Default;
        if (options.MaxTotalTokens.HasValue || options.MaxCost.HasValue)
        {
            _budget = new BatchBudget(options.MaxTotalTokens, options.MaxCost);
        }

        if (options.TokensPerMinute is { } tokensPerMinute)
        {
            _tokenLimiter = new SlidingWindowLedgerLimiter(tokensPerMinute, PacingWindow, timeProvider);
        }

        if (options.RequestsPerMinute is { } requestsPerMinute)
        {
            _requestLimiter = new SlidingWindowLedgerLimiter(requestsPerMinute, PacingWindow, timeProvider);
        }

        _needsEstimate = _budget is not null || _tokenLimiter is not null;

        _resilience = options.ResiliencePipeline ?? ModelCallResilience.Create(options, timeProvider, logger, OnCircuitOpened);
        _attemptTimeout = AttemptTimeout.Create(options, timeProvider);
        _ownsCircuit = options.ResiliencePipeline is null;
        if (options.AdaptiveConcurrency && !options.Sequential && window is not null)
        {
            Concurrency = new AdaptiveConcurrencyLimiter(window);
            Concurrency.LimitChanged += OnConcurrencyLimitChanged;
        }
    }

    /// <summary>Raised when the default pipeline's circuit breaker opens, and again for every call it rejects: the endpoint is failing every call.</summary>
    public event Action<Exception>? CircuitOpened;

    /// <summary>Gets what moves the limit on items in flight as the provider rate-limits, or <see langword="null"/> when adaptive concurrency is off.</summary>
    public AdaptiveConcurrencyLimiter? Concurrency { get; }

    public ITokenCounter TokenCounter => _tokenCounter;

    public async Task<ChatResponse> GetResponseAsync(
        IChatClient innerClient,
        IEnumerable<ChatMessage> messages,
        ChatOptions? options,
        BatchItemContext item,
        CancellationToken cancellationToken)
    {
        item.RecordCall();
        if (item.GroupSize > 1 && options?.ResponseFormat is null or ChatResponseFormatText)
        {
            // A grouped request asks for its answers' shape as a schema; the caller's options are left as they were.
            options = options?.Clone() ?? new ChatOptions();
            options.ResponseFormat = GroupedPrompt.ResponseFormat;
        }

        var requestedModel = options?.ModelId ?? GetDefaultModelId(innerClient);
        var pricing = ResolvePricing(requestedModel);
        if (_budget is { LimitsCost: true } && pricing is null)
        {
            throw new InvalidOperationException(
                $"MaxCost is set, but no price is known for model '{requestedModel ?? "(unspecified)"}'. Set BatchOptions.Pricing to the model's price per million tokens.");
        }

        var countedInput = CountIfBeyondContextWindow(messages, options, requestedModel);
        var estimate = _needsEstimate ? Estimate(messages, options, requestedModel, pricing, countedInput) : default;
        var reservation = _budget is null ? default : await _budget.ReserveAsync(estimate.Tokens, estimate.Cost, cancellationToken).ConfigureAwait(false);

        // The attempts, retried per the batch's resilience pipeline. Outcomes rather than exceptions pass through it, and
        // its context is pooled: on the path where nothing fails that is two asynchronous layers fewer per call.
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            // Only the retry log line needs to know the item.
            context.Properties.Set(ModelCallResilience.ItemKey, item);
        }

        Outcome<ChatResponse> outcome;
        try
        {
            outcome = await _resilience.ExecuteOutcomeAsync(
                static (context, state) => state.Self.SendAttemptAsync(state.InnerClient, state.Messages, state.Options, state.Item, state.Estimate, context.CancellationToken),
                context,
                (Self: this, InnerClient: innerClient, Messages: messages, Options: options, Item: item, Estimate: estimate)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            outcome = Outcome.FromException<ChatResponse>(ex);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        if (outcome.Exception is { } error)
        {
            if (error is BrokenCircuitException && _ownsCircuit)
            {
                // Polly runs OnOpened on its own schedule; stop the batch before this item's slot frees, not after.
                OnCircuitOpened(error.InnerException);
            }

            // The provider bills no failed request we can see; what a failure spent is unknown, so it is not charged.
            _budget?.Settle(reservation, 0, 0m);
            outcome.ThrowIfException();
        }

        var response = outcome.Result!;
        var usage = response.Usage;
        var replyPricing = _options.Pricing ?? ResolvePricing(response.ModelId) ?? pricing;
        var cost = replyPricing?.GetCost(usage) ?? 0m;
        _budget?.Settle(reservation, ReportedTokens(usage) ?? estimate.Tokens, usage is null ? estimate.Cost : cost);
        item.RecordUsage(usage, cost);
        return response;
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IChatClient innerClient,
        IEnumerable<ChatMessage> messages,
        ChatOptions? options,
        BatchItemContext item,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        item.RecordCall();
        item.RecordAttempt();
        await foreach (var update in innerClient.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            foreach (var content in update.Contents)
            {
                if (content is UsageContent usage)
                {
                    item.RecordUsage(usage.Details, ResolvePricing(update.ModelId ?? options?.ModelId)?.GetCost(usage.Details) ?? 0m);
                }
            }

            yield return update;
        }
    }

    public void Dispose()
    {
        _tokenLimiter?.Dispose();
        _requestLimiter?.Dispose();
    }

    private static long? ReportedTokens(UsageDetails? usage) =>
        usage is null ? null : usage.TotalTokenCount ?? ((usage.InputTokenCount ?? 0) + (usage.OutputTokenCount ?? 0));

    private CallEstimate Estimate(IEnumerable<ChatMessage> messages, ChatOptions? options, string? modelId, ModelPricing? pricing, int? countedInput)
    {
        long input = countedInput ?? _tokenCounter.CountInputTokens(messages, WithModel(options, modelId));
        long output = options?.MaxOutputTokens ?? _options.DefaultMaxOutputTokens;
        return new CallEstimate(input + output, pricing?.GetCost(input, output) ?? 0m);
    }

    /// <summary>Refuses a call whose input cannot fit the model's context window, before anything is sent or reserved.</summary>
    /// <returns>The counted input tokens when the check had to count them (the estimate reuses them), otherwise <see langword="null"/>.</returns>
    private int? CountIfBeyondContextWindow(IEnumerable<ChatMessage> messages, ChatOptions? options, string? modelId)
    {
        var window = _options.MaxInputTokens ?? (ModelContextWindows.TryGetContextWindow(modelId, out var known) ? known : 0);
        if (window == 0)
        {
            return null;
        }

        // A token is at least one character, so text no longer than the window in characters always fits: count only beyond that.
        long characters = options?.Instructions?.Length ?? 0;
        foreach (var message in messages)
        {
            foreach (var content in message.Contents)
            {
                characters += content is TextContent text ? text.Text.Length : 0;
            }
        }

        if (characters <= window)
        {
            return null;
        }

        var tokens = _tokenCounter.CountInputTokens(messages, WithModel(options, modelId));
        return tokens > window ? throw new ContextWindowExceededException(modelId, tokens, window) : tokens;
    }

    /// <summary>The options to count under: the client's default model stands in when the call names none.</summary>
    private static ChatOptions? WithModel(ChatOptions? options, string? modelId) =>
        options?.ModelId is null && modelId is not null
            ? new ChatOptions { ModelId = modelId, Tools = options?.Tools, Instructions = options?.Instructions }
            : options;

    private ModelPricing? ResolvePricing(string? modelId)
    {
        if (_options.Pricing is { } pricing)
        {
            return pricing;
        }

        if (modelId is null)
        {
            return null;
        }

        // A batch talks to one or two model ids: look each up in the catalog once, not on every call.
        return _pricingByModel.GetOrAdd(modelId, static id => ModelPricingCatalog.TryGetPricing(id, out var found) ? found : null);
    }

    private string? GetDefaultModelId(IChatClient client)
    {
        // One client serves a whole batch, so the metadata lookup is done once, not per call.
        if (!ReferenceEquals(Volatile.Read(ref _lastClient), client))
        {
            _lastClientModel = client.GetService<ChatClientMetadata>()?.DefaultModelId;
            Volatile.Write(ref _lastClient, client);
        }

        return _lastClientModel;
    }

    /// <summary>One request to the model: the unit that retries repeat and that <see cref="BatchItemResult{TOutput}.Attempts"/> counts.</summary>
    /// <remarks>
    /// Reports the outcome to adaptive concurrency, and turns a body the client could not read into an
    /// <see cref="InvalidModelResponseException"/> so that the retry policy can tell it from a bug.
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome<ChatResponse>> SendAttemptAsync(
        IChatClient innerClient,
        IEnumerable<ChatMessage> messages,
        ChatOptions? options,
        BatchItemContext item,
        CallEstimate estimate,
        CancellationToken cancellationToken)
    {
        // The pipeline takes outcomes: nothing may be thrown out of an attempt.
        SlidingWindowLedgerLimiter.Lease? requestLease = null;
        SlidingWindowLedgerLimiter.Lease? tokenLease = null;
        AttemptTimeout.Scope? timeout = null;
        var epoch = 0;
        var sent = false;
        try
        {
            requestLease = _requestLimiter is null ? null : await _requestLimiter.AcquireLeaseAsync(1, cancellationToken).ConfigureAwait(false);
            tokenLease = _tokenLimiter is null ? null : await _tokenLimiter.AcquireLeaseAsync(estimate.Tokens, cancellationToken).ConfigureAwait(false);

            item.RecordAttempt();
            epoch = Concurrency?.Epoch ?? 0;
            timeout = _attemptTimeout?.Start(cancellationToken);
            sent = true;
            var response = await innerClient.GetResponseAsync(messages, options, timeout?.Token ?? cancellationToken).ConfigureAwait(false);
            tokenLease?.Reconcile(ReportedTokens(response.Usage) ?? estimate.Tokens);
            Concurrency?.OnSuccess();
            return Outcome.FromResult(response);
        }
        catch (Exception ex) when (sent)
        {
            var error = timeout?.Translate(ex) ?? ex;

            // A refused or failed request is not charged against the provider's window.
            tokenLease?.Reconcile(0);
            if (TransientFaults.IsRateLimited(error))
            {
                Concurrency?.OnRateLimited(epoch);
            }

            if (!cancellationToken.IsCancellationRequested && TransientFaults.AsInvalidResponse(error) is { } invalid)
            {
                error = invalid;
            }

            return Outcome.FromException<ChatResponse>(error);
        }
        catch (Exception ex)
        {
            // Failed before anything was sent (cancelled while waiting for room under a pacing limit).
            return Outcome.FromException<ChatResponse>(ex);
        }
        finally
        {
            timeout?.Dispose();
            tokenLease?.Dispose();
            requestLease?.Dispose();
        }
    }

    /// <summary>Reports that the breaker opened, from Polly's callback and from every call it rejects.</summary>
    /// <remarks>
    /// Every report reaches the batch (stopping is idempotent there): were only the first reporter to notify, a thread
    /// descheduled between winning that race and notifying would let every other rejected item fail instead of the
    /// batch stopping. Only the log line is written once.
    /// </remarks>
    private void OnCircuitOpened(Exception? lastError)
    {
        if (Interlocked.Exchange(ref _circuitOpened, 1) == 0)
        {
            Log.CircuitOpened(_logger);
        }

        CircuitOpened?.Invoke(ModelCallResilience.CircuitOpenedError(lastError));
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

    private readonly record struct CallEstimate(long Tokens, decimal Cost);
}
