using AgentBatch.Testing;
using Microsoft.Extensions.AI;

namespace AgentBatch.Tests.Items;

/// <summary>Items that are more than text: images, files, prepared conversations; and an item cancelled on its own.</summary>
public sealed class RichItemTests : IDisposable
{
    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 4];
    private readonly MockChatServer _server = MockChatServer.Start(request => MockChatReply.Answer($"{request.Messages.Count} messages"));

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task RunBatchAsync_ImageItems_SendEachImageAsItsOwnContentPart()
    {
        var images = Enumerable.Range(0, 3).Select(i => (Name: $"photo-{i}.png", Bytes: Png.Append((byte)i).ToArray())).ToList();
        var template = new ChatAgent(_server.CreateChatClient(), new ChatAgentOptions { Instructions = "Describe the picture." });

        var result = await new BatchRunner().RunBatchAsync(
            template,
            images,
            image => new ChatMessage(ChatRole.User, [new TextContent($"What is in {image.Name}?"), new DataContent(image.Bytes, "image/png")]),
            r => r.Text);

        Assert.Equal(3, result.SucceededCount);
        foreach (var (image, i) in images.Select((image, i) => (image, i)))
        {
            var body = _server.Requests.Single(r => r.RawBody.Contains(image.Name, StringComparison.Ordinal)).RawBody;
            Assert.Contains("image_url", body, StringComparison.Ordinal);
            Assert.Contains(Convert.ToBase64String(image.Bytes), body, StringComparison.Ordinal);
            Assert.DoesNotContain(images.Where(other => other != image), other => body.Contains(Convert.ToBase64String(other.Bytes), StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task RunBatchAsync_ImageItemsUnderATokenCap_AreReservedAtWhatAnImageCanCostBeforeSending()
    {
        // gpt-4o: an image can cost 1,445 input tokens. Text items fit the cap; an image item cannot, however small its bytes.
        _server.Responder = _ => MockChatReply.Answer("ok") with { PromptTokens = 20, CompletionTokens = 5 };
        var template = new ChatAgent(_server.CreateChatClient("gpt-4o"), new ChatAgentOptions { ChatOptions = new ChatOptions { MaxOutputTokens = 50 } });
        BatchInput[] items = ["first", new ChatMessage(ChatRole.User, [new TextContent("what is this?"), new DataContent(Png, "image/png")]), "last"];

        var result = await new BatchRunner().RunBatchAsync(template, items, item => item, r => r.Text, new BatchOptions { MaxTotalTokens = 1_000, Sequential = true });

        Assert.Equal(BatchItemStatus.Succeeded, result.Items[0].Status);
        Assert.False(result.Items[1].WasSent);
        Assert.IsType<BudgetExceededException>(result.Items[1].Error);
        Assert.DoesNotContain(_server.Requests, r => r.RawBody.Contains("image_url", StringComparison.Ordinal));
        Assert.True(result.Usage.TotalTokenCount <= 1_000);
    }

    [Fact]
    public async Task RunBatchAsync_PreparedConversations_AreSentAfterTheInstructionsAsTheyAre()
    {
        var template = new ChatAgent(_server.CreateChatClient(), new ChatAgentOptions { Instructions = "Continue the conversation." });
        ChatMessage[][] conversations =
        [
            [new(ChatRole.User, "Hi, I'm Ann."), new(ChatRole.Assistant, "Hello Ann."), new(ChatRole.User, "What is my name?")],
            [new(ChatRole.User, "Count to two.")],
        ];

        var result = await new BatchRunner().RunBatchAsync(template, conversations, c => c, r => r.Text);

        Assert.Equal(["4 messages", "2 messages"], result.Outputs);
        var first = _server.Requests.Single(r => r.Messages.Count == 4);
        Assert.Equal(["system", "user", "assistant", "user"], first.Messages.Select(m => m.Role));
        Assert.Equal("What is my name?", first.LastUserText);
    }

    [Fact]
    public async Task RunBatchAsync_MessageItemsInAGroupedBatch_RunAloneWhileTextItemsShareRequests()
    {
        _server.Responder = request => request.GroupedItems.Count > 0
            ? MockChatReply.AnswerEach(request, input => "A:" + input)
            : MockChatReply.Answer("alone");
        BatchInput[] items = ["t1", "t2", new ChatMessage(ChatRole.User, [new TextContent("look"), new DataContent(Png, "image/png")]), "t3"];

        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(_server.CreateChatClient()), items, i => i, r => r.Text, new BatchOptions { MaxItemsPerRequest = 10, Sequential = true });

        Assert.Equal(["A:t1", "A:t2", "alone", "A:t3"], result.Outputs);
        Assert.Equal(2, _server.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_EmptyMessageInput_FailsThatItemAloneBeforeSending()
    {
        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(_server.CreateChatClient()), [0, 1], i => i == 0 ? new ChatMessage(ChatRole.User, []) : "fine", r => r.Text);

        Assert.Equal(BatchItemStatus.Failed, result.Items[0].Status);
        Assert.Equal(BatchNotSentReason.InvalidInput, result.Items[0].NotSentReason);
        Assert.Contains("no message with any content", result.Items[0].Error!.Message, StringComparison.Ordinal);
        Assert.True(result.Items[1].IsSuccess);
        Assert.Equal(1, _server.RequestCount);
    }

    [Fact]
    public async Task StreamBatchAsync_AnItemCancelledOnItsOwn_EndsCanceledAndTheOthersGoOn()
    {
        // Item 1's reply never comes; its own token is cancelled once its request is in, and only it ends.
        using var cancelOne = new CancellationTokenSource();
        _server.Responder = request => request.LastUserText == "slow"
            ? MockChatReply.Answer("never") with { Delay = TimeSpan.FromMinutes(10) }
            : MockChatReply.Answer("done " + request.LastUserText);
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var responder = _server.Responder;
        _server.Responder = request =>
        {
            if (request.LastUserText == "slow")
            {
                arrived.TrySetResult();
            }

            return responder(request);
        };
        string[] items = ["a", "slow", "c"];
        var results = new List<BatchItemResult<string, string>>();

        var consume = Task.Run(async () =>
        {
            await foreach (var result in new BatchRunner().StreamBatchAsync(
                new ChatAgent(_server.CreateChatClient()),
                items.ToAsyncEnumerable(),
                item => new BatchInput(item).WithCancellation(item == "slow" ? cancelOne.Token : default),
                r => r.Text))
            {
                results.Add(result);
            }
        });
        await arrived.Task.WaitAsync(Signals<int>.Guard);
        await cancelOne.CancelAsync();
        await consume.WaitAsync(Signals<int>.Guard);

        var slow = Assert.Single(results, r => r.Item == "slow");
        Assert.Equal(BatchItemStatus.Canceled, slow.Status);
        Assert.True(slow.WasSent);
        Assert.Equal(["done a", "done c"], results.Where(r => r.Item != "slow").OrderBy(r => r.Index).Select(r => r.Output));
    }

    [Fact]
    public async Task RunBatchAsync_ItemCancelledBeforeItStarts_IsCanceledWithoutSending()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(_server.CreateChatClient()), ["keep", "drop"], s => new BatchInput(s).WithCancellation(s == "drop" ? cancelled.Token : default), r => r.Text);

        Assert.True(result.Items[0].IsSuccess);
        Assert.Equal(BatchItemStatus.Canceled, result.Items[1].Status);
        Assert.Equal(BatchNotSentReason.Canceled, result.Items[1].NotSentReason);
        Assert.Equal(1, _server.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_Grouped_AnItemCancelledBeforeItStarts_IsCanceledAlone_TheOthersAreGroupedAndAnswered()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        _server.Responder = request => MockChatReply.AnswerEach(request, input => "A:" + input);

        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(_server.CreateChatClient()), ["a", "drop", "c", "d"], s => new BatchInput(s).WithCancellation(s == "drop" ? cancelled.Token : default), r => r.Text,
            new BatchOptions { MaxItemsPerRequest = 4 });

        Assert.Equal((BatchItemStatus.Canceled, BatchNotSentReason.Canceled), (result.Items[1].Status, result.Items[1].NotSentReason));
        Assert.Equal(["A:a", null, "A:c", "A:d"], result.Items.Select(i => i.Output));
        var request = Assert.Single(_server.Requests);
        Assert.Equal(["a", "c", "d"], request.GroupedItems);
    }

    [Fact]
    public async Task StreamBatchAsync_EveryResultCarriesItsItem()
    {
        var items = Enumerable.Range(0, 20).Select(i => new Ticket(i, $"ticket {i}")).ToList();

        await foreach (var result in new BatchRunner().StreamBatchAsync(new ChatAgent(_server.CreateChatClient()), items.ToAsyncEnumerable(), t => t.Text, r => r.Text))
        {
            Assert.Same(items[result.Index], result.Item);
        }
    }

    private sealed record Ticket(int Id, string Text);
}
