using AgentBatch.Testing;
using Microsoft.Extensions.AI;

namespace AgentBatch.Tests.Results;

/// <summary>
/// Every result says whether its item was sent and, if not, why: the reasons a caller acts on (run it again as it is,
/// raise the cap, fix the key, fix the input) each come out where they arise. The endpoint's refusal and an open
/// circuit are asserted in <c>Resilience.EndpointFaultTests</c>, per-item cancellation and empty input in
/// <c>Items.RichItemTests</c>.
/// </summary>
public sealed class NotSentReasonTests : IDisposable
{
    private readonly MockChatServer _server = MockChatServer.Start(_ => MockChatReply.Answer("ok") with { PromptTokens = 100, CompletionTokens = 50 });

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task RunBatchAsync_CapReached_TheItemsLeftAreBudgetExhaustedAndTheSentOnesSaySo()
    {
        var template = new ChatAgent(_server.CreateChatClient(), new ChatAgentOptions { ChatOptions = new ChatOptions { MaxOutputTokens = 50 } });

        var result = await new BatchRunner().RunBatchAsync(
            template, Enumerable.Range(0, 10).Select(i => $"q{i}"), s => s, r => r.Text,
            new BatchOptions { MaxTotalTokens = 450, Sequential = true, TokenCounter = new Budgets.FixedTokenCounter(100) });

        Assert.Equal(BatchStopReason.TokenLimitReached, result.StopReason);
        Assert.All(result.Items.Where(i => i.IsSuccess), i => Assert.Equal((true, BatchNotSentReason.None), (i.WasSent, i.NotSentReason)));
        var notSent = result.Items.Where(i => !i.IsSuccess).ToList();
        Assert.NotEmpty(notSent);
        Assert.All(notSent, i => Assert.Equal((false, BatchNotSentReason.BudgetExhausted), (i.WasSent, i.NotSentReason)));
        Assert.Equal(result.Items.Count(i => i.WasSent), _server.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_ItemLargerThanTheWholeCap_IsTooLargeForBudget_TheOthersRun()
    {
        var huge = string.Join(' ', Enumerable.Range(0, 3_000).Select(i => $"w{i}"));

        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(_server.CreateChatClient()), ["small", huge, "small too"], s => s, r => r.Text, new BatchOptions { MaxTotalTokens = 2_000 });

        Assert.Equal(BatchNotSentReason.TooLargeForBudget, result.Items[1].NotSentReason);
        Assert.Equal(BatchItemStatus.Failed, result.Items[1].Status);
        Assert.True(result.Items[0].WasSent && result.Items[2].WasSent);
    }

    [Fact]
    public async Task RunBatchAsync_StopConditionMet_TheItemsNeverStartedSaySo()
    {
        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(_server.CreateChatClient()), Enumerable.Range(0, 50).Select(i => $"q{i}"), s => s, r => r.Text,
            stopCondition: item => item.Index == 0,
            new BatchOptions { Sequential = true });

        Assert.Equal(BatchStopReason.StopConditionMet, result.StopReason);
        Assert.All(result.Items.Skip(1).Where(i => !i.WasSent), i => Assert.Equal(BatchNotSentReason.StopConditionMet, i.NotSentReason));
        Assert.Contains(result.Items, i => i.NotSentReason == BatchNotSentReason.StopConditionMet);
    }

    [Fact]
    public async Task RunBatchAsync_InputMapThrows_ThatItemFailedBeforeSending()
    {
        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(_server.CreateChatClient()), ["a", "bad", "c"],
            s => s == "bad" ? throw new InvalidOperationException("no such record") : (BatchInput)s,
            r => r.Text);

        Assert.Equal((BatchItemStatus.Failed, false, BatchNotSentReason.FailedBeforeSending), (result.Items[1].Status, result.Items[1].WasSent, result.Items[1].NotSentReason));
        Assert.Equal(2, _server.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_InputBeyondTheContextWindow_IsInvalidInput()
    {
        var huge = string.Join(' ', Enumerable.Range(0, 12_000).Select(i => $"word{i}"));

        var result = await new BatchRunner().RunBatchAsync(new ChatAgent(_server.CreateChatClient("gpt-4")), [huge], s => s, r => r.Text);

        Assert.Equal(BatchNotSentReason.InvalidInput, Assert.Single(result.Items).NotSentReason);
    }

    [Fact]
    public async Task RunBatchAsync_StopConditionThrows_TheItemsLeftAreBatchFaulted()
    {
        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(_server.CreateChatClient()), Enumerable.Range(0, 20).Select(i => $"q{i}"), s => s, r => r.Text,
            stopCondition: _ => throw new InvalidOperationException("the caller's condition is broken"),
            new BatchOptions { Sequential = true });

        Assert.Equal(BatchStopReason.Faulted, result.StopReason);
        Assert.Equal(20, result.Items.Count);
        Assert.All(result.Items.Where(i => !i.WasSent), i => Assert.Equal(BatchNotSentReason.BatchFaulted, i.NotSentReason));
        Assert.Contains(result.Items, i => i.NotSentReason == BatchNotSentReason.BatchFaulted);
    }
}
