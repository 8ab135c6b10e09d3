using Microsoft.Extensions.AI;
using AgentBatch.Testing;

namespace AgentBatch.Tests.Budgets;

/// <summary>An input larger than the model's context fails its own item, clearly, before anything is sent.</summary>
public sealed class ContextWindowTests : IDisposable
{
    private readonly MockChatServer _server = MockChatServer.Start();

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task RunBatchAsync_InputLargerThanTheModelsContext_FailsThatItemWithoutCalling()
    {
        var template = new ChatAgent(_server.CreateChatClient("gpt-4"));
        var huge = string.Join(' ', Enumerable.Range(0, 12_000).Select(i => $"word{i}"));

        var result = await new BatchRunner().RunBatchAsync(template, ["short", huge, "also short"], s => s, r => r.Text);

        var error = Assert.IsType<ContextWindowExceededException>(result.Items[1].Error);
        Assert.Equal(8_192, error.ContextWindow);
        Assert.True(error.InputTokens > 8_192);
        Assert.Contains("context window of model 'gpt-4'", error.Message);
        Assert.Equal(0, result.Items[1].Attempts);
        Assert.Equal(["Echo: short", null, "Echo: also short"], result.Outputs);
        Assert.Equal(2, _server.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_MaxInputTokens_AppliesToModelsWithoutAKnownWindow()
    {
        var template = new ChatAgent(_server.CreateChatClient("house-model"));
        var long400 = string.Join(' ', Enumerable.Repeat("lorem", 80));

        var result = await new BatchRunner().RunBatchAsync(template, ["hi", long400], s => s, r => r.Text, new BatchOptions { MaxInputTokens = 50 });

        Assert.Equal(BatchItemStatus.Succeeded, result.Items[0].Status);
        Assert.IsType<ContextWindowExceededException>(result.Items[1].Error);
        Assert.Equal(1, _server.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_ToolResultLargerThanTheContext_FailsThatItemBeforeTheNextCall()
    {
        // The tool's result is no text content of the request: it must still be counted against the window.
        var page = string.Join(' ', Enumerable.Range(0, 12_000).Select(i => $"word{i}"));
        var fetch = AIFunctionFactory.Create((string url) => url == "big" ? page : "small page", "fetch");
        _server.Responder = request => request.ToolResultCount == 0
            ? MockChatReply.CallTools(new MockToolCall("fetch", $$"""{"url":"{{request.LastUserText}}"}"""))
            : MockChatReply.Answer("read it");
        var template = new ChatAgent(_server.CreateChatClient("gpt-4"), new ChatAgentOptions { ChatOptions = new ChatOptions { Tools = [fetch] } });

        var result = await new BatchRunner().RunBatchAsync(template, ["big", "small"], s => s, r => r.Text);

        var error = Assert.IsType<ContextWindowExceededException>(result.Items[0].Error);
        Assert.Equal(8_192, error.ContextWindow);
        Assert.Equal(1, result.Items[0].Attempts);
        Assert.Equal("read it", result.Outputs[1]);
        Assert.DoesNotContain(_server.Requests, r => r.RawBody.Contains("word11999", StringComparison.Ordinal));
        Assert.Equal(3, _server.RequestCount);
    }

    [Fact]
    public void Validate_MaxInputTokensBelowOne_Throws() =>
        Assert.Equal("MaxInputTokens", Assert.Throws<ArgumentOutOfRangeException>(new BatchOptions { MaxInputTokens = 0 }.Validate).ParamName);
}
