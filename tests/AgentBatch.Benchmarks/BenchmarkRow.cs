namespace AgentBatch.Benchmarks;

/// <summary>One line of the results table.</summary>
/// <param name="Figure">What was measured.</param>
/// <param name="AgentBatch">AgentBatch's figure.</param>
/// <param name="Baseline">The baseline's figure, or "-".</param>
/// <param name="Ratio">AgentBatch relative to the baseline, or "-".</param>
/// <param name="Goal">The goal, or "-".</param>
/// <param name="Met">"yes", "no" or "-" where there is no goal or it is not judged in this mode.</param>
public sealed record BenchmarkRow(string Figure, string AgentBatch, string Baseline, string Ratio, string Goal, string Met);
