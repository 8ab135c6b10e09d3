namespace AgentBatch.Samples.CodeAnalyzer;

/// <summary>How serious a finding is.</summary>
internal enum FindingSeverity
{
    Low,
    Medium,
    High,
    Critical,
}
