using System.ClientModel;
using System.Collections.Concurrent;
using AgentBatch.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace AgentBatch.Tests.Resilience;

/// <summary>Retries, timeouts and the circuit breaker, driven through the real OpenAI client against a mock endpoint.</summary>
public sealed class RetryWireTests : IDisposable
{
    private static readonly TimeSpan FastRetry = TimeSpan.FromMilliseconds(1);
    private readonly MockChatServer _server = MockChatServer.Start();
    private readonly ConcurrentDictionary<string, int> _attempts = new();

    public void Dispose() => _server.Dispose();

    public static TheoryData<string> TransientFaults => ["500", "502", "503", "408", "429", "429-retry-after", "malformed-json", "empty-reply", "broken-chunk", "slow"];

    public static TheoryData<int, string?> PermanentErrors => new()
    {
        { 400, null },
        { 401, null },
        { 403, null },
        { 404, null },
        { 400, "The response was filtered due to the prompt triggering content management policy." },
    };

    [Theory]
    [MemberData(nameof(TransientFaults))]
    public async Task RunBatchAsync_TransientFaultOnFirstAttempt_RetriesAndSucceeds(string fault)
    {
        _server.Responder = request => Attempt(request) == 1 ? Fault(fault) : MockChatReply.Answer("ok " + request.LastUserText);
        var options = new BatchOptions { RetryBaseDelay = FastRetry, AttemptTimeout = fault == "slow" ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(30) };

        var result = await RunAsync(["q1"], options);

        var item = Assert.Single(result.Items);
        Assert.Equal(BatchItemStatus.Succeeded, item.Status);
        Assert.Equal("ok q1", item.Output);
        Assert.Equal(2, item.Attempts);
        Assert.Equal(2, _server.RequestCount);
    }

