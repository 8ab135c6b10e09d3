using System.Text.Json;
using AgentBatch.Testing;

namespace AgentBatch.Samples.CodeAnalyzer;

/// <summary>
/// The embedded mock's scripted model. First turn: one real <c>report_finding</c> tool call per flaw <see cref="FlawRules"/>
/// recognises in the file (at its real line). Once the tool results are back, or when there is nothing to report: a one-sentence summary.
/// </summary>
internal static class MockAnalyzerModel
{
    public static MockChatReply Reply(MockChatRequest request)
    {
        if (!AnalyzerPrompt.TryParse(request.LastUserText, out var file, out var lines))
        {
            return MockChatReply.Answer("Send me a source file to review.");
        }

        var flaws = FlawRules.Match(lines);
        if (flaws.Count > 0 && request.ToolResultCount == 0 && request.ToolNames.Contains(ReportFindingTool.Name))
        {
            return MockChatReply.CallTools(flaws
                .Select(flaw => new MockToolCall(ReportFindingTool.Name, JsonSerializer.Serialize(new
                {
                    file,
                    line = flaw.Line,
                    severity = flaw.Rule.Severity.ToString().ToLowerInvariant(),
                    description = flaw.Rule.Description,
                })))
                .ToArray());
        }

        if (flaws.Count == 0)
        {
            return MockChatReply.Answer($"No security issues found in {file}.");
        }

        var worst = flaws.MaxBy(flaw => flaw.Rule.Severity);
        return MockChatReply.Answer($"{file} has {flaws.Count} security issue(s); the most severe, on line {worst.Line}: {worst.Rule.Description}");
    }
}
