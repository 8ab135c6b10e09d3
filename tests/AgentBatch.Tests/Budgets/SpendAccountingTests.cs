using AgentBatch.Testing;
using Microsoft.Extensions.AI;

namespace AgentBatch.Tests.Budgets;

/// <summary>What a cap lets through, and what counts as spent: in input order, on the safe side, never raised by a server's report.</summary>
public sealed class SpendAccountingTests : IDisposable
{
    private readonly MockChatServer _server = MockChatServer.Start(_ => MockChatReply.Answer("ok") with { PromptTokens = 100, CompletionTokens = 50 });

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task MaxTotalTokens_NearTheCap_AdmitsItemsInInputOrder()
    {
        // Each call reserves 100 + 100 = 200 and really uses 150. Twenty items start at once against 1,000 tokens: the
        // first five get in, the rest wait; as the five settle, the room they free goes to the earliest waiter first.
        var template = new ChatAgent(_server.CreateChatClient(), new ChatAgentOptions { ChatOptions = new ChatOptions { MaxOutputTokens = 100 } });
        var items = Enumerable.Range(0, 20).Select(i => $"item {i}").ToList();

        var result = await new BatchRunner().RunBatchAsync(template, items, s => s, r => r.Text, new BatchOptions
        {
            MaxConcurrency = 20,
            MaxTotalTokens = 1000,
            TokenCounter = new FixedTokenCounter(100),
        });

        var pattern = string.Concat(result.Items.Select(i => i.IsSuccess ? '+' : '-'));
        Assert.Equal("++++++--------------", pattern);
        Assert.InRange(result.Usage.TotalTokenCount!.Value, 0, 1000);
    }

    [Fact]
    public async Task MaxTotalTokens_RequestsThatMayHaveBeenBilled_AreChargedTheirReservation()
    {
        // A dropped connection gives no usage, but the provider may have run (and billed) the request: each one is
        // charged its 200-token reservation, so a 600-token cap lets exactly three through, not all ten.
        _server.Responder = _ => MockChatReply.Faulted(MockFault.DropAfterFirstChunk) with { Text = "never whole" };
        var template = new ChatAgent(_server.CreateChatClient(), new ChatAgentOptions { ChatOptions = new ChatOptions { MaxOutputTokens = 100 } });

        var result = await new BatchRunner().RunBatchAsync(template, Enumerable.Range(0, 10).Select(i => $"q{i}"), s => s, r => r.Text, new BatchOptions
        {
            MaxConcurrency = 1,
            MaxAttempts = 1,
            MaxTotalTokens = 600,
            TokenCounter = new FixedTokenCounter(100),
        });

        Assert.Equal(3, _server.RequestCount);
        Assert.Equal(3, result.FailedCount);
        Assert.Equal(7, result.SkippedCount);
        Assert.Equal(BatchStopReason.TokenLimitReached, result.StopReason);
    }

    [Fact]
    public async Task MaxTotalTokens_ErrorStatuses_AreNotCharged()
    {
        // A 400 is the provider saying it ran nothing: such failures spend none of the cap.
        var calls = 0;
        _server.Responder = _ => Interlocked.Increment(ref calls) <= 5 ? MockChatReply.Error(400, "bad") : MockChatReply.Answer("ok") with { PromptTokens = 100, CompletionTokens = 100 };
        var template = new ChatAgent(_server.CreateChatClient(), new ChatAgentOptions { ChatOptions = new ChatOptions { MaxOutputTokens = 100 } });

        var result = await new BatchRunner().RunBatchAsync(template, Enumerable.Range(0, 8).Select(i => $"q{i}"), s => s, r => r.Text, new BatchOptions
        {
            MaxConcurrency = 1,
            MaxTotalTokens = 600,
            TokenCounter = new FixedTokenCounter(100),
        });

        Assert.Equal(5, result.FailedCount);
        Assert.Equal(3, result.SucceededCount);
    }

    [Fact]
    public async Task MaxTotalTokens_NegativeReportedUsage_NeverRaisesWhatIsLeft()
    {
        _server.Responder = _ => MockChatReply.Answer("ok") with { PromptTokens = -100_000, CompletionTokens = 10 };
        var template = new ChatAgent(_server.CreateChatClient(), new ChatAgentOptions { ChatOptions = new ChatOptions { MaxOutputTokens = 100 } });

        var result = await new BatchRunner().RunBatchAsync(template, Enumerable.Range(0, 10).Select(i => $"q{i}"), s => s, r => r.Text, new BatchOptions
        {
            MaxConcurrency = 1,
            MaxTotalTokens = 600,
            TokenCounter = new FixedTokenCounter(100),
        });

        // A report that had to be corrected is charged at least the reservation: three calls, not ten.
        Assert.Equal(3, _server.RequestCount);
        Assert.All(result.Items.Where(i => i.IsSuccess), i =>
        {
            Assert.Equal(0, i.Usage!.InputTokenCount);
            Assert.True(i.Usage.TotalTokenCount >= i.Usage.InputTokenCount + i.Usage.OutputTokenCount);
        });
    }

