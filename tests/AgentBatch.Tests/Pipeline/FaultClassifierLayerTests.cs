using Microsoft.Extensions.AI;

namespace AgentBatch.Tests.Pipeline;

/// <summary><c>UseFaultClassifier()</c>: the one layer by which any provider's classifier reaches the batch.</summary>
public sealed class FaultClassifierLayerTests
{
    [Fact]
    public void UseFaultClassifier_AnswersTheClassifierAsAServiceAndPassesOtherServicesThrough()
    {
        var classifier = new StatusClassifier();
        var inner = new FakeChatClient();

        var client = new ChatClientBuilder(inner).UseFaultClassifier(classifier).Build();

        Assert.Same(classifier, client.GetService<ModelFaultClassifier>());
        Assert.Same(classifier, client.GetService<StatusClassifier>());
        Assert.Null(client.GetService<ModelFaultClassifier>("a key"));
        Assert.Same(inner, client.GetService<FakeChatClient>());
    }

    [Fact]
    public void UseFaultClassifier_NullArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>("builder", () => AgentBatchChatClientBuilderExtensions.UseFaultClassifier(null!, new StatusClassifier()));
        Assert.Throws<ArgumentNullException>("classifier", () => new ChatClientBuilder(new FakeChatClient()).UseFaultClassifier(null!));
    }

    [Fact]
    public async Task RunBatchAsync_ProviderErrorTheClassifierReads_IsRetriedOrStopsTheBatchAsItSays()
    {
        // The provider's own exception type, whose status the core cannot read: a 503 first, then a 401 for the second item.
        var inner = new FakeChatClient();
        var calls = 0;
        inner.Callback = (messages, _, _) => FakeChatClient.LastUserText(messages) switch
        {
            "first" when Interlocked.Increment(ref calls) == 1 => throw new ProviderException(503),
            "second" => throw new ProviderException(401),
            var text => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok " + text))),
        };
        var client = new ChatClientBuilder(inner).UseFaultClassifier(new StatusClassifier()).Build();

        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(client), ["first", "second", "third"], s => s, r => r.Text, new BatchOptions { Sequential = true, RetryBaseDelay = TimeSpan.FromMilliseconds(1) });

        Assert.Equal("ok first", result.Items[0].Output);
        Assert.Equal(2, result.Items[0].Attempts);
        Assert.Equal(BatchItemStatus.Failed, result.Items[1].Status);
        Assert.Equal(1, result.Items[1].Attempts);
        Assert.Equal(BatchItemStatus.Skipped, result.Items[2].Status);
        Assert.False(result.Items[2].WasSent);
        Assert.Equal(BatchStopReason.Faulted, result.StopReason);
    }

    [Fact]
    public async Task RunBatchAsync_WithoutTheLayer_TheProviderErrorIsPermanentAndTheBatchGoesOn()
    {
        var inner = new FakeChatClient { Callback = (_, _, _) => throw new ProviderException(503) };

        var result = await new BatchRunner().RunBatchAsync(new ChatAgent(inner), ["a", "b"], s => s, r => r.Text, new BatchOptions { Sequential = true });

        Assert.All(result.Items, i => Assert.Equal(1, i.Attempts));
        Assert.Equal(2, inner.Calls);
    }

    // The status under a name of the provider's own, not the common Status or StatusCode the core reads without a classifier.
    private sealed class ProviderException(int status) : Exception("provider error")
    {
        public int ProviderCode { get; } = status;
    }

    private sealed class StatusClassifier : ModelFaultClassifier
    {
        public override bool TryClassify(Exception exception, out ModelFault? fault)
        {
            fault = exception is ProviderException provider ? new ModelFault { StatusCode = provider.ProviderCode } : null;
            return fault is not null;
        }
    }
}
