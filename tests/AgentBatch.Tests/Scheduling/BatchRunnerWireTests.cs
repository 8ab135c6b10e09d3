using AgentBatch.Testing;
using Microsoft.Extensions.AI;

namespace AgentBatch.Tests.Scheduling;

/// <summary>The runner end to end: the real OpenAI client against a server speaking the chat-completions wire format.</summary>
public sealed class BatchRunnerWireTests : IDisposable
{
    private readonly MockChatServer _server = MockChatServer.Start();
    private readonly BatchRunner _runner = new();

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task RunBatchAsync_RandomLatencies_ReturnsResultsInInputOrder()
    {
        _server.Responder = request =>
        {
            // Later items answer sooner, so completion order is roughly the reverse of input order.
            var n = int.Parse(request.LastUserText.Split(' ')[1]);
            return MockChatReply.Answer("answer to " + request.LastUserText) with { Delay = TimeSpan.FromMilliseconds((40 - n) * 3 + Random.Shared.Next(0, 20)) };
        };
        var items = Enumerable.Range(0, 40).Select(i => $"question {i}").ToList();

        var result = await _runner.RunBatchAsync(CreateTemplate(), items, q => q, r => r.Text, new BatchOptions { MaxConcurrency = 8 });

        Assert.Equal(BatchStopReason.Completed, result.StopReason);
        Assert.Equal(items.Count, result.Items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            Assert.Equal(i, result.Items[i].Index);
            Assert.Equal(BatchItemStatus.Succeeded, result.Items[i].Status);
            Assert.Equal($"answer to question {i}", result.Outputs[i]);
        }
    }

    [Fact]
    public async Task RunBatchAsync_EachRequestCarriesOnlyItsOwnItem()
    {
        var options = new ChatAgentOptions { Instructions = "You are terse." };
        options.InitialMessages.Add(new ChatMessage(ChatRole.User, "example question"));
        options.InitialMessages.Add(new ChatMessage(ChatRole.Assistant, "example answer"));
        var template = new ChatAgent(_server.CreateChatClient(), options);
        var items = Enumerable.Range(0, 25).Select(i => $"item-{i:D2}").ToList();

        var result = await _runner.RunBatchAsync(template, items, s => s, r => r.Text, new BatchOptions { MaxConcurrency = 10 });

        Assert.Equal(25, result.SucceededCount);
        var requests = _server.Requests;
        Assert.Equal(25, requests.Count);
        foreach (var request in requests)
        {
            Assert.Equal(["system", "user", "assistant", "user"], request.Messages.Select(m => m.Role));
            Assert.Equal("You are terse.", request.SystemText);
            Assert.Equal("example question", request.Messages[1].Content);
            Assert.Equal("example answer", request.Messages[2].Content);
            var own = request.LastUserText;
            Assert.All(items.Where(i => i != own), other => Assert.DoesNotContain(other, request.RawBody));
        }

        Assert.Equal(items.Order(), requests.Select(r => r.LastUserText).Order());
    }

    [Fact]
    public async Task RunBatchAsync_LeavesTemplateUntouched()
    {
        var options = new ChatAgentOptions { Name = "tmpl", Instructions = "sys", ChatOptions = new ChatOptions { Temperature = 0.5f } };
        options.InitialMessages.Add(new ChatMessage(ChatRole.User, "few-shot"));
        var template = new ChatAgent(_server.CreateChatClient(), options);
        var historyBefore = template.History.Select(m => (m.Role, m.Text)).ToList();

        var result = await _runner.RunBatchAsync(template, ["a", "b", "c"], s => s, r => r.Text);

        Assert.Equal(3, result.SucceededCount);
        Assert.Equal(historyBefore, template.History.Select(m => (m.Role, m.Text)).ToList());
        Assert.Equal("tmpl", template.Name);
        Assert.Equal(0.5f, template.Options.ChatOptions!.Temperature);
    }

    [Fact]
    public async Task RunBatchAsync_ReportsUsageAndAttemptsPerItemAndInTotal()
    {
        _server.Responder = request => MockChatReply.Answer("ok") with { PromptTokens = 100 + request.LastUserText.Length, CompletionTokens = 7 };

        var result = await _runner.RunBatchAsync(CreateTemplate(), ["a", "bb", "ccc"], s => s, r => r.Text);

        Assert.Equal([101L, 102L, 103L], result.Items.Select(i => i.Usage!.InputTokenCount!.Value));
        Assert.All(result.Items, i => Assert.Equal(7, i.Usage!.OutputTokenCount));
        Assert.All(result.Items, i => Assert.Equal(1, i.Attempts));
        Assert.Equal(306, result.Usage.InputTokenCount);
        Assert.Equal(21, result.Usage.OutputTokenCount);
        Assert.Equal(327, result.Usage.TotalTokenCount);
    }

    [Fact]
    public async Task RunBatchAsync_CollectMode_FailedItemsCarryTheServerErrorAndOthersSucceed()
    {
        _server.Responder = request => request.LastUserText.StartsWith("bad", StringComparison.Ordinal)
            ? MockChatReply.Error(400, "this input is not allowed")
            : MockChatReply.Answer("fine");
        string[] items = ["good-0", "bad-1", "good-2", "bad-3", "good-4"];

        var result = await _runner.RunBatchAsync(CreateTemplate(), items, s => s, r => r.Text);

        Assert.Equal(BatchStopReason.Completed, result.StopReason);
        Assert.Equal([BatchItemStatus.Succeeded, BatchItemStatus.Failed, BatchItemStatus.Succeeded, BatchItemStatus.Failed, BatchItemStatus.Succeeded], result.Items.Select(i => i.Status));
        Assert.Contains("this input is not allowed", result.Items[1].Error!.Message);
        Assert.Equal(["fine", null, "fine", null, "fine"], result.Outputs);
        Assert.Equal(3, result.SucceededCount);
        Assert.Equal(2, result.FailedCount);
    }

