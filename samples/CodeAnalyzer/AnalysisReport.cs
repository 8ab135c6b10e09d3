namespace AgentBatch.Samples.CodeAnalyzer;

/// <summary>The whole run, as written to the JSON report.</summary>
internal sealed record AnalysisReport(
    string Folder,
    string Model,
    BatchStopReason StopReason,
    int FileCount,
    int AnalyzedCount,
    int FindingCount,
    IReadOnlyDictionary<FindingSeverity, int> FindingsBySeverity,
    long InputTokens,
    long OutputTokens,
    decimal? Cost,
    double ElapsedSeconds,
    IReadOnlyList<FileAnalysis> Files)
{
    public static AnalysisReport From(string folder, string model, BatchResult<string> result, IReadOnlyList<FileAnalysis> files)
    {
        var findings = files.SelectMany(file => file.Findings).ToArray();
        return new AnalysisReport(
            folder,
            model,
            result.StopReason,
            files.Count,
            result.SucceededCount,
            findings.Length,
            Enum.GetValues<FindingSeverity>().Reverse().ToDictionary(severity => severity, severity => findings.Count(f => f.Severity == severity)),
            result.Usage.InputTokenCount ?? 0,
            result.Usage.OutputTokenCount ?? 0,
            result.Cost,
            Math.Round(result.Elapsed.TotalSeconds, 3),
            files);
    }
}
