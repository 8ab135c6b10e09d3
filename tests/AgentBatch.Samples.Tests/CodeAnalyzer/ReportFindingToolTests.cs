using System.Collections.Concurrent;
using AgentBatch.Samples.CodeAnalyzer;
using Microsoft.Extensions.AI;

namespace AgentBatch.Samples.Tests.CodeAnalyzer;

public sealed class ReportFindingToolTests
{
    [Fact]
    public async Task RunBatch_AllClonesInFlightAtOnce_EachFileGetsOnlyItsOwnFindings()
    {
        const int FileCount = 12;
        var files = Enumerable.Range(0, FileCount).Select(i => new SourceFile($"file{i}.c", "int a;\nint b;\nint c;\n")).ToArray();
        var model = new BarrierModel(FileCount);
        var collectors = files.Select(file => new FindingCollector(file)).ToArray();
        var analyzer = new ChatAgent(model, new ChatAgentOptions
        {
            Instructions = AnalyzerPrompt.Instructions,
            ChatOptions = new ChatOptions { Tools = [ReportFindingTool.Create(index => collectors[index])] },
        });

        var result = await new BatchRunner().RunBatchAsync(
            analyzer,
            files,
            file => AnalyzerPrompt.Input(file),
            reply => reply.Text,
            new BatchOptions { MaxConcurrency = FileCount });

        Assert.Equal(FileCount, result.SucceededCount);
        for (var i = 0; i < FileCount; i++)
        {
            // Exactly the two findings the model reported while reviewing this file, none of the other clones'.
            Assert.Equal(
                [(files[i].Path, 1, $"first flaw in {files[i].Path}"), (files[i].Path, 2, $"second flaw in {files[i].Path}")],
                collectors[i].Findings.Select(f => (f.File, f.Line, f.Description)));
        }

        // Each clone also tried to report a finding for another file: refused, and told so.
        Assert.Equal(FileCount, model.ToolResults.Count(r => r.StartsWith("Not recorded: this review is of", StringComparison.Ordinal)));
        Assert.Equal(FileCount * 2, model.ToolResults.Count(r => r.StartsWith("Recorded finding", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Tool_CalledOutsideABatch_Throws()
    {
        var tool = ReportFindingTool.Create(_ => throw new InvalidOperationException("no item"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await tool.InvokeAsync(new AIFunctionArguments { ["file"] = "x.c", ["line"] = 1, ["severity"] = "high", ["description"] = "d" }));
        Assert.Contains("outside a batch", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A model that holds every clone's first call until all of them are in flight, then has each report two findings for
    /// its own file and one for its neighbour's: the shared tool runs only while every clone is mid-run.
    /// </summary>
    private sealed class BarrierModel(int clones) : IChatClient
    {
        private readonly TaskCompletionSource _allInFlight = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _arrived;

        public ConcurrentBag<string> ToolResults { get; } = [];

        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var history = messages.ToList();
            Assert.True(AnalyzerPrompt.TryParse(history.Last(m => m.Role == ChatRole.User).Text, out var file, out _));
            var results = history.SelectMany(m => m.Contents).OfType<FunctionResultContent>().ToArray();
            if (results.Length > 0)
            {
                foreach (var result in results)
                {
                    ToolResults.Add(result.Result?.ToString() ?? string.Empty);
                }

                return new ChatResponse(new ChatMessage(ChatRole.Assistant, $"Reviewed {file}."));
            }

            if (Interlocked.Increment(ref _arrived) == clones)
            {
                _allInFlight.SetResult();
            }

            // A guard so a broken engine fails the test instead of hanging it; not a timing assertion.
            await _allInFlight.Task.WaitAsync(TimeSpan.FromMinutes(1), cancellationToken);

            var neighbour = file == "file0.c" ? "file1.c" : "file0.c";
            return new ChatResponse(new ChatMessage(ChatRole.Assistant,
            [
                Call(file, 1, $"first flaw in {file}"),
                Call(neighbour, 3, $"misattributed by the {file} review"),
                Call(file, 2, $"second flaw in {file}"),
            ]));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }

        private static FunctionCallContent Call(string file, int line, string description) => new(
            Guid.NewGuid().ToString("N"),
            ReportFindingTool.Name,
            new Dictionary<string, object?> { ["file"] = file, ["line"] = line, ["severity"] = "high", ["description"] = description });
    }
}
