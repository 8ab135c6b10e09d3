using System.ClientModel;
using System.Collections.Concurrent;
using AgentBatch.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace AgentBatch.Tests.Resilience;

/// <summary>
/// A client built the plain Microsoft.Extensions.AI way (<c>AsIChatClient()</c>, no provider package): the batch still
/// reads the status the provider's exception carries, retries a 503 and stops on a wrong key, and says once what it
/// cannot read without the provider's classifier.
/// </summary>
public sealed class UnclassifiedClientTests : IDisposable
{
    private static readonly TimeSpan FastRetry = TimeSpan.FromMilliseconds(1);
    private readonly MockChatServer _server = MockChatServer.Start();
    private readonly ConcurrentDictionary<string, int> _attempts = new();

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task RunBatchAsync_PlainClient_TransientStatusIsRetriedAndTheMissingClassifierIsSaidOnce()
    {
        using var logs = new FakeLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(logs));
        _server.Responder = request => Attempt(request) == 1 ? MockChatReply.Error(503, "upstream busy") : MockChatReply.Answer("ok");
        Assert.Null(PlainClient().GetService<ModelFaultClassifier>());

        var result = await new BatchRunner(loggerFactory).RunBatchAsync(
            new ChatAgent(PlainClient()), ["q0", "q1", "q2"], q => q, r => r.Text, new BatchOptions { RetryBaseDelay = FastRetry });

        Assert.Equal(3, result.SucceededCount);
        Assert.All(result.Items, i => Assert.Equal(2, i.Attempts));
        var warning = Assert.Single(logs.Collector.GetSnapshot(), r => r.Id.Id == 105);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("ClientResultException (HTTP 503)", warning.Message, StringComparison.Ordinal);
        Assert.Contains("AsBatchChatClient()", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunBatchAsync_PlainClientWithAWrongKey_StopsTheBatchAndSkipsWhatWasNotSent()
    {
        _server.Responder = _ => MockChatReply.Error(401, "Incorrect API key provided.");

        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(PlainClient()), Enumerable.Range(0, 50).Select(i => $"q{i}"), q => q, r => r.Text, new BatchOptions { MaxConcurrency = 2 });

        Assert.Equal(BatchStopReason.Faulted, result.StopReason);
        Assert.Equal(401, Assert.IsType<ClientResultException>(result.Error).Status);
        Assert.InRange(_server.RequestCount, 1, 2);
        Assert.All(result.Items.Where(i => !i.WasSent), i => Assert.Equal(BatchNotSentReason.EndpointRefused, i.NotSentReason));
    }

    [Fact]
    public async Task RunBatchAsync_PlainClientWithABadRequest_FailsThatItemWithoutRetryingIt()
    {
        _server.Responder = request => request.LastUserText == "bad" ? MockChatReply.Error(400, "Invalid 'messages'.") : MockChatReply.Answer("ok");

        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(PlainClient()), ["a", "bad", "c"], q => q, r => r.Text, new BatchOptions { RetryBaseDelay = FastRetry });

        Assert.Equal((BatchItemStatus.Failed, 1), (result.Items[1].Status, result.Items[1].Attempts));
        Assert.Equal(2, result.SucceededCount);
    }

    // The mock's OpenAI client, its retries off, without AgentBatch.OpenAI's classifier.
    private IChatClient PlainClient() => _server.CreateOpenAIClient().GetChatClient("gpt-4o-mini").AsIChatClient();

    private int Attempt(MockChatRequest request) => _attempts.AddOrUpdate(request.LastUserText, 1, static (_, n) => n + 1);
}
