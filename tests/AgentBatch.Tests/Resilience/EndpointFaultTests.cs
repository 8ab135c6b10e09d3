using System.ClientModel;
using AgentBatch.Testing;
using Microsoft.Extensions.AI;
using Polly.CircuitBreaker;

namespace AgentBatch.Tests.Resilience;

/// <summary>Failures that are the batch's, not an item's, stop the batch: what was not sent is skipped with the reason, not failed one by one.</summary>
public sealed class EndpointFaultTests : IDisposable
{
    private static readonly TimeSpan FastRetry = TimeSpan.FromMilliseconds(1);
    private readonly MockChatServer _server = MockChatServer.Start();

    public void Dispose() => _server.Dispose();

    public static TheoryData<int, string> BatchFaults => new()
    {
        { 401, "Incorrect API key provided." },
        { 403, "You are not allowed to use this model." },
        { 404, "The model `gpt-9` does not exist or you do not have access to it." },
        { 429, "You exceeded your current quota, please check your plan and billing details. (insufficient_quota)" },
    };

    [Theory]
    [MemberData(nameof(BatchFaults))]
    public async Task RunBatchAsync_EndpointRefusesTheBatch_StopsFaultedAndSkipsWhatWasNotSent(int status, string message)
    {
        _server.Responder = _ => status == 429
            ? MockChatReply.Raw($$$"""{"error":{"message":"{{{message}}}","type":"insufficient_quota","code":"insufficient_quota"}}""", 429)
            : MockChatReply.Error(status, message);
        var items = Enumerable.Range(0, 100).Select(i => $"q{i}").ToList();

        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(_server.CreateChatClient()), items, s => s, r => r.Text, new BatchOptions { MaxConcurrency = 4, RetryBaseDelay = FastRetry });

        Assert.Equal(status, Assert.IsType<ClientResultException>(result.Error).Status);
        Assert.Equal(100, result.Items.Count);
        BatchAssert.StoppedAfterTheItemsInFlight(result, _server.RequestCount, 4, error => Assert.Equal(status, Assert.IsType<ClientResultException>(error).Status));
    }

    [Fact]
    public async Task RunBatchAsync_WrongKeyWithItemsWaitingToBeSent_SendsNothingAfterTheRefusal()
    {
        // Eight items get past the window at once; seven are held before the AgentBatch layer until the first has failed
        // with a 401. Released then, none of them is sent.
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.Responder = _ => MockChatReply.Error(401, "Incorrect API key provided.");
        var gate = new SemaphoreSlim(0);
        var client = new ChatClientBuilder(_server.CreateChatClient())
            .Use(async (messages, options, next, cancellationToken) =>
            {
                if (messages.Last().Text != "q0")
                {
                    await gate.WaitAsync(cancellationToken);
                }

                await next(messages, options, cancellationToken);
            })
            .UseAgentBatch()
            .Build();

        var batch = new BatchRunner().RunBatchAsync(new ChatAgent(client), Enumerable.Range(0, 8).Select(i => $"q{i}"), s => s, r => r.Text, new BatchOptions
        {
            Progress = new Reporter(p =>
            {
                if (p.Completed == 1)
                {
                    first.TrySetResult();
                }
            }),
        });
        await first.Task.WaitAsync(Signals<int>.Guard);
        var result = await WhenStoppedAsync(batch, gate);

        Assert.Equal(BatchStopReason.Faulted, result.StopReason);
        Assert.Equal(1, _server.RequestCount);
        Assert.Equal(BatchItemStatus.Failed, result.Items[0].Status);
        Assert.Equal(7, result.SkippedCount);
    }

    [Fact]
    public async Task RunBatchAsync_OpenCircuit_ItemsNotSentAreSkippedNotFailed()
    {
        _server.Responder = _ => MockChatReply.Error(503, "no healthy upstream");
        var items = Enumerable.Range(0, 200).Select(i => $"q{i}").ToList();

        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(_server.CreateChatClient()), items, s => s, r => r.Text, new BatchOptions { MaxConcurrency = 8, MaxAttempts = 2, RetryBaseDelay = FastRetry });

        var fault = Assert.IsType<BrokenCircuitException>(result.Error);
        Assert.All(result.Items, i => Assert.Equal(i.Status == BatchItemStatus.Failed, i.WasSent));
        Assert.All(result.Items.Where(i => !i.WasSent), i =>
        {
            Assert.Equal(BatchItemStatus.Skipped, i.Status);
            Assert.Same(fault, i.Error);
            Assert.Equal(BatchNotSentReason.EndpointFailing, i.NotSentReason);
        });
        Assert.Equal(_server.RequestCount, result.Items.Sum(i => i.Attempts));
    }

    private static async Task<BatchResult<string>> WhenStoppedAsync(Task<BatchResult<string>> batch, SemaphoreSlim gate)
    {
        // Let the held items go once the refusal is in: they must find the batch stopped and send nothing.
        gate.Release(16);
        return await batch.WaitAsync(Signals<int>.Guard);
    }

    private sealed class Reporter(Action<BatchProgress> report) : IProgress<BatchProgress>
    {
        public void Report(BatchProgress value) => report(value);
    }
}
