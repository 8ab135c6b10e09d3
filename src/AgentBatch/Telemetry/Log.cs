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

    // A failed item is one line at Warning, without a stack and without a server's body text; the exception (redacted)
    // goes with a Debug line.
    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Batch item {Index} failed with {ErrorType}: {Description}")]
    public static partial void ItemFailed(ILogger logger, int index, string errorType, string description);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "Batch item {Index} failed.")]
    public static partial void ItemFailedDetail(ILogger logger, int index, Exception error);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "Batch stopped by a fault: {ErrorType}.")]
    public static partial void BatchFaulted(ILogger logger, string errorType);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "The progress receiver threw {ErrorType}; the batch goes on, and further reports are still made.")]
    public static partial void ProgressReceiverFailed(ILogger logger, string errorType, Exception error);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Batch item {Index}'s agent answered without any model call passing the AgentBatch layer: if its chat client lacks UseAgentBatch(), its calls are not capped, paced, retried or counted. (A reply served from a cache below that layer looks the same, and is right.)")]
    public static partial void CallsNotRouted(ILogger logger, int index);
}
