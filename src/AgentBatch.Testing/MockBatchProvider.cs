namespace AgentBatch.Testing;

/// <summary>The provider whose batch API a <see cref="MockBatch"/> was created through.</summary>
public enum MockBatchProvider
{
    /// <summary>OpenAI's Batch API: a JSONL input file uploaded to <c>/v1/files</c>, run by <c>/v1/batches</c>.</summary>
    OpenAI,

    /// <summary>Anthropic's Message Batches API: the requests posted to <c>/v1/messages/batches</c>.</summary>
    Anthropic,
}
