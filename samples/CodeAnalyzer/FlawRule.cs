using System.Text.RegularExpressions;

namespace AgentBatch.Samples.CodeAnalyzer;

/// <summary>One pattern the mock model "recognises", with the finding it reports for a matching line.</summary>
internal sealed record FlawRule(Regex Pattern, FindingSeverity Severity, string Description);
