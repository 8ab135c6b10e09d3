namespace AgentBatch.Samples.Tests;

/// <summary>The samples as <c>dotnet run</c> starts them: their own process, the embedded mock, output redirected.</summary>
public sealed class SampleProcessTests
{
    [Fact]
    public async Task QnA_NoArguments_AnswersOnTheEmbeddedMockAndExitsZero()
    {
        var run = await SampleProcess.RunAsync("QnA", "--mock-latency", "0");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Endpoint: embedded mock at", run.Output);
        Assert.Contains("Answering: 8/8 done, 0 failed", run.Output); // plain progress lines: the output is not a terminal
        Assert.Contains("Paris", run.Output);
    }

    [Fact]
    public async Task CodeAnalyzer_Telemetry_PrintsAgentBatchAndGenAiSpansAndMetricsAndWritesReports()
    {
        var output = Directory.CreateTempSubdirectory("analyzer-process-");
        try
        {
            var run = await SampleProcess.RunAsync("CodeAnalyzer", "--telemetry", "--mock-latency", "0", "--output", output.FullName);

            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains("agentbatch.batch", run.Output);
            Assert.Contains("agentbatch.item", run.Output);
            Assert.Contains("gen_ai.client.token.usage", run.Output);
            Assert.Contains("agentbatch.items.completed", run.Output);
            Assert.Contains("agentbatch.item.duration", run.Output);
            Assert.Contains("9/9 files analysed", run.Output);
            Assert.True(File.Exists(Path.Combine(output.FullName, "findings.json")));
            Assert.True(File.Exists(Path.Combine(output.FullName, "findings.csv")));
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task CodeAnalyzer_BadFlag_ExitsNonZeroWithOneLine()
    {
        var run = await SampleProcess.RunAsync("CodeAnalyzer", "--max-concurrency", "-3");

        Assert.Equal(SampleExitCodes.Usage, run.ExitCode);
        Assert.Equal("error: --max-concurrency must be a whole number of at least 1, not '-3' (see --help)", Assert.Single(run.ErrorLines));
    }
}
