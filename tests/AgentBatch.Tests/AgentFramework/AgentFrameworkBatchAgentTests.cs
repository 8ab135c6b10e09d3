using System.Collections.Concurrent;
using AgentBatch.Testing;
using AgentBatch.Tests.Budgets;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace AgentBatch.Tests.AgentFramework;

/// <summary>A Microsoft Agent Framework ChatClientAgent with a tool, over the real OpenAI client and the mock: sessions per item, every round trip under the batch.</summary>
public sealed class AgentFrameworkBatchAgentTests : IDisposable
{
    private readonly MockChatServer _server;

    public AgentFrameworkBatchAgentTests()
    {
        // The model asks for the item's tool once, then answers with what the tool returned.
        _server = MockChatServer.Start(request => request.ToolResultCount == 0
            ? MockChatReply.CallTools(new MockToolCall("lookup", $$"""{"key":"{{request.LastUserText}}"}""")) with { PromptTokens = 60, CompletionTokens = 20 }
            : MockChatReply.Answer("answer: " + request.Messages[^1].Content) with { PromptTokens = 80, CompletionTokens = 20 });
    }

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task RunBatchAsync_ChatClientAgentWithATool_EachItemRunsInItsOwnSessionAndEveryRoundTripIsCounted()
    {
        var template = CreateAgent(routed: true).AsBatchAgent();
        var items = Enumerable.Range(0, 30).Select(i => $"item-{i}").ToList();

        var result = await new BatchRunner().RunBatchAsync(template, items, s => s, r => r.Text, new BatchOptions { MaxConcurrency = 10 });

        Assert.True(template.IsRouted);
        Assert.Equal(items.Select(i => $"answer: \"value of {i}\""), result.Outputs);
        Assert.All(result.Items, i =>
        {
            Assert.Equal(2, i.Attempts);
            Assert.Equal(180, i.Usage!.TotalTokenCount);
        });
        Assert.Equal(60, _server.RequestCount);

        // Isolation, read off the wire: every request carries the instructions and exactly one item's input, and a
        // second-round request carries that same item's tool result, never another's.
        foreach (var request in _server.Requests)
        {
            Assert.Equal("Look the key up, then answer.", request.SystemText);
            var user = Assert.Single(request.Messages, m => m.Role == "user");
            Assert.StartsWith("item-", user.Content, StringComparison.Ordinal);
            Assert.All(request.Messages.Where(m => m.Role == "tool"), tool => Assert.Equal($"\"value of {user.Content}\"", tool.Content));
        }
    }

    [Fact]
    public async Task RunBatchAsync_200ItemsUnderATokenCap_TheCapHoldsOverEveryRoundTrip()
    {
        // Each round trip reserves 100 input + 100 output and really uses 80 or 100: the cap counts both round trips of
        // every item, so a 20,000-token cap stops the batch before all 200 items (36,000 tokens) have run.
        var template = CreateAgent(routed: true, maxOutputTokens: 100).AsBatchAgent();

        var result = await new BatchRunner().RunBatchAsync(template, Enumerable.Range(0, 200).Select(i => $"item-{i}"), s => s, r => r.Text, new BatchOptions
        {
            MaxConcurrency = 16,
            MaxTotalTokens = 20_000,
            TokenCounter = new FixedTokenCounter(100),
        });

        Assert.Equal(200, result.Items.Count);
        Assert.InRange(result.Usage.TotalTokenCount!.Value, 1, 20_000);
        Assert.Equal(BatchStopReason.TokenLimitReached, result.StopReason);
        Assert.InRange(result.SucceededCount, 80, 111);
        Assert.Equal(_server.RequestCount, result.Items.Sum(i => i.Attempts));
        Assert.All(result.Items.Where(i => i.Status == BatchItemStatus.Skipped), i => Assert.Equal(BatchNotSentReason.BudgetExhausted, i.NotSentReason));
    }

    [Fact]
    public async Task RunBatchAsync_UnderARequestsPerMinuteLimit_EveryRoundTripIsPaced()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var sentAt = new ConcurrentQueue<DateTimeOffset>();
        var tenAnswered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var responder = _server.Responder;
        _server.Responder = request =>
        {
            // Read the clock where the request is answered: the server counts a request before its responder runs.
            sentAt.Enqueue(time.GetUtcNow());
            if (sentAt.Count == 10)
            {
                tenAnswered.TrySetResult();
            }

            return responder(request);
        };
        var template = CreateAgent(routed: true).AsBatchAgent();

