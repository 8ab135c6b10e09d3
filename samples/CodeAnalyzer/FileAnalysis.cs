namespace AgentBatch.Samples.CodeAnalyzer;

/// <summary>The outcome for one file: its findings, the model's summary, usage and cost.</summary>
internal sealed record FileAnalysis(
    string File,
    BatchItemStatus Status,
    string? Summary,
    IReadOnlyList<Finding> Findings,
    long InputTokens,
    long OutputTokens,
    decimal? Cost,
    string? Error)
{
    public static FileAnalysis From(SourceFile file, BatchItemResult<string> item, FindingCollector collector) => new(
        file.Path,
        item.Status,
        item.Output,
        collector.Findings,
        item.Usage?.InputTokenCount ?? 0,
        item.Usage?.OutputTokenCount ?? 0,
        item.Cost,
        item.Error?.Message);
}
