using AgentBatch.Testing;
using Microsoft.Extensions.AI;

namespace AgentBatch.Tests.Budgets;

/// <summary>Token and cost caps over the wire: enforced before calls, per batch, exact at any concurrency.</summary>
public sealed class BudgetCapTests : IDisposable
{
    // Each call is estimated at 150 input + 50 maximum output = 200 tokens and really uses 150 + 40 = 190.
    private const int InputTokens = 150;
    private const int MaxOutput = 50;
    private const int ReportedOutput = 40;
    private const int RealTokensPerItem = InputTokens + ReportedOutput;

    private readonly MockChatServer _server = MockChatServer.Start(_ => MockChatReply.Answer("ok") with { PromptTokens = InputTokens, CompletionTokens = ReportedOutput });

    public void Dispose() => _server.Dispose();

    [Theory]
    [InlineData(16)]
    [InlineData(64)]
    public async Task MaxTotalTokens_AtHighConcurrency_IsNeverExceededAndStopsTheBatch(int concurrency)
    {
        const long Cap = (RealTokensPerItem * 37) + 100;
        var items = Enumerable.Range(0, 120).Select(i => $"item {i}").ToList();

        var result = await new BatchRunner().RunBatchAsync(CreateTemplate(), items, s => s, r => r.Text, new BatchOptions
        {
            MaxConcurrency = concurrency,
            MaxTotalTokens = Cap,
            TokenCounter = new FixedTokenCounter(InputTokens),
        });

        Assert.InRange(result.Usage.TotalTokenCount!.Value, 0, Cap);
        Assert.Equal(BatchStopReason.TokenLimitReached, result.StopReason);
        Assert.Equal(items.Count, result.Items.Count);
        Assert.Equal(items.Count, result.SucceededCount + result.SkippedCount);

        // Budget is not wasted: the cap pays for 37 items at their real usage; at least 70% of those complete.
        Assert.InRange(result.SucceededCount, (int)(37 * 0.7), 37);
        Assert.Equal(result.SucceededCount, _server.RequestCount);
        Assert.All(result.Items.Where(i => i.Status == BatchItemStatus.Skipped), i =>
        {
            var error = Assert.IsType<BudgetExceededException>(i.Error);
            Assert.Equal(BudgetLimit.Tokens, error.Limit);
            Assert.Equal(0, i.Attempts);
        });
    }

    [Fact]
    public async Task MaxTotalTokens_IsPerBatch_NotPerProcess()
    {
        var runner = new BatchRunner();
        var options = new BatchOptions { MaxTotalTokens = (RealTokensPerItem * 3) + 10, TokenCounter = new FixedTokenCounter(InputTokens) };

        var first = await runner.RunBatchAsync(CreateTemplate(), ["a", "b", "c", "d"], s => s, r => r.Text, options);
        var second = await runner.RunBatchAsync(CreateTemplate(), ["a", "b", "c", "d"], s => s, r => r.Text, options);

        Assert.Equal(first.SucceededCount, second.SucceededCount);
        Assert.Equal(3, second.SucceededCount);
    }

    [Fact]
    public async Task MaxCost_WithExplicitPricing_IsNeverExceededAndCostsComeFromReportedUsage()
    {
        // 150 input at 1,000/M + 40 output at 2,000/M = 0.15 + 0.08 = 0.23 per item.
        var pricing = new ModelPricing(1000m, 2000m);

        var result = await new BatchRunner().RunBatchAsync(CreateTemplate(), Enumerable.Range(0, 60).Select(i => $"q{i}"), s => s, r => r.Text, new BatchOptions
        {
            MaxConcurrency = 32,
            MaxCost = 5m,
            Pricing = pricing,
            TokenCounter = new FixedTokenCounter(InputTokens),
            DefaultMaxOutputTokens = MaxOutput,
        });

        Assert.Equal(BatchStopReason.CostLimitReached, result.StopReason);
        Assert.InRange(result.Cost!.Value, 0m, 5m);
        Assert.InRange(result.SucceededCount, 15, 21);
        Assert.All(result.Items.Where(i => i.IsSuccess), i => Assert.Equal(0.23m, i.Cost));
        Assert.Equal(result.Items.Sum(i => i.Cost), result.Cost);
        Assert.All(result.Items.Where(i => i.Status == BatchItemStatus.Skipped), i => Assert.Equal(BudgetLimit.Cost, Assert.IsType<BudgetExceededException>(i.Error).Limit));
    }

    [Fact]
    public async Task Cost_WithoutExplicitPricing_UsesTheBuiltInTableForTheModel()
    {
        _server.Responder = _ => MockChatReply.Answer("ok") with { PromptTokens = 1000, CompletionTokens = 500 };
        var template = new ChatAgent(_server.CreateChatClient("gpt-4o-mini"));

        var result = await new BatchRunner().RunBatchAsync(template, ["a", "b"], s => s, r => r.Text);

        // gpt-4o-mini: 0.15 per million input, 0.60 per million output.
        Assert.All(result.Items, i => Assert.Equal(0.00045m, i.Cost));
        Assert.Equal(0.0009m, result.Cost);
    }

    [Fact]
    public async Task MaxCost_WithoutPricingForTheModel_FailsClearlyWithoutCalling()
    {
        var template = new ChatAgent(_server.CreateChatClient("house-model-7b"));

        var result = await new BatchRunner().RunBatchAsync(template, ["a", "b"], s => s, r => r.Text, new BatchOptions { MaxCost = 1m });

        Assert.All(result.Items, i =>
        {
            Assert.Equal(BatchItemStatus.Failed, i.Status);
            Assert.Contains("house-model-7b", i.Error!.Message);
            Assert.Contains("BatchOptions.Pricing", i.Error.Message);
        });
        Assert.Equal(0, _server.RequestCount);
    }