    [Fact]
    public async Task MaxTotalTokens_WhenOnlyALowerOutputLimitFits_SendsTheCallWithThatLimit()
    {
        // The first call (100 + 1,000 reserved) uses 700 of 1,500. The second's full reservation does not fit the 800
        // left, and nothing in flight could free more: it is sent with its output limited to the 700 that fit, so it
        // cannot bill more. The third finds 100 left, less than its input plus the smallest output limit: refused.
        _server.Responder = _ => MockChatReply.Answer("short answer") with { PromptTokens = 100, CompletionTokens = 600 };
        var template = new ChatAgent(_server.CreateChatClient(), new ChatAgentOptions { ChatOptions = new ChatOptions { MaxOutputTokens = 1000 } });

        var result = await new BatchRunner().RunBatchAsync(template, ["first", "second", "third"], s => s, r => r.Text, new BatchOptions
        {
            MaxConcurrency = 1,
            MaxTotalTokens = 1500,
            TokenCounter = new FixedTokenCounter(100),
        });

        Assert.Equal(1000, _server.Requests[0].MaxTokens);
        Assert.Equal(700, _server.Requests[1].MaxTokens);
        Assert.True(result.Items[1].IsSuccess);
        Assert.Equal(BatchItemStatus.Skipped, result.Items[2].Status);
        Assert.Equal(2, _server.RequestCount);
        Assert.Equal(1400, result.Usage.TotalTokenCount);
    }

    [Fact]
    public async Task MaxTotalTokens_CallLargerThanTheCapAtItsFullOutputLimit_RunsWithTheLimitLowered()
    {
        // 100 + 1,000 can never fit 500; 100 + 400 can: the call is made, with its output limited to 400.
        var template = new ChatAgent(_server.CreateChatClient(), new ChatAgentOptions { ChatOptions = new ChatOptions { MaxOutputTokens = 1000 } });

        var result = await new BatchRunner().RunBatchAsync(template, ["q"], s => s, r => r.Text, new BatchOptions
        {
            MaxTotalTokens = 500,
            TokenCounter = new FixedTokenCounter(100),
        });

        Assert.True(result.Items[0].IsSuccess);
        Assert.Equal(400, _server.Requests[0].MaxTokens);
    }

    [Fact]
    public async Task MaxTotalTokens_GroupedRequests_AreReservedAndNeverExceedTheCap()
    {
        // Four items a request; each request reserves 100 + 100 and uses exactly that: five requests fit 1,000 tokens.
        _server.Responder = request => MockChatReply.AnswerEach(request, input => "A:" + input) with { PromptTokens = 100, CompletionTokens = 100 };
        var template = new ChatAgent(_server.CreateChatClient(), new ChatAgentOptions { ChatOptions = new ChatOptions { MaxOutputTokens = 100 } });

        var result = await new BatchRunner().RunBatchAsync(template, Enumerable.Range(0, 40).Select(i => $"q{i}"), s => s, r => r.Text, new BatchOptions
        {
            MaxConcurrency = 8,
            MaxItemsPerRequest = 4,
            MaxTotalTokens = 1000,
            TokenCounter = new FixedTokenCounter(100),
        });

        Assert.Equal(5, _server.RequestCount);
        Assert.Equal(1000, result.Usage.TotalTokenCount);
        Assert.Equal(20, result.SucceededCount);
        Assert.Equal(40, result.Items.Count);
        Assert.All(result.Items.Where(i => !i.IsSuccess), i =>
        {
            Assert.Equal(BatchItemStatus.Skipped, i.Status);
            Assert.IsType<BudgetExceededException>(i.Error);
            Assert.False(i.WasSent);
        });
    }

    [Fact]
    public async Task Cost_ModelWithoutAKnownPrice_IsUnknownNotZero()
    {
        var template = new ChatAgent(_server.CreateChatClient("my-local-llama"));

        var result = await new BatchRunner().RunBatchAsync(template, ["a", "b"], s => s, r => r.Text);

        Assert.All(result.Items, i =>
        {
            Assert.True(i.IsSuccess);
            Assert.NotNull(i.Usage);
            Assert.Null(i.Cost);
        });
        Assert.Null(result.Cost);
    }

    [Fact]
    public async Task Cost_TwoModelsInOneBatch_EachItemIsPricedAtItsOwnModel()
    {
        var mini = new ChatAgent(_server.CreateChatClient("gpt-4o-mini"));
        var full = new ChatAgent(_server.CreateChatClient("gpt-4o"));
        _server.Responder = request => MockChatReply.Answer("ok") with { PromptTokens = 1000, CompletionTokens = 1000, Model = request.Model };
        var miniPrice = PriceOf("gpt-4o-mini");
        var fullPrice = PriceOf("gpt-4o");

        var result = await new BatchRunner().RunBatchAsync(
            index => index % 2 == 0 ? mini.Clone(index) : full.Clone(index), Enumerable.Range(0, 200).Select(i => $"q{i}"), s => s, r => r.Text, new BatchOptions { MaxConcurrency = 32 });

        Assert.All(result.Items, i => Assert.Equal((i.Index % 2 == 0 ? miniPrice : fullPrice).GetCost(1000, 1000), i.Cost));
    }

    private static ModelPricing PriceOf(string model) =>
        ModelCatalog.TryGetEntry(model, out var entry) ? entry.Pricing : throw new InvalidOperationException($"{model} is not in the catalogue.");
}
