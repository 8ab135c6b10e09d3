namespace AgentBatch;

/// <summary>One request of a recorded provider batch: its custom id in the batch, and the key of its body.</summary>
/// <param name="CustomId">The request's custom id in its batch.</param>
/// <param name="RequestKey">A hash of the request's body: the same call made again has the same key, and is answered from this batch instead of being submitted again.</param>
public readonly record struct ProviderBatchRecordedRequest(string CustomId, string RequestKey);
