namespace AgentBatch.Testing.Internal;

/// <summary>What became of one request of a batch.</summary>
internal enum MockBatchOutcome
{
    /// <summary>Not run yet.</summary>
    Pending,

    /// <summary>Ran; the responder answered a 2xx reply.</summary>
    Succeeded,

    /// <summary>Ran; the responder answered an error.</summary>
    Errored,

    /// <summary>Cancelled before it ran.</summary>
    Canceled,

    /// <summary>The completion window passed before it ran.</summary>
    Expired,
}
