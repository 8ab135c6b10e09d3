namespace AgentBatch.Hosting.Internal;

/// <summary>A set's optional <c>set.json</c> (or <c>NAME.set.json</c> beside a JSONL set).</summary>
internal sealed class SetManifest
{
    public BatchPriority Priority { get; set; } = BatchPriority.Medium;

    public string? Profile { get; set; }

    public bool? Csv { get; set; }

    /// <summary>Gets or sets how the set's documents reach the model: <c>live</c>, or <c>batch</c> for the provider's batch API; <see langword="null"/> for the batch's own <see cref="BatchOptions.Execution"/>.</summary>
    public string? Execution { get; set; }
}
