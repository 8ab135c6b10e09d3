using AgentBatch.Testing;
using Microsoft.Extensions.AI;
using Xunit.Abstractions;

namespace AgentBatch.Tests.Budgets;

/// <summary>Several items per model call: packing, mapping answers back, splitting on bad replies, and what it saves.</summary>
public sealed class GroupingTests(ITestOutputHelper output) : IDisposable
{
    private readonly MockChatServer _server = MockChatServer.Start(request => MockChatReply.AnswerEach(request, input => "A:" + input) with { PromptTokens = 100, CompletionTokens = 40 });

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task Grouping_PacksItemsInOrderAndMapsEachAnswerBack()
    {
        var items = Enumerable.Range(0, 10).Select(i => $"item-{i}").ToList();

        var result = await new BatchRunner().RunBatchAsync(CreateTemplate(), items, s => s, r => r.Text, new BatchOptions { MaxItemsPerRequest = 4, Pricing = new ModelPricing(1000m, 1000m) });

        Assert.Equal(items.Select(i => "A:" + i), result.Outputs);
        Assert.Equal(3, _server.RequestCount);
        Assert.Equal([2, 4, 4], _server.Requests.Select(r => r.GroupedItems.Count).Order());
        Assert.Contains(_server.Requests, r => r.GroupedItems.SequenceEqual(items[..4]));
        Assert.Contains(_server.Requests, r => r.GroupedItems.SequenceEqual(items[4..8]));
        Assert.Contains(_server.Requests, r => r.GroupedItems.SequenceEqual(items[8..]));
        Assert.All(_server.Requests, r => Assert.Equal("json_schema", r.ResponseFormat));

        // Each call's reported usage (100 in, 40 out) is shared out exactly among its items.
        Assert.Equal(300, result.Usage.InputTokenCount);
        Assert.Equal(120, result.Usage.OutputTokenCount);
        Assert.Equal(100, result.Items.Take(4).Sum(i => i.Usage!.InputTokenCount));
        Assert.Equal(0.42m, result.Cost);
        Assert.Equal(result.Cost, result.Items.Sum(i => i.Cost));
        Assert.All(result.Items, i => Assert.Equal(1, i.Attempts));
    }

    [Fact]
    public async Task Grouping_RespectsTheTokenBudgetPerRequest()
    {
        var counter = new FixedTokenCounter(100);

        await new BatchRunner().RunBatchAsync(CreateTemplate(), Enumerable.Range(0, 9).Select(i => $"i{i}"), s => s, r => r.Text, new BatchOptions
        {
            MaxItemsPerRequest = 50,
            MaxTokensPerRequest = 450,
            TokenCounter = counter,
        });

        // The counter says 100 tokens per item and 100 for the header, plus 12 of numbering per item: 3 items fit in 450.
        Assert.Equal([3, 3, 3], _server.Requests.Select(r => r.GroupedItems.Count));
    }

    [Fact]
    public async Task Grouping_MalformedReply_SplitsTheGroupInHalfAndRetries()
    {
        _server.Responder = request => request.GroupedItems.Count == 4
            ? MockChatReply.Answer("Sure! Here are your answers: 1) yes 2) no") with { PromptTokens = 80, CompletionTokens = 20 }
            : MockChatReply.AnswerEach(request, input => "A:" + input) with { PromptTokens = 40, CompletionTokens = 10 };
        var items = Enumerable.Range(0, 8).Select(i => $"q{i}").ToList();

        var result = await new BatchRunner().RunBatchAsync(CreateTemplate(), items, s => s, r => r.Text, new BatchOptions { MaxItemsPerRequest = 4, Sequential = true });

        Assert.Equal(items.Select(i => "A:" + i), result.Outputs);
        Assert.Equal([4, 2, 2, 4, 2, 2], _server.Requests.Select(r => r.GroupedItems.Count));
        Assert.All(result.Items, i => Assert.Equal(2, i.Attempts));

        // The unusable replies are still paid for, and charged to their items.
        Assert.Equal((2 * 80) + (4 * 40), result.Usage.InputTokenCount);
        Assert.Equal(result.Usage.InputTokenCount, result.Items.Sum(i => i.Usage!.InputTokenCount));
    }

    [Fact]
    public async Task Grouping_ShortAnswerEveryTime_EndsWithSingleItemCalls()
    {
        _server.Responder = request => request.GroupedItems.Count > 1
            ? MockChatReply.Answer("""{"answers":[{"item":1,"answer":"only one"}]}""")
            : MockChatReply.Answer("single:" + request.LastUserText);

        var result = await new BatchRunner().RunBatchAsync(CreateTemplate(), ["a", "b", "c"], s => s, r => r.Text, new BatchOptions { MaxItemsPerRequest = 3 });

        Assert.Equal(["single:a", "single:b", "single:c"], result.Outputs);
        Assert.Equal(5, _server.RequestCount);
        Assert.Equal(3, _server.Requests.Count(r => r.GroupedItems.Count == 0));
    }

