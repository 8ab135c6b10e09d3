namespace AgentBatch.Hosting.Internal;

/// <summary>A set's optional <c>set.json</c> (or <c>NAME.set.json</c> beside a JSONL set).</summary>
internal sealed class SetManifest
{
    public DocumentSetPriority Priority { get; set; } = DocumentSetPriority.Medium;

    public string? Profile { get; set; }

    public bool? Csv { get; set; }
}
