using System.Globalization;
using Spectre.Console;

namespace AgentBatch.Samples.QnA;

/// <summary>Prints the answers, one row per question in input order, and the batch totals.</summary>
internal static class AnswerTable
{
    public static void Write(IAnsiConsole console, IReadOnlyList<string> questions, BatchResult<QnAAnswer> result)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("#")
            .AddColumn("Question")
            .AddColumn("Answer")
            .AddColumn(new TableColumn("Confidence").RightAligned())
            .AddColumn(new TableColumn("Tokens").RightAligned())
            .AddColumn(new TableColumn("Cost").RightAligned());

        foreach (var item in result.Items)
        {
            var answer = item.Output is { } output
                ? Markup.Escape(output.Answer)
                : $"[red]{Markup.Escape($"{item.Status}: {item.Error?.Message}")}[/]";
            var confidence = item.Output?.Confidence.ToString("0%", CultureInfo.InvariantCulture) ?? "-";
            table.AddRow(
                (item.Index + 1).ToString(CultureInfo.InvariantCulture),
                Markup.Escape(questions[item.Index]),
                answer,
                confidence,
                ProgressText.Tokens(item.Usage?.TotalTokenCount),
                ProgressText.Cost(item.Cost));
        }

        console.Write(table);
        console.MarkupLineInterpolated(
            $"[bold]{result.SucceededCount}/{result.Items.Count} answered[/], {result.FailedCount} failed, {result.SkippedCount + result.CanceledCount} not run · {ProgressText.Tokens(result.Usage.TotalTokenCount)} tokens ({ProgressText.Tokens(result.Usage.InputTokenCount)} in, {ProgressText.Tokens(result.Usage.OutputTokenCount)} out) · {ProgressText.Cost(result.Cost)} · {result.Elapsed.TotalSeconds:F1} s");
    }
}
