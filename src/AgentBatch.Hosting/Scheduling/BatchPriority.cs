namespace AgentBatch.Hosting;

/// <summary>How urgently a document set or a job task runs: higher priorities first, first come first served within one.</summary>
public enum BatchPriority
{
    /// <summary>Runs after every other priority.</summary>
    Low,

    /// <summary>The default priority.</summary>
    Medium,

    /// <summary>Runs before <see cref="Medium"/> and <see cref="Low"/> work.</summary>
    High,

    /// <summary>Runs before every other priority.</summary>
    Critical,
}
