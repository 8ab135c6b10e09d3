using Microsoft.Extensions.Logging;

namespace AgentBatch.Hosting.PostgreSql.Internal;

/// <summary>The PostgreSQL store's log messages. The connection string, document text and results are never logged.</summary>
internal static partial class PostgreSqlLog
{
    // Event ids 1101 and up: AgentBatch.Hosting uses 1001-1099.
    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Worker {WorkerId} registered in the PostgreSQL store (schema '{Schema}').")]
    public static partial void WorkerRegistered(ILogger logger, Guid workerId, string schema);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "The PostgreSQL store could not renew this worker's leases ({ErrorType}); if it cannot for {LeaseDuration}, other workers take its documents and nothing it then finishes is recorded.")]
    public static partial void HeartbeatFailed(ILogger logger, string errorType, TimeSpan leaseDuration);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "A queued write to the PostgreSQL store failed ({ErrorType}); a settlement not written leaves its reservation counted whole.")]
    public static partial void WriteFailed(ILogger logger, string errorType);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "The PostgreSQL store could not sign this worker off ({ErrorType}); its leases run out on their own.")]
    public static partial void StopFailed(ILogger logger, string errorType);
}
