using Microsoft.Extensions.Logging;

namespace AgentBatch.Hosting.Internal;

/// <summary>The hosting package's log messages. Document text, replies and credentials are never logged.</summary>
internal static partial class Log
{
    // Event ids 1001 and up: the core AgentBatch package uses 1-999.
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Document worker watching '{Inbox}', writing to '{Output}'.")]
    public static partial void WorkerStarted(ILogger logger, string inbox, string output);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Set '{Set}' (run {Run}, priority {Priority}, profile '{Profile}') started; {Recorded} document(s) already recorded.")]
    public static partial void SetStarted(ILogger logger, string set, int run, BatchPriority priority, string profile, int recorded);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Set '{Set}' finished: {Total} document(s), {Succeeded} succeeded, {Failed} failed, {Skipped} skipped, {Tokens} tokens, cost {Cost}.")]
    public static partial void SetFinished(ILogger logger, string set, int total, int succeeded, int failed, int skipped, long tokens, decimal cost);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Set '{Set}' stopped by shutdown; its unfinished documents run on the next start.")]
    public static partial void SetInterrupted(ILogger logger, string set);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Error, Message = "Set '{Set}' stopped by {ErrorType}; it is tried again in {RetryDelay}.")]
    public static partial void SetFaulted(ILogger logger, string set, string errorType, TimeSpan retryDelay, Exception error);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Error, Message = "Set '{Set}' cannot run: {Reason}")]
    public static partial void SetRefused(ILogger logger, string set, string reason);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "Inbox entry '{Entry}' is a link that leads out of the inbox; it is ignored.")]
    public static partial void SetLinkRefused(ILogger logger, string entry);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Information, Message = "The inbox holds no unfinished set; stopping the host.")]
    public static partial void Idle(ILogger logger);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Warning, Message = "The inbox cannot be watched ({Reason}); it is scanned every {PollInterval} instead.")]
    public static partial void WatchUnavailable(ILogger logger, string reason, TimeSpan pollInterval);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Debug, Message = "Document '{Document}' of set '{Set}' ended {Status}.")]
    public static partial void DocumentFinished(ILogger logger, string set, string document, BatchItemStatus status);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Document worker stopping: no new document starts; documents in flight finish and are recorded.")]
    public static partial void WorkerStopping(ILogger logger);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Error, Message = "The inbox '{Inbox}' is held by {Holder}, another worker on a checkpoint store of its own; two such workers would both run every set. Stop it, or share the inbox through a shared store (AgentBatch.Hosting.PostgreSql). This worker is {Action}.")]
    public static partial void InboxHeld(ILogger logger, string inbox, string holder, string action);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Warning, Message = "Set '{Set}' is not finished: {Pending} document(s) stay pending ({Reason}); the set stays in the inbox and is tried again in {RetryDelay}.")]
    public static partial void SetUnfinished(ILogger logger, string set, int pending, string reason, TimeSpan retryDelay, Exception? error);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Warning, Message = "Document '{Document}' of set '{Set}' was leased again to another worker before its result arrived; the result is not recorded here.")]
    public static partial void LeaseLost(ILogger logger, string set, string document);

    [LoggerMessage(EventId = 1020, Level = LogLevel.Information, Message = "Job manager started: concurrency {MaxConcurrency}, {Queued} task(s) queued.")]
    public static partial void JobsStarted(ILogger logger, int? maxConcurrency, int queued);

    [LoggerMessage(EventId = 1021, Level = LogLevel.Information, Message = "Job manager stopped ({Mode}).")]
    public static partial void JobsStopped(ILogger logger, BatchJobStopMode mode);

    [LoggerMessage(EventId = 1022, Level = LogLevel.Error, Message = "Job manager run stopped by {ErrorType}.")]
    public static partial void JobsFaulted(ILogger logger, string errorType, Exception error);
}
