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
    private readonly ResiliencePipeline _attemptTimeout;
    private readonly bool _ownsCircuit;
    private int _circuitOpened;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ModelPricing?> _pricingByModel = new(StringComparer.Ordinal);
    private IChatClient? _lastClient;
    private string? _lastClientModel;

    public ModelCallPipeline(BatchOptions options, TimeProvider timeProvider, ILogger logger)
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
        _attemptTimeout = ModelCallResilience.CreateAttemptTimeout(options, timeProvider);
        _ownsCircuit = options.ResiliencePipeline is null;
        if (options.AdaptiveConcurrency && !options.Sequential && options.EffectiveConcurrency is { } limit)
        {
            Concurrency = new AdaptiveConcurrencyLimiter(limit);
            Concurrency.LimitChanged += OnConcurrencyLimitChanged;
        }
    }

    /// <summary>Raised when the default pipeline's circuit breaker opens, and again for every call it rejects: the endpoint is failing every call.</summary>
    public event Action<Exception>? CircuitOpened;

    /// <summary>Gets the adaptive limit on items in flight, or <see langword="null"/> when it is off.</summary>
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

        ChatResponse response;
        try
        {
            response = await SendWithRetriesAsync(innerClient, messages, options, item, estimate, cancellationToken).ConfigureAwait(false);
        }
        catch when (_budget is not null)
        {
            // The provider bills no failed request we can see; what a failure spent is unknown, so it is not charged.
            _budget.Settle(reservation, 0, 0m);
            throw;
        }

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

    /// <summary>The attempts of one model call, run through the batch's resilience pipeline (retry, circuit breaker).</summary>
    private async Task<ChatResponse> SendWithRetriesAsync(
        IChatClient innerClient,
        IEnumerable<ChatMessage> messages,
        ChatOptions? options,
        BatchItemContext item,
        CallEstimate estimate,
        CancellationToken cancellationToken)
    {
        try
        {
            return await _resilience.ExecuteAsync(
                static (state, token) => new ValueTask<ChatResponse>(state.Self.SendAttemptAsync(state.InnerClient, state.Messages, state.Options, state.Item, state.Estimate, token)),
                (Self: this, InnerClient: innerClient, Messages: messages, Options: options, Item: item, Estimate: estimate),
                cancellationToken).ConfigureAwait(false);
        }
        catch (BrokenCircuitException ex) when (_ownsCircuit)
        {
            // Polly runs OnOpened on its own schedule; stop the batch before this item's slot frees, not after.
            OnCircuitOpened(ex.InnerException);
            throw;
        }
    }

    /// <summary>One request to the model: the unit that retries repeat and that <see cref="BatchItemResult{TOutput}.Attempts"/> counts.</summary>
    /// <remarks>
    /// Reports the outcome to adaptive concurrency, and turns a body the client could not read into an
    /// <see cref="InvalidModelResponseException"/> so that the retry policy can tell it from a bug.
    /// </remarks>
    private async Task<ChatResponse> SendAttemptAsync(
        IChatClient innerClient,
        IEnumerable<ChatMessage> messages,
        ChatOptions? options,
        BatchItemContext item,
        CallEstimate estimate,
        CancellationToken cancellationToken)
    {
        using var requestLease = _requestLimiter is null ? null : await _requestLimiter.AcquireLeaseAsync(1, cancellationToken).ConfigureAwait(false);
        using var tokenLease = _tokenLimiter is null ? null : await _tokenLimiter.AcquireLeaseAsync(estimate.Tokens, cancellationToken).ConfigureAwait(false);

        item.RecordAttempt();
        var epoch = Concurrency?.Epoch ?? 0;
        try
        {
            var response = await _attemptTimeout.ExecuteAsync(
                static (state, token) => new ValueTask<ChatResponse>(state.InnerClient.GetResponseAsync(state.Messages, state.Options, token)),
                (InnerClient: innerClient, Messages: messages, Options: options),
                cancellationToken).ConfigureAwait(false);
            tokenLease?.Reconcile(ReportedTokens(response.Usage) ?? estimate.Tokens);
            Concurrency?.OnSuccess();
            return response;
        }
        catch (Exception ex)
        {
            // A refused or failed request is not charged against the provider's window.
            tokenLease?.Reconcile(0);
            if (TransientFaults.IsRateLimited(ex))
            {
                Concurrency?.OnRateLimited(epoch);
            }

            if (!cancellationToken.IsCancellationRequested && TransientFaults.AsInvalidResponse(ex) is { } invalid)
            {
                throw invalid;
            }

            throw;
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