        var batch = new BatchRunner(null, time).RunBatchAsync(template, Enumerable.Range(0, 8).Select(i => $"item-{i}"), s => s, r => r.Text, new BatchOptions
        {
            RequestsPerMinute = 10,
        });
        await tenAnswered.Task.WaitAsync(Signals<int>.Guard);
        time.Advance(TimeSpan.FromSeconds(61));
        var result = await batch.WaitAsync(Signals<int>.Guard);

        Assert.Equal(8, result.SucceededCount);
        Assert.Equal(16, sentAt.Count);
        Assert.Equal(10, sentAt.Count(t => t == DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public async Task Clone_EachItemGetsItsOwnSession_AndTheTemplateNone()
    {
        var template = CreateAgent(routed: true).AsBatchAgent(new AgentFrameworkBatchAgentOptions { Name = "af" });
        var clones = new ConcurrentBag<AgentFrameworkBatchAgent>();

        await new BatchRunner().RunBatchAsync(
            index =>
            {
                var clone = (AgentFrameworkBatchAgent)template.Clone(index);
                clones.Add(clone);
                return clone;
            },
            Enumerable.Range(0, 12).Select(i => $"item-{i}"),
            s => s,
            r => r.Text);

        Assert.Null(template.Session);
        Assert.Equal(12, clones.Select(c => c.Session).Distinct().Count());
        Assert.All(clones, c => Assert.NotNull(c.Session));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"af-{i}").Order(), clones.Select(c => c.Name).Order());
    }

    [Fact]
    public async Task RunBatchAsync_PerItemRunOptions_ReachEachItemsRequests()
    {
        var template = CreateAgent(routed: true).AsBatchAgent(new AgentFrameworkBatchAgentOptions
        {
            RunOptions = index => new ChatClientAgentRunOptions(new ChatOptions { MaxOutputTokens = 100 + index }),
        });

        await new BatchRunner().RunBatchAsync(template, Enumerable.Range(0, 5).Select(i => $"item-{i}"), s => s, r => r.Text);

        foreach (var request in _server.Requests)
        {
            var index = int.Parse(request.Messages.Single(m => m.Role == "user").Content["item-".Length..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(100 + index, request.MaxTokens);
        }
    }

    [Fact]
    public async Task RunBatchAsync_MaxTurns_BoundsTheAgentsToolLoop()
    {
        _server.Responder = _ => MockChatReply.CallTools(new MockToolCall("lookup", """{"key":"again"}"""));
        var template = CreateAgent(routed: true).AsBatchAgent(new AgentFrameworkBatchAgentOptions { MaxTurns = 3 });

        var result = await new BatchRunner().RunBatchAsync(template, ["loop"], s => s, r => r.Text);

        Assert.IsType<MaxTurnsExceededException>(result.Items[0].Error);
        Assert.Equal(3, _server.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_AgentWhoseCallsTheBatchCannotSee_CountsTheUsageItsReplyReports()
    {
        var logs = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(logs)));
        var template = CreateAgent(routed: false).AsBatchAgent();

        var result = await new BatchRunner(loggerFactory).RunBatchAsync(template, ["item-0", "item-1"], s => s, r => r.Text, new BatchOptions { MaxTotalTokens = 100_000 });

        Assert.False(template.IsRouted);
        Assert.All(result.Items, i =>
        {
            Assert.True(i.IsSuccess);
            Assert.Equal(0, i.Attempts);
            Assert.Equal(180, i.Usage!.TotalTokenCount);
        });
        Assert.Equal(360, result.Usage.TotalTokenCount);
        Assert.Contains(logs.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.Contains("UseAgentBatch()", StringComparison.Ordinal));
    }

    private ChatClientAgent CreateAgent(bool routed, int? maxOutputTokens = null)
    {
        var lookup = AIFunctionFactory.Create((string key) => $"value of {key}", "lookup", "Looks a key up.");
        var client = routed ? new ChatClientBuilder(_server.CreateChatClient()).UseAgentBatch().Build() : _server.CreateChatClient();
        return new ChatClientAgent(client, new ChatClientAgentOptions
        {
            Name = "lookup-agent",
            ChatOptions = new ChatOptions { Instructions = "Look the key up, then answer.", Tools = [lookup], MaxOutputTokens = maxOutputTokens },
        });
    }
}
