using AgentBatch.Testing;
using Microsoft.Extensions.AI;

namespace AgentBatch.Tests.Results;

/// <summary>
/// <see cref="BatchItemResult{TOutput}.IsFinal"/>: an outcome is final only when it is the item's own, so a store of results
/// that must survive restarts never keeps what an outage, a wrong key, a cap or a stop did to an item.
/// </summary>
public sealed class FinalOutcomeTests : IDisposable
{
    private static readonly TimeSpan FastRetry = TimeSpan.FromMilliseconds(1);
    private readonly MockChatServer _server = MockChatServer.Start();

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task OwnOutcomes_SuccessBadRequestBadInputAndAThrowingMap_AreFinal()
    {
        _server.Responder = request => request.LastUserText switch
        {
            "filtered" => MockChatReply.Error(400, "The prompt was filtered."),
            _ => MockChatReply.Answer(request.LastUserText),
        };

        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(_server.CreateChatClient()), ["ok", "filtered", "", "unmappable"], s => s,
            r => r.Text == "unmappable" ? throw new FormatException("cannot map") : r.Text, new BatchOptions { RetryBaseDelay = FastRetry });

        Assert.Equal([BatchItemStatus.Succeeded, BatchItemStatus.Failed, BatchItemStatus.Failed, BatchItemStatus.Failed], result.Items.Select(i => i.Status));
        Assert.All(result.Items, i => Assert.True(i.IsFinal, i.ToString()));
    }

    [Fact]
    public async Task StreamBrokenOffAfterItsFirstUpdate_IsNotFinal_ButAStreamedAnswerIs()
    {
        _server.Responder = request => request.LastUserText == "cut"
            ? MockChatReply.Answer("the first words of a longer answer") with { Fault = MockFault.DropAfterFirstChunk }
            : MockChatReply.Answer(request.LastUserText);
        var template = new StreamingAgent(StreamingAgent.Wire(_server.CreateChatClient()));

        var result = await new BatchRunner().RunBatchAsync(template, ["ok", "cut"], s => s, r => r.Text, new BatchOptions { RetryBaseDelay = FastRetry });

        Assert.Equal((BatchItemStatus.Succeeded, true), (result.Items[0].Status, result.Items[0].IsFinal));
        Assert.Equal((BatchItemStatus.Failed, false), (result.Items[1].Status, result.Items[1].IsFinal));
    }

    [Fact]
    public async Task WrongKey_NeitherTheSentItemsNorTheSkippedOnesAreFinal()
    {
        _server.Responder = _ => MockChatReply.Error(401, "Incorrect API key provided.");

        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(_server.CreateChatClient()), Enumerable.Range(0, 40).Select(i => $"q{i}"), s => s, r => r.Text, new BatchOptions { MaxConcurrency = 4 });

        Assert.Contains(result.Items, i => i.Status == BatchItemStatus.Failed && i.WasSent);
        Assert.Contains(result.Items, i => i.Status == BatchItemStatus.Skipped);
        Assert.All(result.Items, i => Assert.False(i.IsFinal, i.ToString()));
    }

    [Fact]
    public async Task RefusedConnections_FailedAndSkippedItems_AreNotFinal()
    {
        var template = new ChatAgent(TestChatClients.OpenAI(new Uri("http://127.0.0.1:1/v1")));

        var result = await new BatchRunner().RunBatchAsync(
            template, Enumerable.Range(0, 60).Select(i => $"q{i}"), s => s, r => r.Text, new BatchOptions { MaxConcurrency = 4, MaxAttempts = 2, RetryBaseDelay = FastRetry });

        Assert.Contains(result.Items, i => i.Status == BatchItemStatus.Failed);
        Assert.All(result.Items, i => Assert.False(i.IsFinal, i.ToString()));
    }

    [Fact]
    public async Task ServerErrorsPastTheLastRetry_AreNotFinal_ButAnErrorOfTheItemsOwnIs()
    {
        _server.Responder = request => request.LastUserText == "down" ? MockChatReply.Error(503) : MockChatReply.Error(422, "Unprocessable item.");

        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(_server.CreateChatClient()), ["down", "bad"], s => s, r => r.Text, new BatchOptions { MaxAttempts = 2, RetryBaseDelay = FastRetry });

        Assert.Equal((BatchItemStatus.Failed, 2, false), (result.Items[0].Status, result.Items[0].Attempts, result.Items[0].IsFinal));
        Assert.Equal((BatchItemStatus.Failed, 1, true), (result.Items[1].Status, result.Items[1].Attempts, result.Items[1].IsFinal));
    }

    [Fact]
    public async Task MapsThatThrowTransportErrors_FailTheirItemsForGood()
    {
        // An IOException or HttpRequestException from the caller's own code is the item's: only a model call's own
        // transport errors are the endpoint's.
        _server.Responder = request => MockChatReply.Answer(request.LastUserText);

        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(_server.CreateChatClient()), ["io", "http"], s => s,
            string (r) => r.Text == "io" ? throw new IOException("disk gone") : throw new HttpRequestException("lookup service down"));

        Assert.All(result.Items, i => Assert.Equal((BatchItemStatus.Failed, true), (i.Status, i.IsFinal)));
    }

    [Fact]
    public async Task SpentCap_SkippedItemsAreNotFinal_ButAnItemLargerThanTheWholeCapIs()
    {
        _server.Responder = _ => MockChatReply.Answer("ok") with { PromptTokens = 150, CompletionTokens = 40 };
        var options = new BatchOptions { MaxConcurrency = 1, MaxTotalTokens = 500, TokenCounter = new Budgets.FixedTokenCounter(150), DefaultMaxOutputTokens = 50 };

        var capped = await new BatchRunner().RunBatchAsync(new ChatAgent(_server.CreateChatClient()), ["a", "b", "c", "d"], s => s, r => r.Text, options);
        var tooLarge = await new BatchRunner().RunBatchAsync(
            new ChatAgent(_server.CreateChatClient()), ["huge"], s => s, r => r.Text, new BatchOptions(options) { TokenCounter = new Budgets.FixedTokenCounter(5000) });

        Assert.Equal(BatchStopReason.TokenLimitReached, capped.StopReason);
        Assert.All(capped.Items.Where(i => i.Status == BatchItemStatus.Skipped), i => Assert.False(i.IsFinal));
        Assert.All(capped.Items.Where(i => i.IsSuccess), i => Assert.True(i.IsFinal));
        Assert.Equal((BatchItemStatus.Failed, true), (tooLarge.Items[0].Status, tooLarge.Items[0].IsFinal));
    }

    [Fact]
    public async Task StopCondition_CanceledAndSkippedItems_AreNotFinal()
    {
        using var release = new ManualResetEventSlim();
        _server.Responder = request =>
        {
            if (request.LastUserText != "q0")
            {
                release.Wait(Signals<int>.Guard);
            }

            return MockChatReply.Answer(request.LastUserText);
        };

        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(_server.CreateChatClient()), Enumerable.Range(0, 10).Select(i => $"q{i}"), s => s, r => r.Text,
            stopCondition: item =>
            {
                release.Set();
                return item.Output == "q0";
            },
            new BatchOptions { MaxConcurrency = 2 });

        Assert.Equal(BatchStopReason.StopConditionMet, result.StopReason);
        Assert.All(result.Items.Where(i => i.Status is BatchItemStatus.Canceled or BatchItemStatus.Skipped), i => Assert.False(i.IsFinal));
        Assert.True(result.Items[0].IsFinal);
    }
}