    [Fact]
    public async Task Grouping_ItemLargerThanTheRequestBudget_FailsBeforeAnyCall()
    {
        var items = new[] { "short", new string('x', 4000), "also short" };

        var result = await new BatchRunner().RunBatchAsync(CreateTemplate(), items, s => s, r => r.Text, new BatchOptions { MaxItemsPerRequest = 5, MaxTokensPerRequest = 200 });

        Assert.Equal(BatchItemStatus.Failed, result.Items[1].Status);
        Assert.Contains("MaxTokensPerRequest (200)", result.Items[1].Error!.Message);
        Assert.Equal(0, result.Items[1].Attempts);
        Assert.Equal(["A:short", null, "A:also short"], result.Outputs);
        Assert.Equal(["short", "also short"], _server.Requests.SelectMany(r => r.GroupedItems));
    }

    [Fact]
    public async Task Grouping_LongSharedInstructions_BillsFarFewerInputTokens()
    {
        _server.UsageTokenCounter = SharpTokenCounter.Default;
        _server.Responder = request => MockChatReply.AnswerEach(request, input => input.Length % 2 == 0 ? "positive" : "negative");
        var instructions = string.Concat(Enumerable.Repeat("Classify the sentiment of the review as positive or negative, following the rubric: be strict about sarcasm, mixed feelings count as negative. ", 12));
        var template = new ChatAgent(_server.CreateChatClient("gpt-4o-mini"), new ChatAgentOptions { Instructions = instructions });
        var reviews = Enumerable.Range(0, 200).Select(i => $"Review {i}: the product was {(i % 3 == 0 ? "great" : "disappointing")}.").ToList();

        var single = await new BatchRunner().RunBatchAsync(template, reviews, s => s, r => r.Text, new BatchOptions { MaxConcurrency = 32 });
        var grouped = await new BatchRunner().RunBatchAsync(template, reviews, s => s, r => r.Text, new BatchOptions { MaxConcurrency = 32, MaxItemsPerRequest = 20 });

        Assert.Equal(single.Outputs, grouped.Outputs);
        var singleTokens = single.Usage.InputTokenCount!.Value;
        var groupedTokens = grouped.Usage.InputTokenCount!.Value;
        output.WriteLine($"billed input tokens for 200 items: one per request {singleTokens}, 20 per request {groupedTokens} ({(double)groupedTokens / singleTokens:P1})");
        Assert.True(groupedTokens * 5 < singleTokens, $"grouped {groupedTokens} vs single {singleTokens}");
    }

    [Fact]
    public async Task Grouping_GroupThatOutlivesTheItemTimeout_FailsItsItemsWithTimeoutAndTheBatchGoesOn()
    {
        // The group holding "slow" never answers; its items fail when the item timeout passes, the other group succeeds.
        var time = new TimerRecordingTimeProvider();
        var itemTimeout = TimeSpan.FromSeconds(42);
        _server.Responder = request => request.GroupedItems.Contains("slow")
            ? MockChatReply.Answer("never") with { Delay = TimeSpan.FromMinutes(10) }
            : MockChatReply.AnswerEach(request, input => "A:" + input);

        var otherGroupDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batch = new BatchRunner(null, time).RunBatchAsync(CreateTemplate(), ["slow", "b", "c", "d"], s => s, r => r.Text, new BatchOptions
        {
            MaxItemsPerRequest = 2,
            ItemTimeout = itemTimeout,
            Progress = new Reporter(p =>
            {
                if (p.Completed == 2)
                {
                    otherGroupDone.TrySetResult();
                }
            }),
        });

        // Once the answered group is in, only the slow one is left to outlive its deadline.
        await otherGroupDone.Task.WaitAsync(Signals<int>.Guard);
        time.Fake.Advance(itemTimeout);
        var result = await batch.WaitAsync(Signals<int>.Guard);

        Assert.All(result.Items.Take(2), i =>
        {
            Assert.Equal(BatchItemStatus.Failed, i.Status);
            Assert.IsType<TimeoutException>(i.Error);
        });
        Assert.Equal(["A:c", "A:d"], result.Outputs.Skip(2));
        Assert.Equal(BatchStopReason.Completed, result.StopReason);
    }

    [Fact]
    public void Validate_InvalidGroupingValues_Throws()
    {
        Assert.Equal("MaxItemsPerRequest", Assert.Throws<ArgumentOutOfRangeException>(new BatchOptions { MaxItemsPerRequest = 0 }.Validate).ParamName);
        Assert.Equal("MaxTokensPerRequest", Assert.Throws<ArgumentOutOfRangeException>(new BatchOptions { MaxItemsPerRequest = 4, MaxTokensPerRequest = 0 }.Validate).ParamName);
    }

    private sealed class Reporter(Action<BatchProgress> report) : IProgress<BatchProgress>
    {
        public void Report(BatchProgress value) => report(value);
    }

    private ChatAgent CreateTemplate() => new(_server.CreateChatClient(), new ChatAgentOptions { Instructions = "Answer briefly." });
}
