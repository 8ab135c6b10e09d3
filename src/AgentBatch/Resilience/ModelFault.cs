namespace AgentBatch;

/// <summary>What a failed model call's error says about the call, read by a <see cref="ModelFaultClassifier"/>.</summary>
/// <remarks>
/// The batch decides from these facts alone: retry (408, 429 and 5xx statuses, an unreadable reply, no response), lower
/// concurrency (429), stop the batch (401, 403, 404, a used-up quota), and whether the request may have been billed (no
/// status, or an unreadable success).
/// </remarks>
public sealed record ModelFault
{
    /// <summary>Gets the HTTP status the endpoint answered with, or 0 when no response arrived.</summary>
    public int StatusCode { get; init; }

    /// <summary>Gets the wait the server asked for before another attempt (<c>retry-after-ms</c>, <c>Retry-After</c>), or <see langword="null"/>.</summary>
    /// <remarks>AgentBatch caps it at 60 s; a classifier should cap a value too large for a <see cref="TimeSpan"/> itself rather than throw.</remarks>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Gets a value indicating whether the account's quota or credit is used up: no retry or wait cures it, and the batch stops.</summary>
    public bool QuotaExhausted { get; init; }

    /// <summary>Gets a value indicating whether the endpoint answered with a success status but a body the client could not read as a reply.</summary>
    public bool UnreadableReply { get; init; }

    /// <summary>Gets the provider's error code (<c>invalid_api_key</c>, <c>model_not_found</c>), or <see langword="null"/>; never the message text.</summary>
    public string? ErrorCode { get; init; }
}
