using Microsoft.Extensions.Logging;

namespace AgentBatch.Internal;

/// <summary>The provider batch lane's log messages: batch ids, counts and error types; never a request, a reply or an error's text.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "{Provider} batch {BatchId} submitted: {Requests} request(s), {Bytes} bytes.")]
    public static partial void ProviderBatchSubmitted(ILogger logger, string provider, string batchId, int requests, long bytes);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "A {Provider} batch of {Requests} request(s) could not be submitted ({ErrorType}); its items fail with the error.")]
    public static partial void ProviderBatchSubmitFailed(ILogger logger, string provider, int requests, string errorType);

    [LoggerMessage(EventId = 203, Level = LogLevel.Information, Message = "Provider batch {BatchId} ended {State}: {Succeeded} succeeded, {Errored} errored, {Expired} expired, {Canceled} cancelled.")]
    public static partial void ProviderBatchEnded(ILogger logger, string batchId, ProviderBatchState state, int succeeded, int errored, int expired, int canceled);

    [LoggerMessage(EventId = 204, Level = LogLevel.Warning, Message = "Polling provider batch {BatchId} failed ({ErrorType}).")]
    public static partial void ProviderBatchPollFailed(ILogger logger, string batchId, string errorType);

    [LoggerMessage(EventId = 205, Level = LogLevel.Information, Message = "Re-attached to {Provider} batch {BatchId} ({Requests} request(s)) recorded by an earlier run.")]
    public static partial void ProviderBatchReattached(ILogger logger, string provider, string batchId, int requests);

    [LoggerMessage(EventId = 206, Level = LogLevel.Information, Message = "Looked for the batch of submission {Key}, whose id an earlier run did not save: {Found}.")]
    public static partial void ProviderBatchResolved(ILogger logger, string key, bool found);

    [LoggerMessage(EventId = 207, Level = LogLevel.Information, Message = "Provider batch {BatchId} cancelled with the run.")]
    public static partial void ProviderBatchCancelled(ILogger logger, string batchId);

    [LoggerMessage(EventId = 209, Level = LogLevel.Warning, Message = "Provider batch {BatchId} was created, but its id could not be saved in the store ({ErrorType}); the run goes on reading it.")]
    public static partial void ProviderBatchIdNotSaved(ILogger logger, string batchId, string errorType);

    [LoggerMessage(EventId = 208, Level = LogLevel.Warning, Message = "Provider batch {BatchId} could not be cancelled ({ErrorType}); it runs on at the provider.")]
    public static partial void ProviderBatchCancelFailed(ILogger logger, string batchId, string errorType);
}
