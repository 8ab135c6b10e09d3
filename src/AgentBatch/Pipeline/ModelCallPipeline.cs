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
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Budget and resilience policies are per-batch instance state.")]
internal sealed class ModelCallPipeline
{
    private readonly BatchOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline<ChatResponse> _resilience;
    private readonly ResiliencePipeline _attemptTimeout;
    private readonly bool _ownsCircuit;
    private int _circuitOpened;

    public ModelCallPipeline(BatchOptions options, TimeProvider timeProvider, ILogger logger)
    {
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        _resilience = options.ResiliencePipeline ?? ModelCallResilience.Create(options, timeProvider, logger, OnCircuitOpened);
        _attemptTimeout = ModelCallResilience.CreateAttemptTimeout(options, timeProvider);
        _ownsCircuit = options.ResiliencePipeline is null;
        if (options.AdaptiveConcurrency && !options.Sequential && options.EffectiveConcurrency is { } limit)
        {
            Concurrency = new AdaptiveConcurrencyLimiter(limit);
            Concurrency.LimitChanged += OnConcurrencyLimitChanged;
        }
    }

    /// <summary>Raised once when the default pipeline's circuit breaker opens: the endpoint is failing every call.</summary>
    public event Action<Exception>? CircuitOpened;

    /// <summary>Gets the adaptive limit on items in flight, or <see langword="null"/> when it is off.</summary>
    public AdaptiveConcurrencyLimiter? Concurrency { get; }

    public BatchOptions Options => _options;

    public TimeProvider TimeProvider => _timeProvider;

    public ILogger Logger => _logger;

    public async Task<ChatResponse> GetResponseAsync(
        IChatClient innerClient,
        IEnumerable<ChatMessage> messages,
        ChatOptions? options,
        BatchItemContext item,
        CancellationToken cancellationToken)
    {
        item.RecordCall();
        var response = await SendWithRetriesAsync(innerClient, messages, options, item, cancellationToken).ConfigureAwait(false);

        item.RecordUsage(response.Usage, cost: 0m);
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
                    item.RecordUsage(usage.Details, cost: 0m);
                }
            }

            yield return update;
        }
    }

    /// <summary>The attempts of one model call, run through the batch's resilience pipeline (retry, circuit breaker).</summary>
    private async Task<ChatResponse> SendWithRetriesAsync(
        IChatClient innerClient,
        IEnumerable<ChatMessage> messages,
        ChatOptions? options,
        BatchItemContext item,
        CancellationToken cancellationToken)
    {
        try
        {
            return await _resilience.ExecuteAsync(
                static (state, token) => new ValueTask<ChatResponse>(state.Self.SendAttemptAsync(state.InnerClient, state.Messages, state.Options, state.Item, token)),
                (Self: this, InnerClient: innerClient, Messages: messages, Options: options, Item: item),
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
        CancellationToken cancellationToken)
    {
        item.RecordAttempt();
        var epoch = Concurrency?.Epoch ?? 0;
        try
        {
            var response = await _attemptTimeout.ExecuteAsync(
                static (state, token) => new ValueTask<ChatResponse>(state.InnerClient.GetResponseAsync(state.Messages, state.Options, token)),
                (InnerClient: innerClient, Messages: messages, Options: options),
                cancellationToken).ConfigureAwait(false);
            Concurrency?.OnSuccess();
            return response;
        }
        catch (Exception ex)
        {
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

    /// <summary>Reports, once, that the breaker opened, from whichever of Polly's callback or a rejected call comes first.</summary>
    private void OnCircuitOpened(Exception? lastError)
    {
        if (Interlocked.Exchange(ref _circuitOpened, 1) != 0)
        {
            return;
        }

        Log.CircuitOpened(_logger);
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
}
