using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace AgentBatch.Internal;

/// <summary>Builds the default per-batch resilience pipelines around each model call.</summary>
/// <remarks>
/// <para>
/// Outermost first: retry (exponential backoff with jitter, or the server's <c>Retry-After</c>), then the circuit
/// breaker (so a call rejected by an open circuit is not retried), then the attempt itself. One pipeline per batch:
/// the breaker judges one batch's endpoint, not a process's.
/// </para>
/// <para>
/// The per-attempt timeout is not part of it: <see cref="AttemptTimeout"/> applies it around the request alone, so that
/// waiting for room under a pacing limit before sending never counts against it.
/// </para>
/// </remarks>
internal static class ModelCallResilience
{
    /// <summary>The batch item a call is made for, on the call's resilience context while retries are logged.</summary>
    public static readonly ResiliencePropertyKey<BatchItemContext> ItemKey = new("AgentBatch.Item");

    /// <summary>What the last failed attempt's error said (<see cref="TransientFaults.Read"/>), on the call's resilience context for the strategies to judge.</summary>
    public static readonly ResiliencePropertyKey<ModelFault?> FaultKey = new("AgentBatch.Fault");

    public static ModelFault? FaultOf(ResilienceContext context) => context.Properties.TryGetValue(FaultKey, out var fault) ? fault : null;

    public static ResiliencePipeline<ChatResponse> Create(
        BatchOptions options, TimeProvider timeProvider, ILogger logger, Action<Exception?, ModelFault?> onCircuitOpened)
    {
        var builder = new ResiliencePipelineBuilder<ChatResponse> { Name = "AgentBatch.ModelCall", TimeProvider = timeProvider };

        if (options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions<ChatResponse>
            {
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Exception is { } error && TransientFaults.IsTransient(error, FaultOf(args.Context))),
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = ResilienceConstants.MaxRetryDelay,
                DelayGenerator = static args => ValueTask.FromResult(TransientFaults.RetryAfter(FaultOf(args.Context))),
                OnRetry = args =>
                {
                    AgentBatchMetrics.Retrying(args.Outcome.Exception!);
                    if (logger.IsEnabled(LogLevel.Debug))
                    {
                        var error = args.Outcome.Exception!;
                        var index = args.Context.Properties.TryGetValue(ItemKey, out var item) ? item.Index : -1;
                        var errorType = error.GetType().Name;
                        var status = TransientFaults.StatusOf(FaultOf(args.Context));
                        Log.RetryingModelCall(logger, index, args.AttemptNumber + 2, errorType, status, args.RetryDelay.TotalMilliseconds);
                    }

                    return default;
                },
            });
        }

        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<ChatResponse>
        {
            ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Exception is { } error && TransientFaults.IsEndpointFailure(error, FaultOf(args.Context))),
            FailureRatio = ResilienceConstants.CircuitFailureRatio,
            MinimumThroughput = ResilienceConstants.CircuitMinimumThroughput,
            SamplingDuration = ResilienceConstants.CircuitSamplingDuration,
            BreakDuration = ResilienceConstants.CircuitBreakDuration,
            OnOpened = args =>
            {
                onCircuitOpened(args.Outcome.Exception, FaultOf(args.Context));
                return default;
            },
        });

        return builder.Build();
    }

    /// <summary>
    /// The pipeline of the provider batch lane: each attempt is one request in a provider batch, so a retry is a
    /// resubmission in a later batch, only with <see cref="ProviderBatchOptions.ResubmitFailed"/>, at once (the wait for a
    /// batch is the backoff), for a transient error or an expired request. No circuit breaker: a batch that fails as a
    /// whole fails its own requests, and nothing else is sent meanwhile.
    /// </summary>
    public static ResiliencePipeline<ChatResponse> CreateForProviderBatches(BatchOptions options, TimeProvider timeProvider, ILogger logger)
    {
        if (!options.ProviderBatch.ResubmitFailed || options.MaxAttempts <= 1)
        {
            return ResiliencePipeline<ChatResponse>.Empty;
        }

        return new ResiliencePipelineBuilder<ChatResponse> { Name = "AgentBatch.ProviderBatchCall", TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions<ChatResponse>
            {
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Exception is { } error && TransientFaults.IsTransient(error, FaultOf(args.Context))),
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Constant,
                Delay = TimeSpan.Zero,
                OnRetry = args =>
                {
                    AgentBatchMetrics.Retrying(args.Outcome.Exception!);
                    if (logger.IsEnabled(LogLevel.Debug))
                    {
                        var index = args.Context.Properties.TryGetValue(ItemKey, out var item) ? item.Index : -1;
                        var errorType = args.Outcome.Exception!.GetType().Name;
                        var status = TransientFaults.StatusOf(FaultOf(args.Context));
                        Log.RetryingModelCall(logger, index, args.AttemptNumber + 2, errorType, status, 0);
                    }

                    return default;
                },
            })
            .Build();
    }

    /// <summary>The error a batch stops with when the breaker opens; names the last failure's type and status, never its message.</summary>
    public static BrokenCircuitException CircuitOpenedError(Exception? lastError, ModelFault? lastFault) => new(
        $"The model endpoint failed every one of at least {ResilienceConstants.CircuitMinimumThroughput} calls within "
        + $"{ResilienceConstants.CircuitSamplingDuration.TotalSeconds:F0} s (last error: {lastError?.GetType().Name ?? "unknown"}"
        + $"{(lastError is null ? string.Empty : $", status {TransientFaults.StatusOf(lastFault)}")}); the circuit breaker opened and the batch stopped.",
        lastError!);
}
