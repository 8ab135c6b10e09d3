namespace AgentBatch.Hosting.Internal;

/// <summary>A set's optional <c>set.json</c> (or <c>NAME.set.json</c> beside a JSONL set).</summary>
internal sealed class SetManifest
{
    public BatchPriority Priority { get; set; } = BatchPriority.Medium;

    public string? Profile { get; set; }

    public bool? Csv { get; set; }
}
