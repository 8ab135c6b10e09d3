using Microsoft.Extensions.Logging;

namespace AgentBatch.Internal;

/// <summary>Log messages of the resilience layer (event ids 100-199). Never the error message: it may echo a body.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "Batch item {Index}: model call failed with {ErrorType} (HTTP {Status}); attempt {NextAttempt} in {DelayMilliseconds:F0} ms.")]
    public static partial void RetryingModelCall(ILogger logger, int index, int nextAttempt, string errorType, int status, double delayMilliseconds);

    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "Circuit breaker opened: the model endpoint is failing every call; the batch stops and the remaining items are skipped.")]
    public static partial void CircuitOpened(ILogger logger);

    [LoggerMessage(EventId = 104, Level = LogLevel.Error, Message = "The model endpoint refused the batch (HTTP {Status}, {ErrorType}): the credentials, the model or the quota; the batch stops and the remaining items are skipped, not sent.")]
    public static partial void EndpointRefusedBatch(ILogger logger, int status, string errorType);

    [LoggerMessage(EventId = 105, Level = LogLevel.Warning, Message = "A model call failed with {ErrorType} (HTTP {Status}), and the chat client has no fault classifier: the status was read from the exception, but not a wait the server asked for, a used-up quota or secrets in the error's body. Build the client with its provider's AgentBatch package (AsBatchChatClient()) or UseFaultClassifier.")]
    public static partial void NoFaultClassifier(ILogger logger, string errorType, int status);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Adaptive concurrency: rate limited, items in flight lowered to {Limit}.")]
    public static partial void ConcurrencyLowered(ILogger logger, int limit);

    [LoggerMessage(EventId = 103, Level = LogLevel.Debug, Message = "Adaptive concurrency: items in flight raised to {Limit}.")]
    public static partial void ConcurrencyRaised(ILogger logger, int limit);
}