    [Theory]
    [MemberData(nameof(PermanentErrors))]
    public async Task RunBatchAsync_PermanentError_FailsWithoutRetry(int status, string? message)
    {
        _server.Responder = request => request.LastUserText == "bad" ? MockChatReply.Error(status, message ?? "mock error") : MockChatReply.Answer("ok");

        var result = await RunAsync(["good", "bad", "good too"], new BatchOptions { RetryBaseDelay = FastRetry });

        var bad = result.Items[1];
        Assert.Equal(BatchItemStatus.Failed, bad.Status);
        Assert.Equal(status, Assert.IsType<ClientResultException>(bad.Error).Status);
        Assert.Equal(1, bad.Attempts);
        Assert.Equal(2, result.SucceededCount);
        Assert.Equal(3, _server.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_ReplyWithoutChoices_IsRetriedThenFailsWithClearError()
    {
        _server.Responder = _ => MockChatReply.Raw("""{"id":"x","object":"chat.completion","created":1,"model":"m"}""");

        var result = await RunAsync(["q"], new BatchOptions { RetryBaseDelay = FastRetry });

        var item = Assert.Single(result.Items);
        var error = Assert.IsType<InvalidModelResponseException>(item.Error);
        Assert.Contains("no choices", error.Message);
        Assert.True(error.IsTransient);
        Assert.Equal(new BatchOptions().MaxAttempts, item.Attempts);
    }

    [Fact]
    public async Task RunBatchAsync_AlwaysFailing_StopsAfterMaxAttemptsWithTheRealError()
    {
        _server.Responder = _ => MockChatReply.Error(503, "overloaded");

        var result = await RunAsync(["q"], new BatchOptions { MaxAttempts = 3, RetryBaseDelay = FastRetry });

        var item = Assert.Single(result.Items);
        Assert.Equal(BatchItemStatus.Failed, item.Status);
        Assert.Equal(503, Assert.IsType<ClientResultException>(item.Error).Status);
        Assert.Equal(3, item.Attempts);
        Assert.Equal(3, _server.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_RetriedCall_LogsTheRetryWithTheItemsIndex()
    {
        using var logs = new FakeLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        _server.Responder = request => request.LastUserText == "q2" && Attempt(request) == 1 ? MockChatReply.Error(503) : MockChatReply.Answer("ok");

        var result = await new BatchRunner(loggerFactory).RunBatchAsync(
            new ChatAgent(_server.CreateChatClient()), ["q0", "q1", "q2"], q => q, r => r.Text, new BatchOptions { RetryBaseDelay = FastRetry });

        Assert.Equal(3, result.SucceededCount);
        var retry = Assert.Single(logs.Collector.GetSnapshot(), r => r.Id.Id == 100);
        Assert.StartsWith("Batch item 2: model call failed with ClientResultException (HTTP 503); attempt 2 in ", retry.Message);
    }

    [Fact]
    public async Task RunBatchAsync_SlowerThanAttemptTimeoutEveryTime_FailsWithTimeout()
    {
        _server.Responder = _ => MockChatReply.Answer("late") with { Delay = TimeSpan.FromSeconds(5) };

        var result = await RunAsync(["q"], new BatchOptions { MaxAttempts = 2, RetryBaseDelay = FastRetry, AttemptTimeout = TimeSpan.FromMilliseconds(300) });

        var item = Assert.Single(result.Items);
        Assert.IsType<TimeoutRejectedException>(item.Error);
        Assert.Equal(2, item.Attempts);
        Assert.Equal(2, _server.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_ConnectionDroppedMidBody_IsRetriedThenReported()
    {
        using var dropper = new ConnectionDroppingServer();
        var template = new ChatAgent(TestChatClients.OpenAI(dropper.Endpoint));

        var result = await new BatchRunner().RunBatchAsync(template, ["q"], q => q, r => r.Text, new BatchOptions { MaxAttempts = 3, RetryBaseDelay = FastRetry });

        var item = Assert.Single(result.Items);
        Assert.Equal(BatchItemStatus.Failed, item.Status);
        Assert.IsAssignableFrom<IOException>(item.Error);
        Assert.Equal(3, item.Attempts);
        Assert.Equal(3, dropper.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_RetryAfterHeader_WaitsExactlyWhatTheServerAsked()
    {
        var time = new TimerRecordingTimeProvider();
        _server.Responder = request => Attempt(request) == 1 ? MockChatReply.RateLimited(TimeSpan.FromSeconds(7)) : MockChatReply.Answer("ok");

        // A backoff of an hour: only the server's 7 seconds can bring the retry within the 7 seconds advanced below.
        var run = new BatchRunner(null, time).RunBatchAsync(
            new ChatAgent(_server.CreateChatClient()), ["q"], q => q, r => r.Text, new BatchOptions { RetryBaseDelay = TimeSpan.FromHours(1) });

        await time.TimerCreatedAsync(TimeSpan.FromSeconds(7));
        Assert.Equal(1, _server.RequestCount);
        time.Fake.Advance(TimeSpan.FromSeconds(7));
        var result = await run.WaitAsync(Signals<int>.Guard);

        Assert.Equal(BatchItemStatus.Succeeded, result.Items[0].Status);
        Assert.Equal(2, result.Items[0].Attempts);
    }

    [Fact]
    public async Task RunBatchAsync_CallerCancelsDuringBackoff_ThrowsPromptlyWithoutRetrying()
    {
        var firstRequest = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.Responder = _ =>
        {
            firstRequest.TrySetResult();
            return MockChatReply.Error(503);
        };
        using var cts = new CancellationTokenSource();

        var run = RunAsync(["q"], new BatchOptions { RetryBaseDelay = TimeSpan.FromHours(1) }, cts.Token);
        await firstRequest.Task.WaitAsync(Signals<int>.Guard);
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Signals<int>.Guard));
        Assert.Equal(1, _server.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_DeadEndpoint_CircuitOpensAndBatchFailsFast()
    {
        _server.Responder = _ => MockChatReply.Error(503, "no healthy upstream");
        var items = Enumerable.Range(0, 300).Select(i => $"q{i}").ToList();

        var result = await RunAsync(items, new BatchOptions { MaxConcurrency = 8, MaxAttempts = 3, RetryBaseDelay = FastRetry });

        Assert.Equal(BatchStopReason.Faulted, result.StopReason);
        var fault = Assert.IsType<BrokenCircuitException>(result.Error);
        Assert.Contains("circuit breaker opened", fault.Message);
        Assert.Equal(items.Count, result.Items.Count);
        Assert.Equal(items.Count, result.FailedCount + result.SkippedCount);
        Assert.True(result.SkippedCount > 0);
        Assert.All(result.Items.Where(i => i.Status == BatchItemStatus.Skipped), i => Assert.Same(fault, i.Error));

        // Far fewer than the 900 requests that spending every item's retries would take.
        Assert.InRange(_server.RequestCount, 20, 100);
        Assert.Equal(_server.RequestCount, result.Items.Sum(i => i.Attempts));
    }

    [Fact]
    public async Task RunBatchAsync_RefusedConnections_CircuitOpensAndTheRestAreSkipped()
    {
        var template = new ChatAgent(TestChatClients.OpenAI(new Uri("http://127.0.0.1:1/v1")));
        var items = Enumerable.Range(0, 200).Select(i => $"q{i}").ToList();

        var result = await new BatchRunner().RunBatchAsync(
            template, items, q => q, r => r.Text, new BatchOptions { MaxConcurrency = 4, MaxAttempts = 3, RetryBaseDelay = FastRetry });

        Assert.Equal(BatchStopReason.Faulted, result.StopReason);
        Assert.IsType<BrokenCircuitException>(result.Error);
        Assert.Equal(items.Count, result.Items.Count);
        Assert.Equal(items.Count, result.FailedCount + result.SkippedCount);
        Assert.True(result.SkippedCount > 150, $"{result.SkippedCount} skipped; " + string.Join(",", result.Items.GroupBy(i => (i.Status, i.Error?.GetType().Name, i.Attempts)).Select(g => $"{g.Key}x{g.Count()}")));
    }

    [Fact]
    public async Task RunBatchAsync_ItemTimeoutDuringBackoff_FailsTheItemWithTimeout()
    {
        var time = new TimerRecordingTimeProvider();
        var firstRequest = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.Responder = _ =>
        {
            firstRequest.TrySetResult();
            return MockChatReply.Error(503);
        };

        var run = new BatchRunner(null, time).RunBatchAsync(
            new ChatAgent(_server.CreateChatClient()), ["q"], q => q, r => r.Text,
            new BatchOptions { RetryBaseDelay = TimeSpan.FromHours(1), ItemTimeout = TimeSpan.FromSeconds(10) });
        await firstRequest.Task.WaitAsync(Signals<int>.Guard);
        time.Fake.Advance(TimeSpan.FromSeconds(10));
        var result = await run.WaitAsync(Signals<int>.Guard);

        var item = Assert.Single(result.Items);
        Assert.Equal(BatchItemStatus.Failed, item.Status);
        Assert.IsType<TimeoutException>(item.Error);
        Assert.Equal(1, item.Attempts);
        Assert.Equal(1, _server.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_CustomPipeline_IsUsedInsteadOfTheDefault()
    {
        _server.Responder = request => Attempt(request) <= 4 ? MockChatReply.Error(400) : MockChatReply.Answer("ok");
        var custom = new ResiliencePipelineBuilder<ChatResponse>()
            .AddRetry(new Polly.Retry.RetryStrategyOptions<ChatResponse> { MaxRetryAttempts = 5, Delay = TimeSpan.Zero })
            .Build();

        var result = await RunAsync(["q"], new BatchOptions { MaxAttempts = 1, ResiliencePipeline = custom });

        Assert.Equal(BatchItemStatus.Succeeded, result.Items[0].Status);
        Assert.Equal(5, result.Items[0].Attempts);
        Assert.Equal(5, _server.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_MaxAttemptsOne_SendsOneRequest()
    {
        _server.Responder = _ => MockChatReply.Error(500);

        var result = await RunAsync(["q"], new BatchOptions { MaxAttempts = 1 });

        Assert.Equal(1, result.Items[0].Attempts);
        Assert.Equal(1, _server.RequestCount);
    }

    internal static MockChatReply Fault(string fault) => fault switch
    {
        "429" => MockChatReply.RateLimited(),
        "429-retry-after" => MockChatReply.RateLimited(TimeSpan.FromMilliseconds(20)),
        "malformed-json" => MockChatReply.Raw("""{"id":"x","choices":[{"index":0,"""),
        "empty-reply" => MockChatReply.Faulted(MockFault.EmptyResponse),
        "broken-chunk" => MockChatReply.Faulted(MockFault.MalformedResponseChunk),
        "slow" => MockChatReply.Answer("too late") with { Delay = TimeSpan.FromSeconds(10) },
        _ => MockChatReply.Error(int.Parse(fault, System.Globalization.CultureInfo.InvariantCulture)),
    };

    private int Attempt(MockChatRequest request) => _attempts.AddOrUpdate(request.LastUserText, 1, static (_, n) => n + 1);

    private Task<BatchResult<string>> RunAsync(IEnumerable<string> items, BatchOptions options, CancellationToken cancellationToken = default) =>
        new BatchRunner().RunBatchAsync(new ChatAgent(_server.CreateChatClient()), items, q => q, r => r.Text, options, cancellationToken);
}
