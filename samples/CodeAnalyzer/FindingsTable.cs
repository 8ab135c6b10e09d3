using System.Globalization;
using Spectre.Console;

namespace AgentBatch.Samples.CodeAnalyzer;

/// <summary>Prints the findings, the clean and failed files, and the totals.</summary>
internal static class FindingsTable
{
    public static void Write(IAnsiConsole console, AnalysisReport report)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("File")
            .AddColumn(new TableColumn("Line").RightAligned())
            .AddColumn("Severity")
            .AddColumn("Finding");
        foreach (var finding in report.Files.SelectMany(file => file.Findings))
        {
            table.AddRow(
                Markup.Escape(finding.File),
                finding.Line.ToString(CultureInfo.InvariantCulture),
                Severity(finding.Severity),
                Markup.Escape(finding.Description));
        }

        if (report.FindingCount > 0)
        {
            console.Write(table);
        }

        var clean = report.Files.Where(file => file.Status == BatchItemStatus.Succeeded && file.Findings.Count == 0).Select(file => file.File).ToArray();
        if (clean.Length > 0)
        {
            console.MarkupLineInterpolated($"[green]No findings:[/] {string.Join(", ", clean)}");
        }

        foreach (var file in report.Files.Where(file => file.Status != BatchItemStatus.Succeeded))
        {
            console.MarkupLineInterpolated($"[red]Not analysed:[/] {file.File} ({file.Status}: {file.Error})");
        }

        var bySeverity = string.Join(", ", report.FindingsBySeverity.Where(pair => pair.Value > 0).Select(pair => $"{pair.Value} {pair.Key.ToString().ToLowerInvariant()}"));
        console.MarkupLineInterpolated(
            $"[bold]{report.AnalyzedCount}/{report.FileCount} files analysed[/] · {report.FindingCount} findings{(bySeverity.Length > 0 ? $" ({bySeverity})" : string.Empty)} · {ProgressText.Tokens(report.InputTokens + report.OutputTokens)} tokens · {ProgressText.Cost(report.Cost)} · {report.ElapsedSeconds:F1} s");
    }

    private static string Severity(FindingSeverity severity) => severity switch
    {
        FindingSeverity.Critical => "[bold red]critical[/]",
        FindingSeverity.High => "[red]high[/]",
        FindingSeverity.Medium => "[yellow]medium[/]",
        _ => "[grey]low[/]",
    };
}
