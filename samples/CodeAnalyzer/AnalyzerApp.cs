using System.CommandLine;
using Microsoft.Extensions.AI;
using Spectre.Console;

namespace AgentBatch.Samples.CodeAnalyzer;

/// <summary>The CodeAnalyzer sample: one agent clone per file, findings reported through a tool, a table and JSON/CSV reports.</summary>
internal static class AnalyzerApp
{
    public const string DefaultOutputFolder = "code-analysis";

    public static Task<int> RunAsync(IReadOnlyList<string> args, SampleConsole console)
    {
        var folder = new Argument<DirectoryInfo?>("folder")
        {
            Description = "The folder of source files to review (default: the bundled C and C# snippets)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var output = new Option<DirectoryInfo>("--output", "-o")
        {
            Description = $"The folder to write {ReportWriter.JsonFileName} and {ReportWriter.CsvFileName} to",
            DefaultValueFactory = _ => new DirectoryInfo(DefaultOutputFolder),
        };
        var maxCost = new Option<decimal?>("--max-cost")
        {
            Description = "Start no more files once the batch would cost more than this, in US dollars",
            CustomParser = OptionParsers.PositiveNumber("--max-cost"),
        };

        var common = new CommonSampleOptions(defaultMaxConcurrency: 4, defaultMockLatencyMilliseconds: 300);
        var command = new RootCommand("Reviews source files for security flaws with one AgentBatch agent clone per file.") { folder, output, maxCost };
        common.AddTo(command);

        return SampleCommandLine.InvokeAsync(command, args, console, (parsed, cancellationToken) => AnalyzeAsync(
            console,
            parsed.GetValue(folder) ?? new DirectoryInfo(SourceFolder.Bundled),
            parsed.GetValue(output)!,
            parsed.GetValue(maxCost),
            common.Read(parsed),
            cancellationToken));
    }

    private static async Task<int> AnalyzeAsync(
        SampleConsole console, DirectoryInfo folder, DirectoryInfo output, decimal? maxCost, SampleSettings settings, CancellationToken cancellationToken)
    {
        var files = SourceFolder.Load(folder);
        using var session = await SampleSession.StartAsync(console, "CodeAnalyzer", settings, MockAnalyzerModel.Reply, cancellationToken);

        // One collector per file, keyed by the item's index; the shared tool writes to the current item's (see ReportFindingTool).
        var collectors = files.Select(file => new FindingCollector(file)).ToArray();
        var analyzer = new ChatAgent(session.Endpoint.ChatClient, new ChatAgentOptions
        {
            Name = "analyzer",
            Instructions = AnalyzerPrompt.Instructions,
            // No temperature: reasoning models refuse one. Their output limit counts reasoning tokens, hence the headroom.
            ChatOptions = new ChatOptions { MaxOutputTokens = 2_000, Tools = [ReportFindingTool.Create(index => collectors[index])] },
            MaxTurns = 5,
        });

        var result = await session.RunWithProgressAsync("Analysing", files.Length, progress => new BatchRunner().RunBatchAsync(
            analyzer,
            files,
            inputMap: file => AnalyzerPrompt.Input(file),
            outputMap: reply => reply.Text,
            new BatchOptions { MaxConcurrency = settings.MaxConcurrency, MaxCost = maxCost, Progress = progress },
            cancellationToken));

        var analyses = result.Items.Select(item => FileAnalysis.From(files[item.Index], item, collectors[item.Index])).ToArray();
        var report = AnalysisReport.From(folder.FullName, session.Endpoint.Model, result, analyses);
        FindingsTable.Write(console.Output, report);
        await WriteReportsAsync(console, report, output, cancellationToken);

        var notAnalyzed = report.FileCount - report.AnalyzedCount;
        if (notAnalyzed == 0)
        {
            return SampleExitCodes.Success;
        }

        var reason = result.StopReason == BatchStopReason.CostLimitReached
            ? $"stopped at the cost cap of {ProgressText.Cost(maxCost ?? 0)}"
            : result.Items.FirstOrDefault(item => item.Error is not null)?.Error?.Message ?? result.StopReason.ToString();
        return console.Fail(SampleExitCodes.ItemsFailed, $"{notAnalyzed} of {report.FileCount} files not analysed: {reason}");
    }

    private static async Task WriteReportsAsync(SampleConsole console, AnalysisReport report, DirectoryInfo output, CancellationToken cancellationToken)
    {
        string[] written;
        try
        {
            written = await ReportWriter.WriteAsync(report, output, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SampleException(SampleExitCodes.Usage, $"cannot write the reports to {output.FullName}: {ex.Message}");
        }

        console.Output.MarkupLineInterpolated($"Reports: {string.Join(", ", written.Select(path => Path.GetRelativePath(Environment.CurrentDirectory, path)))}");
    }
}