    [Fact]
    public async Task MaxTotalTokens_ExhaustedMidToolLoop_FailsTheItemAndCountsWhatItSpent()
    {
        var tool = AIFunctionFactory.Create(() => "data", "fetch");
        _server.Responder = request => request.ToolResultCount == 0
            ? MockChatReply.CallTools(new MockToolCall("fetch", "{}")) with { PromptTokens = 150, CompletionTokens = 40 }
            : MockChatReply.Answer("done") with { PromptTokens = 150, CompletionTokens = 40 };
        var template = new ChatAgent(_server.CreateChatClient(), new ChatAgentOptions { ChatOptions = new ChatOptions { Tools = [tool], MaxOutputTokens = MaxOutput } });

        // Room for the first call (200 estimated, 190 spent) but not the second (200 more).
        var result = await new BatchRunner().RunBatchAsync(template, ["only"], s => s, r => r.Text, new BatchOptions
        {
            MaxTotalTokens = 300,
            TokenCounter = new FixedTokenCounter(InputTokens),
        });

        var item = Assert.Single(result.Items);
        Assert.Equal(BatchItemStatus.Failed, item.Status);
        Assert.IsType<BudgetExceededException>(item.Error);
        Assert.Equal(1, item.Attempts);
        Assert.Equal(190, item.Usage!.TotalTokenCount);
        Assert.Equal(190, result.Usage.TotalTokenCount);
        Assert.Equal(BatchStopReason.TokenLimitReached, result.StopReason);
        Assert.Equal(1, _server.RequestCount);
    }

    [Fact]
    public async Task MaxTotalTokens_EveryCallLargerThanTheWholeCap_EachFailsAloneWithoutCalling()
    {
        var result = await new BatchRunner().RunBatchAsync(CreateTemplate(), ["a", "b", "c"], s => s, r => r.Text, new BatchOptions
        {
            MaxTotalTokens = 100,
            TokenCounter = new FixedTokenCounter(InputTokens),
        });

        Assert.All(result.Items, i => Assert.Equal(BatchItemStatus.Failed, i.Status));
        Assert.All(result.Items, i => Assert.True(Assert.IsType<BudgetExceededException>(i.Error).ExceedsCap));
        Assert.Equal(0, _server.RequestCount);
        Assert.Contains("more than the batch's whole token cap of 100; it can never be made", result.Items[0].Error!.Message);
    }

    [Fact]
    public async Task MaxTotalTokens_OneItemLargerThanTheWholeCap_FailsAlone_TheOthersRun()
    {
        var items = new[] { "small one", new string('x', 2_000), "small two" };

        var result = await new BatchRunner().RunBatchAsync(CreateTemplate(), items, s => s, r => r.Text, new BatchOptions
        {
            MaxConcurrency = 1,
            MaxTotalTokens = 600,
            TokenCounter = new LengthTokenCounter(),
        });

        Assert.Equal([BatchItemStatus.Succeeded, BatchItemStatus.Failed, BatchItemStatus.Succeeded], result.Items.Select(i => i.Status));
        Assert.True(Assert.IsType<BudgetExceededException>(result.Items[1].Error).ExceedsCap);
        Assert.Equal(BatchStopReason.Completed, result.StopReason);
        Assert.Equal(2, _server.RequestCount);
        Assert.DoesNotContain(_server.Requests, r => r.LastUserText.Length > 100);
    }

    [Fact]
    public void Validate_InvalidCaps_Throws()
    {
        Assert.Equal("MaxTotalTokens", Assert.Throws<ArgumentOutOfRangeException>(new BatchOptions { MaxTotalTokens = 0 }.Validate).ParamName);
        Assert.Equal("MaxCost", Assert.Throws<ArgumentOutOfRangeException>(new BatchOptions { MaxCost = -1m }.Validate).ParamName);
        Assert.Equal("TokensPerMinute", Assert.Throws<ArgumentOutOfRangeException>(new BatchOptions { TokensPerMinute = 0 }.Validate).ParamName);
        Assert.Equal("RequestsPerMinute", Assert.Throws<ArgumentOutOfRangeException>(new BatchOptions { RequestsPerMinute = -3 }.Validate).ParamName);
        Assert.Equal("DefaultMaxOutputTokens", Assert.Throws<ArgumentOutOfRangeException>(new BatchOptions { DefaultMaxOutputTokens = 0 }.Validate).ParamName);
        Assert.Equal("InputPerMillionTokens", Assert.Throws<ArgumentOutOfRangeException>(() => new ModelPricing(-1m, 1m)).ParamName);
    }

    private ChatAgent CreateTemplate() =>
        new(_server.CreateChatClient(), new ChatAgentOptions { ChatOptions = new ChatOptions { MaxOutputTokens = MaxOutput } });

    /// <summary>Counts a request's input as the length of its messages' text, so one long item is estimated large.</summary>
    private sealed class LengthTokenCounter : ITokenCounter
    {
        public int CountTokens(string text, string? modelId = null) => text.Length;

        public int CountInputTokens(IEnumerable<ChatMessage> messages, ChatOptions? options = null) => messages.Sum(m => m.Text.Length);
    }
}
