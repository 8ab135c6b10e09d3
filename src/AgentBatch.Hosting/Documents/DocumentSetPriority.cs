namespace AgentBatch.Hosting;

/// <summary>How urgently a document set runs: higher priorities first, first come first served within one.</summary>
public enum DocumentSetPriority
{
    /// <summary>Runs after every other priority.</summary>
    Low,

    /// <summary>The default priority.</summary>
    Medium,

    /// <summary>Runs before <see cref="Medium"/> and <see cref="Low"/> sets.</summary>
    High,

    /// <summary>Runs before every other priority.</summary>
    Critical,
}
