using AgentBatch.Benchmarks;

namespace AgentBatch.Tests.Benchmarks;

/// <summary>Runs the benchmark harness in quick mode so it cannot rot. Speed is judged by the full run, never here.</summary>
[Collection(BenchmarksRunAlone.Name)]
public sealed class BenchmarkHarnessTests
{
    [Fact]
    public async Task QuickMode_RunsEverySectionAndReportsEveryFigure()
    {
        var log = new StringWriter();
        var harness = new BenchmarkHarness(quick: true, log);

        // The harness itself throws if either contender loses or garbles an output.
        var rows = await harness.RunAsync();

        string[] figures =
        [
            "latency-bound", "CPU-bound requests/s", "CPU-bound CPU time", "orchestration: clone", "orchestration: model answering asynchronously",
            "orchestration: with token", "StreamBatchAsync", "pacing", "grouping", "document worker",
            "provider batch lane: cost", "provider batch lane: the lane's own", "provider batch lane: process CPU",
            "shared workers (PostgreSQL)", "shared workers: coordination", "shared workers: peak heap",
        ];
        Assert.Equal(figures, rows.Select(r => figures.First(r.Figure.StartsWith)));
        Assert.All(rows, r => Assert.False(string.IsNullOrWhiteSpace(r.AgentBatch)));

        // Both contenders' CPU time and allocations per request are measured, so the ratio is not the wall clock's alone.
        var cpu = rows.Single(r => r.Figure.StartsWith("CPU-bound CPU time", StringComparison.Ordinal));
        Assert.Matches(@"^\d+\.\d us, \d+ B$", cpu.AgentBatch);
        Assert.Matches(@"^\d+\.\d us, \d+ B$", cpu.Baseline);
        Assert.Matches(@"^\d+\.\d{3}x", cpu.Ratio);
        Assert.Equal("yes", rows.Single(r => r.Figure.StartsWith("grouping", StringComparison.Ordinal)).Met);
        Assert.Contains("0 x 429", rows.Single(r => r.Figure.StartsWith("pacing", StringComparison.Ordinal)).AgentBatch);
        Assert.Equal(("0.500x", "yes"), rows.Single(r => r.Figure.StartsWith("provider batch lane: cost", StringComparison.Ordinal)) is var cost ? (cost.Ratio, cost.Met) : default);
        var table = harness.ToMarkdown();
        Assert.StartsWith("| figure | AgentBatch | baseline | ratio | goal | met |", table);
        Assert.Equal(rows.Count + 2, table.Trim().Split('\n').Length);
    }
}

/// <summary>The harness loads both cores: it runs alone, so it cannot disturb tests that rely on prompt scheduling.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BenchmarksRunAlone
{
    public const string Name = "Benchmarks";
}
