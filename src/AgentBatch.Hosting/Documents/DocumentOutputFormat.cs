namespace AgentBatch.Hosting;

/// <summary>What a document's output is in <c>results.jsonl</c>.</summary>
public enum DocumentOutputFormat
{
    /// <summary>The model's reply as a JSON string.</summary>
    Text,

    /// <summary>The model's reply parsed as JSON and embedded as it is; a reply that is not JSON fails the document.</summary>
    Json,
}
