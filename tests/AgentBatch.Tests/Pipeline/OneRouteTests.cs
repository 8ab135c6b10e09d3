using AgentBatch.Testing;
using AgentBatch.Tests.Budgets;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace AgentBatch.Tests.Pipeline;

/// <summary>Every model call of every item passes one layer, whatever the agent: counts, caps and turns stay true on every route.</summary>
public sealed class OneRouteTests : IDisposable
{
    private readonly MockChatServer _server = MockChatServer.Start(request => MockChatReply.Answer("re: " + request.LastUserText) with { PromptTokens = 100, CompletionTokens = 50 });

    public void Dispose() => _server.Dispose();

    [Fact]
    public void ChatAgent_ClientThatResolvesToolsItself_IsRefusedWithAClearMessage()
    {
        var client = new ChatClientBuilder(_server.CreateChatClient()).UseFunctionInvocation().Build();

        var error = Assert.Throws<ArgumentException>("chatClient", () => new ChatAgent(client));

        Assert.Contains("UseFunctionInvocation", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseAgentBatch_AboveFunctionInvocationOrACache_IsRefusedWhenBuilt()
    {
        var aboveLoop = new ChatClientBuilder(_server.CreateChatClient()).UseAgentBatch().UseFunctionInvocation();
        var aboveCache = new ChatClientBuilder(_server.CreateChatClient()).UseAgentBatch().UseDistributedCache(new DictionaryCache());

        Assert.Contains("UseFunctionInvocation", Assert.Throws<InvalidOperationException>(() => aboveLoop.Build()).Message, StringComparison.Ordinal);
        Assert.Contains("cach", Assert.Throws<InvalidOperationException>(() => aboveCache.Build()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ChatAgent_CachingClientWithoutTheLayerBelowIt_IsRefused()
    {
        var client = new ChatClientBuilder(_server.CreateChatClient()).UseDistributedCache(new DictionaryCache()).Build();

        var error = Assert.Throws<ArgumentException>("chatClient", () => new ChatAgent(client));

        Assert.Contains("UseAgentBatch", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunBatchAsync_ReplyServedFromACache_IsNotAnAttemptAndCostsNothing()
    {
        var client = new ChatClientBuilder(_server.CreateChatClient()).UseDistributedCache(new DictionaryCache()).UseAgentBatch().Build();

        var result = await new BatchRunner().RunBatchAsync(new ChatAgent(client), ["same question", "same question"], s => s, r => r.Text, new BatchOptions { Sequential = true });

        Assert.Equal(1, _server.RequestCount);
        Assert.All(result.Items, i => Assert.Equal("re: same question", i.Output));
        var fresh = result.Items[0];
        Assert.Equal(1, fresh.Attempts);
        Assert.True(fresh.WasSent);
        Assert.Equal(150, fresh.Usage!.TotalTokenCount);
        var cached = result.Items[1];
        Assert.Equal(0, cached.Attempts);
        Assert.False(cached.WasSent);
        Assert.Equal(BatchNotSentReason.AnsweredWithoutRequest, cached.NotSentReason);
        Assert.Null(cached.Usage);
        Assert.Equal(0m, cached.Cost);
        Assert.Equal(150, result.Usage.TotalTokenCount);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task RunBatchAsync_ModelAlwaysWantsTools_MakesExactlyMaxTurnsRequests(int maxTurns)
    {
        _server.Responder = _ => MockChatReply.CallTools(new MockToolCall("ping", "{}"));
        var ping = AIFunctionFactory.Create(() => "pong", "ping");
        var template = new ChatAgent(_server.CreateChatClient(), new ChatAgentOptions { MaxTurns = maxTurns, ChatOptions = new ChatOptions { Tools = [ping] } });

        var result = await new BatchRunner().RunBatchAsync(template, ["go"], s => s, r => r.Text);

        var item = Assert.Single(result.Items);
        Assert.IsType<MaxTurnsExceededException>(item.Error);
        Assert.Equal(maxTurns, item.Attempts);
        Assert.Equal(maxTurns, _server.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_CustomAgentWrappingAChatAgent_IsCappedAndCountedLikeTheChatAgent()
    {
        var inner = new ChatAgent(_server.CreateChatClient(), new ChatAgentOptions { ChatOptions = new ChatOptions { MaxOutputTokens = 50 } });
        var template = new WrappingAgent(inner);

        var result = await new BatchRunner().RunBatchAsync(template, Enumerable.Range(0, 10).Select(i => $"q{i}"), s => s, r => r.Text, new BatchOptions
        {
            MaxConcurrency = 1,
            MaxTotalTokens = 450,
            TokenCounter = new FixedTokenCounter(100),
        });

        Assert.Equal(3, result.SucceededCount);
        Assert.Equal(3, _server.RequestCount);
        Assert.All(result.Items.Take(3), i => Assert.Equal(1, i.Attempts));
        Assert.Equal(BatchStopReason.TokenLimitReached, result.StopReason);
    }

    [Fact]
    public async Task Tools_ReadTheCurrentItem_WithoutAnAsyncLocalOfTheirOwn()
    {
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<int, (int Attempts, bool SameToken)>();
        var record = AIFunctionFactory.Create(
            (string note) =>
            {
                var item = BatchItemContext.Current!;
                seen[item.Index] = (item.Attempts, item.CancellationToken.CanBeCanceled);
                return $"noted for item {item.Index}";
            },
            "record");
        _server.Responder = request => request.ToolResultCount == 0
            ? MockChatReply.CallTools(new MockToolCall("record", """{"note":"x"}"""))
            : MockChatReply.Answer(request.Messages[^1].Content);
        var template = new ChatAgent(_server.CreateChatClient(), new ChatAgentOptions { ChatOptions = new ChatOptions { Tools = [record] } });

        var result = await new BatchRunner().RunBatchAsync(template, Enumerable.Range(0, 12).Select(i => $"q{i}"), s => s, r => r.Text, new BatchOptions { MaxConcurrency = 12 });

        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"\"noted for item {i}\""), result.Outputs);
        Assert.All(seen.Values, v => Assert.Equal((1, true), v));
        Assert.Null(BatchItemContext.Current);
    }

    [Fact]
    public async Task RunBatchAsync_CustomAgentWhoseClientLacksTheLayer_IsReportedOnceUnderCaps()
    {
        var logs = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(logs)));
        var template = new WrappingClientAgent(_server.CreateChatClient());

        var result = await new BatchRunner(loggerFactory).RunBatchAsync(template, ["a", "b", "c"], s => s, r => r.Text, new BatchOptions { MaxTotalTokens = 10_000 });

        Assert.Equal(3, result.SucceededCount);
        Assert.All(result.Items, i => Assert.Equal(0, i.Attempts));
        Assert.Single(logs.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.Contains("UseAgentBatch()", StringComparison.Ordinal));
    }

    private sealed class WrappingAgent(IBatchAgent inner) : IBatchAgent
    {
        public string Name => "wrapper";

        public IBatchAgent Clone(int index) => new WrappingAgent(inner.Clone(index));

        public Task<ChatResponse> RunAsync(IReadOnlyList<ChatMessage> input, CancellationToken cancellationToken = default) =>
            inner.RunAsync("wrapped " + input[^1].Text, cancellationToken);
    }

    private sealed class WrappingClientAgent(IChatClient client) : IBatchAgent
    {
        public string Name => "unwired";

        public IBatchAgent Clone(int index) => this;

        public Task<ChatResponse> RunAsync(IReadOnlyList<ChatMessage> input, CancellationToken cancellationToken = default) =>
            client.GetResponseAsync(input, cancellationToken: cancellationToken);
    }
}
