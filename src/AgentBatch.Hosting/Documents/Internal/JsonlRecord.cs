namespace AgentBatch.Hosting.Internal;

/// <summary>One line of a JSONL document set.</summary>
internal sealed class JsonlRecord
{
    public string? Name { get; set; }

    public string? Text { get; set; }
}