    [Fact]
    public async Task RunBatchAsync_EmptyItems_ReturnsEmptyResultWithoutCalls()
    {
        var result = await _runner.RunBatchAsync(CreateTemplate(), Array.Empty<string>(), s => s, r => r.Text);

        Assert.Empty(result.Items);
        Assert.Empty(result.Outputs);
        Assert.Equal(BatchStopReason.Completed, result.StopReason);
        Assert.Equal(0, _server.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_ToolLoop_ResolvesToolsAndCountsEveryCall()
    {
        var lookups = 0;
        var lookup = AIFunctionFactory.Create((string city) => { Interlocked.Increment(ref lookups); return $"{city}: 21C"; }, "get_weather");
        _server.Responder = request => request.ToolResultCount == 0
            ? MockChatReply.CallTools(new MockToolCall("get_weather", $$"""{"city":"{{request.LastUserText}}"}""")) with { PromptTokens = 50, CompletionTokens = 10 }
            : MockChatReply.Answer("Weather: " + request.Messages.Last(m => m.Role == "tool").Content) with { PromptTokens = 70, CompletionTokens = 5 };
        var template = new ChatAgent(_server.CreateChatClient(), new ChatAgentOptions { ChatOptions = new ChatOptions { Tools = [lookup] } });

        var result = await _runner.RunBatchAsync(template, ["Oslo", "Lima"], s => s, r => r.Text);

        Assert.Contains("Oslo: 21C", result.Outputs[0]);
        Assert.Contains("Lima: 21C", result.Outputs[1]);
        Assert.Equal(2, lookups);
        Assert.All(result.Items, i => Assert.Equal(2, i.Attempts));
        Assert.All(result.Items, i => Assert.Equal(120, i.Usage!.InputTokenCount));
        Assert.All(result.Items, i => Assert.Equal(15, i.Usage!.OutputTokenCount));
        Assert.Equal(4, _server.RequestCount);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task RunBatchAsync_EndlessToolLoop_StopsAtMaxTurnsAndFailsTheItem(int maxTurns)
    {
        var calls = 0;
        var tool = AIFunctionFactory.Create(() => { Interlocked.Increment(ref calls); return "again"; }, "step");
        _server.Responder = request => request.LastUserText == "loop"
            ? MockChatReply.CallTools(new MockToolCall("step", "{}"))
            : MockChatReply.Answer("done");
        var template = new ChatAgent(_server.CreateChatClient(), new ChatAgentOptions { MaxTurns = maxTurns, ChatOptions = new ChatOptions { Tools = [tool] } });

        var result = await _runner.RunBatchAsync(template, ["loop", "plain"], s => s, r => r.Text);

        var looping = result.Items[0];
        Assert.Equal(BatchItemStatus.Failed, looping.Status);
        var error = Assert.IsType<MaxTurnsExceededException>(looping.Error);
        Assert.Equal(maxTurns, error.MaxTurns);
        Assert.Equal(maxTurns, _server.Requests.Count(r => r.Messages.Any(m => m.Content == "loop")));
        Assert.Equal(maxTurns, looping.Attempts);
        Assert.Equal(BatchItemStatus.Succeeded, result.Items[1].Status);
        Assert.Equal("done", result.Outputs[1]);
    }

    [Fact]
    public async Task RunBatchAsync_MapExceptions_FailOnlyTheirItem()
    {
        string[] items = ["ok", "input-throws", "output-throws", "ok2"];

        var result = await _runner.RunBatchAsync(
            CreateTemplate(),
            items,
            s => s == "input-throws" ? throw new FormatException("cannot map input") : s,
            r => r.Text.Contains("output-throws", StringComparison.Ordinal) ? throw new InvalidDataException("cannot map output") : r.Text);

        Assert.Equal(BatchItemStatus.Succeeded, result.Items[0].Status);
        Assert.IsType<FormatException>(result.Items[1].Error);
        Assert.IsType<InvalidDataException>(result.Items[2].Error);
        Assert.Equal(BatchItemStatus.Succeeded, result.Items[3].Status);
        Assert.Equal(3, _server.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_NullOrEmptyInput_FailsThatItemWithAClearError()
    {
        string?[] items = ["a", null, "", "  ", "b"];

        var result = await _runner.RunBatchAsync(CreateTemplate(), items, s => s!, r => r.Text);

        Assert.Equal(BatchItemStatus.Succeeded, result.Items[0].Status);
        Assert.Contains("is null", result.Items[1].Error!.Message);
        Assert.Contains("empty", result.Items[2].Error!.Message);
        Assert.Contains("empty", result.Items[3].Error!.Message);
        Assert.Equal(BatchItemStatus.Succeeded, result.Items[4].Status);
        Assert.Equal(2, _server.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_ThrowMode_ThrowsBatchItemExceptionForTheFailure()
    {
        _server.Responder = request => request.LastUserText == "bad" ? MockChatReply.Error(400, "refused") : MockChatReply.Answer("ok");

        var ex = await Assert.ThrowsAsync<BatchItemException>(() => _runner.RunBatchAsync(
            CreateTemplate(), ["bad"], s => s, r => r.Text, new BatchOptions { ErrorHandling = BatchErrorHandling.Throw }));

        Assert.Equal(0, ex.Index);
        Assert.Contains("refused", ex.InnerException!.Message);
    }

    private ChatAgent CreateTemplate() => new(_server.CreateChatClient());
}
