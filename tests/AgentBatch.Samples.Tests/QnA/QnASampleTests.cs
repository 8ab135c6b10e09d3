using System.Net;
using System.Net.Sockets;
using AgentBatch.Samples.QnA;
using AgentBatch.Testing;

namespace AgentBatch.Samples.Tests.QnA;

public sealed class QnASampleTests
{
    private const string FakeKey = "sk-test-key-that-must-never-be-printed";

    [Fact]
    public async Task Run_NoArguments_AnswersEveryDefaultQuestionCorrectlyWithTotals()
    {
        var run = await RunAsync();

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Endpoint: embedded mock at http://127.0.0.1:", run.Output);
        var rows = run.Output.Split('\n');
        foreach (var known in DefaultQuestions.All)
        {
            // One table row per question: the question, its answer from the JSON reply and the confidence.
            var row = Assert.Single(rows, line => line.Contains(known.Question, StringComparison.Ordinal));
            Assert.Contains(known.Answer, row);
            Assert.Contains($"{known.Confidence * 100:0}%", row);
            Assert.Contains("$0.0000", row);
        }

        Assert.Contains("Answering: 8/8 done, 0 failed", run.Output);
        Assert.Contains("8/8 answered, 0 failed, 0 not run", run.Output);
        Assert.Empty(run.Error);
    }

    [Fact]
    public async Task Run_QuestionsFile_AsksEachQuestionInTheFile()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllLinesAsync(file, ["# geography", "What is the capital of France?", "", "What is the airspeed of an unladen swallow?"]);
        try
        {
            var run = await RunAsync(file);

            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains("Paris is the capital of France.", run.Output);
            Assert.Contains("I cannot answer that reliably", run.Output);
            Assert.Contains("2/2 answered", run.Output);
            Assert.DoesNotContain("Jupiter", run.Output);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Run_RealEndpointFromEnvironment_SendsStructuredOutputRequestsThereWithoutPrintingTheKey()
    {
        // A stand-in for a real OpenAI-compatible server: the sample must talk to it, not start its own mock.
        using var server = MockChatServer.Start(request => MockChatReply.Answer("""{"answer":"Forty-two.","confidence":0.5}"""));

        var run = await RunAsync([], new Dictionary<string, string>
        {
            [SampleEndpoint.ApiKeyVariable] = FakeKey,
            [SampleEndpoint.BaseUrlVariable] = server.Endpoint.ToString(),
            [SampleEndpoint.ModelVariable] = "local-model",
        });

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"Endpoint: {server.Endpoint}", run.Output);
        Assert.DoesNotContain("embedded mock", run.Output);
        Assert.DoesNotContain(FakeKey, run.Output + run.Error);
        Assert.Equal(DefaultQuestions.All.Count, server.RequestCount);
        Assert.All(server.Requests, request =>
        {
            Assert.Equal("local-model", request.Model);
            Assert.Equal("json_schema", request.ResponseFormat);
            Assert.Equal(QnAApp.Instructions, request.SystemText);
        });
        Assert.Contains("8/8 answered", run.Output);
    }

    [Fact]
    public async Task Run_ModelRepliesAreNotTheSchema_FailsThoseItemsWithOneLineReason()
    {
        using var server = MockChatServer.Start(request => MockChatReply.Answer("Paris, I think."));

        var run = await RunAsync([], new Dictionary<string, string>
        {
            [SampleEndpoint.ApiKeyVariable] = FakeKey,
            [SampleEndpoint.BaseUrlVariable] = server.Endpoint.ToString(),
        });

        Assert.Equal(SampleExitCodes.ItemsFailed, run.ExitCode);
        var error = Assert.Single(run.ErrorLines);
        Assert.StartsWith("error: 8 of 8 questions not answered:", error);
        Assert.Contains("0/8 answered, 8 failed", run.Output);
    }

    [Fact]
    public async Task Run_UnreachableEndpoint_FailsAtOnceWithOneLineAndNoKey()
    {
        var run = await RunAsync([], new Dictionary<string, string>
        {
            [SampleEndpoint.ApiKeyVariable] = FakeKey,
            [SampleEndpoint.BaseUrlVariable] = $"http://127.0.0.1:{ClosedPort()}/v1",
        });

        Assert.Equal(SampleExitCodes.Unreachable, run.ExitCode);
        var error = Assert.Single(run.ErrorLines);
        Assert.StartsWith("error: cannot reach http://127.0.0.1:", error);
        Assert.DoesNotContain(FakeKey, run.Output + run.Error);
        Assert.DoesNotContain("Answering", run.Output);
    }

    [Theory]
    [InlineData("--no-such-flag")]
    [InlineData("--max-concurrency", "0")]
    [InlineData("--max-concurrency", "many")]
    [InlineData("/no/such/questions.txt")]
    public async Task Run_BadCommandLine_ExitsWithUsageCodeAndOneLineReason(params string[] args)
    {
        var run = await RunAsync(args);

        Assert.Equal(SampleExitCodes.Usage, run.ExitCode);
        Assert.StartsWith("error: ", Assert.Single(run.ErrorLines));
        Assert.DoesNotContain("Endpoint:", run.Output);
    }

    private static Task<SampleOutput> RunAsync(params string[] args) => RunAsync(args, null);

    private static Task<SampleOutput> RunAsync(string[] args, IReadOnlyDictionary<string, string>? environment) =>
        InProcessSample.RunAsync(QnAApp.RunAsync, [.. args, "--mock-latency", "0"], environment);

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
