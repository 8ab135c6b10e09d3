using Microsoft.Extensions.Logging;

namespace AgentBatch.Internal;

/// <summary>AgentBatch's log messages. Prompts, completions and credentials are never logged.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Batch started: {Total} item(s), concurrency {MaxConcurrency}.")]
    public static partial void BatchStarted(ILogger logger, int total, int? maxConcurrency);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Batch started over a stream of items, concurrency {MaxConcurrency}.")]
    public static partial void StreamStarted(ILogger logger, int? maxConcurrency);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Batch finished: {Completed} item(s), {Succeeded} succeeded, {Failed} failed; stop reason {StopReason}; {ElapsedMilliseconds:F0} ms.")]
    public static partial void BatchFinished(ILogger logger, int completed, int succeeded, int failed, BatchStopReason stopReason, double elapsedMilliseconds);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Batch item {Index} failed with {ErrorType}.")]
    public static partial void ItemFailed(ILogger logger, int index, string errorType, Exception error);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "Batch stopped by a fault: {ErrorType}.")]
    public static partial void BatchFaulted(ILogger logger, string errorType, Exception error);
}
