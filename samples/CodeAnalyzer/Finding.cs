namespace AgentBatch.Samples.CodeAnalyzer;

/// <summary>One security finding the model reported through the <c>report_finding</c> tool.</summary>
internal sealed record Finding(string File, int Line, FindingSeverity Severity, string Description);
