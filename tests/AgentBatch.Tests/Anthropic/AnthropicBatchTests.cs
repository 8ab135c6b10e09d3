using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using AgentBatch.Internal;
using AgentBatch.Testing;
using AgentBatch.Tests.Budgets;
using Anthropic;
using Anthropic.Exceptions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace AgentBatch.Tests.Anthropic;

/// <summary>Batches over the official Anthropic client (13.14), its IChatClient and AgentBatch.Anthropic, against the mock's Messages API over HTTP.</summary>
public sealed partial class AnthropicBatchTests : IDisposable
{
    private const string Model = "claude-test-1";
    private static readonly TimeSpan FastRetry = TimeSpan.FromMilliseconds(1);
    private readonly MockChatServer _server = MockChatServer.Start();
    private readonly AnthropicClient _client;

    public AnthropicBatchTests()
    {
        _client = TestChatClients.Anthropic(_server.Url);
    }

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
    }

    [Fact]
    public async Task RunBatchAsync_200Items_InInputOrderAndEachItemsTextOnlyInItsOwnRequest()
    {
        // Each item's usage names it, so a reply settled on the wrong item would show. The first two items' replies each
        // wait until the other's request has arrived, so two requests are in flight together, whatever the machine's speed.
        using var firstArrived = new ManualResetEventSlim();
        using var secondArrived = new ManualResetEventSlim();
        _server.Responder = request =>
        {
            var index = int.Parse(Marker().Match(request.LastUserText).Groups[1].Value, CultureInfo.InvariantCulture);
            if (index == 0)
            {
                firstArrived.Set();
                Assert.True(secondArrived.Wait(Signals<int>.Guard));
            }
            else if (index == 1)
            {
                secondArrived.Set();
                Assert.True(firstArrived.Wait(Signals<int>.Guard));
            }

            return MockChatReply.Answer("summary of " + request.LastUserText) with { PromptTokens = 1000 + index, CompletionTokens = 7 };
        };
        var items = Enumerable.Range(0, 200).Select(i => $"document {i:D3} marker-{i:D3}-kiwi").ToList();
        var template = new ChatAgent(_client.AsBatchChatClient(Model), new ChatAgentOptions { Instructions = "Summarize in one line." });

        var result = await new BatchRunner().RunBatchAsync(template, items, s => s, r => r.Text, new BatchOptions { MaxConcurrency = 16 });

        Assert.Equal(BatchStopReason.Completed, result.StopReason);
        Assert.Equal(items.Select(i => "summary of " + i), result.Outputs);
        Assert.All(result.Items, item =>
        {
            Assert.Equal(1, item.Attempts);
            Assert.Equal(1000 + item.Index, item.Usage!.InputTokenCount);
            Assert.Equal(7, item.Usage.OutputTokenCount);
        });
        Assert.Equal(200 * 7 + Enumerable.Range(1000, 200).Sum(), result.Usage.TotalTokenCount);

        // Isolation: every request carries the instructions and exactly one item's text, and every item is in one request.
        var requests = _server.Requests;
        Assert.Equal(200, requests.Count);
        var owners = requests.Select(r =>
        {
            Assert.Equal("Summarize in one line.", r.SystemText);
            Assert.Equal(Model, r.Model);
            return Assert.Single(Marker().Matches(r.RawBody).Select(m => m.Value).Distinct());
        }).ToList();
        Assert.Equal(200, owners.Distinct().Count());
        Assert.True(_server.MaxConcurrentRequests > 1);
    }

    [Fact]
    public async Task RunBatchAsync_ToolLoop_EachRoundTripIsACountedAttemptCappedByMaxTurns()
    {
        var lookups = 0;
        var lookup = AIFunctionFactory.Create((string city) => { Interlocked.Increment(ref lookups); return $"{city}: 21C"; }, "get_weather");
        _server.Responder = request => request.LastUserText == "loop" || request.ToolResultCount == 0
            ? MockChatReply.CallTools(new MockToolCall("get_weather", $$"""{"city":"{{request.LastUserText}}"}""")) with { PromptTokens = 50, CompletionTokens = 10 }
            : MockChatReply.Answer("Weather: " + request.Messages.Last(m => m.Role == "tool").Content) with { PromptTokens = 70, CompletionTokens = 5 };
        var template = new ChatAgent(_client.AsBatchChatClient(Model), new ChatAgentOptions { MaxTurns = 3, ChatOptions = new ChatOptions { Tools = [lookup] } });

        var result = await new BatchRunner().RunBatchAsync(template, ["Oslo", "loop", "Lima"], s => s, r => r.Text);

        // The Anthropic client sends a tool's result as its JSON: the string in quotes.
        Assert.Equal("Weather: \"Oslo: 21C\"", result.Outputs[0]);
        Assert.Equal("Weather: \"Lima: 21C\"", result.Outputs[2]);
        Assert.All(new[] { result.Items[0], result.Items[2] }, item =>
        {
            Assert.Equal(2, item.Attempts);
            Assert.Equal(120, item.Usage!.InputTokenCount);
            Assert.Equal(15, item.Usage.OutputTokenCount);
        });
        var looping = result.Items[1];
        Assert.Equal(3, Assert.IsType<MaxTurnsExceededException>(looping.Error).MaxTurns);
        Assert.Equal(3, looping.Attempts);
        Assert.Equal(3 + 2 + 2, _server.RequestCount);

        // The second round trip answered the model's tool_use with a tool_result for the same id.
        var answered = _server.Requests.Where(r => r.ToolResultCount == 1 && r.LastUserText == "Oslo").ToList();
        var second = Assert.Single(answered);
        Assert.Contains("\"type\":\"tool_result\"", second.RawBody, StringComparison.Ordinal);
        Assert.Matches("\"tool_use_id\":\"toolu_mock_\\d+_0\"", second.RawBody);
        // One lookup each for the two cities; the looping item's tool ran after each of its three replies.
        Assert.Equal(1 + 3 + 1, lookups);
    }

    [Fact]
    public async Task StreamingAgent_OverAnthropic_EveryCallStreamsAndSettlesTheReportedUsage()
    {
        _server.Responder = request => MockChatReply.Answer("streamed: " + request.LastUserText) with { PromptTokens = 400, CompletionTokens = 100 };
        var pricing = new ModelPricing(3m, 15m);
        var template = new StreamingAgent(StreamingAgent.Wire(_client.AsBatchChatClient(Model)), new ChatOptions { MaxOutputTokens = 100 });

        var result = await new BatchRunner().RunBatchAsync(template, ["a", "b", "c"], s => s, r => r.Text, new BatchOptions { Pricing = pricing });

        Assert.Equal(["streamed: a", "streamed: b", "streamed: c"], result.Outputs);
        Assert.All(_server.Requests, r => Assert.True(r.IsStreaming));
        Assert.All(result.Items, item =>
        {
            Assert.Equal(400, item.Usage!.InputTokenCount);
            Assert.Equal(100, item.Usage.OutputTokenCount);
            Assert.Equal(pricing.GetCost(400, 100), item.Cost);
            Assert.Equal(1, item.Attempts);
        });
        Assert.Equal(1500, result.Usage.TotalTokenCount);
    }

    [Fact]
    public async Task RunBatchAsync_TokenCap_HoldsOnTheUsageAnthropicReports()
    {
        // Each call is estimated at 100 input tokens plus its 50-token output limit, and reported at 400 + 100: only the
        // reported figures, settled after each call, bring the cap of 1,000 within two calls.
        _server.Responder = _ => MockChatReply.Answer("ok") with { PromptTokens = 400, CompletionTokens = 100 };
        var template = new ChatAgent(_client.AsBatchChatClient(Model), new ChatAgentOptions { ChatOptions = new ChatOptions { MaxOutputTokens = 50 } });

        var result = await new BatchRunner().RunBatchAsync(template, Enumerable.Range(0, 10).Select(i => $"item {i}").ToList(), s => s, r => r.Text, new BatchOptions
        {
            Sequential = true,
            MaxTotalTokens = 1000,
            TokenCounter = new FixedTokenCounter(100),
        });

        Assert.Equal(BatchStopReason.TokenLimitReached, result.StopReason);
        Assert.Equal(2, _server.RequestCount);
        Assert.Equal(1000, result.Usage.TotalTokenCount);
        Assert.Equal(2, result.SucceededCount);
        Assert.All(result.Items.Skip(2), item =>
        {
            Assert.Equal(BatchItemStatus.Skipped, item.Status);
            Assert.False(item.WasSent);
            Assert.IsType<BudgetExceededException>(item.Error);
        });
    }

    [Theory]
    [InlineData(429)]
    [InlineData(529)]
    public async Task RunBatchAsync_RateLimitedOrOverloadedWithRetryAfter_WaitsExactlyWhatTheServerAsked(int status)
    {
        var time = new TimerRecordingTimeProvider();
        var calls = 0;
        _server.Responder = _ => Interlocked.Increment(ref calls) == 1
            ? MockChatReply.Error(status, "slow down") with { Headers = new Dictionary<string, string> { ["retry-after"] = "7" } }
            : MockChatReply.Answer("ok");

        // A backoff of an hour: only the server's 7 seconds can bring the retry within the 7 seconds advanced below.
        var run = new BatchRunner(null, time).RunBatchAsync(
            new ChatAgent(_client.AsBatchChatClient(Model)), ["q"], q => q, r => r.Text, new BatchOptions { RetryBaseDelay = TimeSpan.FromHours(1) });

        await time.TimerCreatedAsync(TimeSpan.FromSeconds(7));
        Assert.Equal(1, _server.RequestCount);
        time.Fake.Advance(TimeSpan.FromSeconds(7));
        var result = await run.WaitAsync(Signals<int>.Guard);

        var item = Assert.Single(result.Items);
        Assert.Equal(BatchItemStatus.Succeeded, item.Status);
        Assert.Equal(2, item.Attempts);
        Assert.Equal(2, _server.RequestCount);
    }

    [Fact]
    public async Task UseAnthropicFaults_OverAClientWithTheRetryAfterHandler_WaitsWhatTheServerAsked()
    {
        // A client with handlers of its own, in a pipeline the caller builds: the classifier's handler in its chain.
        var time = new TimerRecordingTimeProvider();
        var classifier = new AnthropicFaultClassifier();
        var seen = 0;
        using var client = new AnthropicClient(new global::Anthropic.Core.ClientOptions
        {
            ApiKey = "sk-ant-api03-test-key-not-secret",
            BaseUrl = _server.Url.ToString(),
            MaxRetries = 0,
            Handlers = [new CountingHandler(() => Interlocked.Increment(ref seen)), classifier.CreateRetryAfterHandler()],
        });
        var calls = 0;
        _server.Responder = _ => Interlocked.Increment(ref calls) == 1 ? MockChatReply.RateLimited(TimeSpan.FromSeconds(7)) : MockChatReply.Answer("ok");
        var chatClient = new ChatClientBuilder(client.AsIChatClient(Model)).UseAnthropicFaults(classifier).Build();

        var run = new BatchRunner(null, time).RunBatchAsync(new ChatAgent(chatClient), ["q"], q => q, r => r.Text, new BatchOptions { RetryBaseDelay = TimeSpan.FromHours(1) });
        await time.TimerCreatedAsync(TimeSpan.FromSeconds(7));
        time.Fake.Advance(TimeSpan.FromSeconds(7));
        var result = await run.WaitAsync(Signals<int>.Guard);

        Assert.Equal("ok", result.Items[0].Output);
        Assert.Equal(2, seen);

        // AsBatchChatClient leaves such a client's chain as it is, and the client itself still works.
        var again = await new BatchRunner().RunBatchAsync(new ChatAgent(client.AsBatchChatClient(Model)), ["q2"], q => q, r => r.Text);
        Assert.Equal("ok", again.Items[0].Output);
        Assert.NotNull(await client.Messages.Create(new global::Anthropic.Models.Messages.MessageCreateParams { Model = Model, MaxTokens = 8, Messages = [new global::Anthropic.Models.Messages.UserMessageParam("direct")] }));
        Assert.Equal(4, seen);
    }

    [Theory]
    [InlineData(529)]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(408)]
    [InlineData(429)]
    public async Task RunBatchAsync_TransientStatus_IsRetriedAndSucceeds(int status)
    {
        var calls = 0;
        _server.Responder = _ => Interlocked.Increment(ref calls) == 1 ? MockChatReply.Error(status, "try again") : MockChatReply.Answer("ok");

        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(_client.AsBatchChatClient(Model)), ["q"], q => q, r => r.Text, new BatchOptions { RetryBaseDelay = FastRetry });

        var item = Assert.Single(result.Items);
        Assert.Equal("ok", item.Output);
        Assert.Equal(2, item.Attempts);
    }

    [Fact]
    public async Task RunBatchAsync_OverloadedErrorEventInAStream_IsRetriedOnlyWithTheClassifier()
    {
        // A 200 whose stream says overloaded_error in an error event: the client's exception has no status of its own,
        // so only the classifier reads it (as the 529 it stands for); a plain client's batch fails the item at once.
        var calls = new ConcurrentDictionary<string, int>();
        _server.Responder = request => calls.AddOrUpdate(request.LastUserText, 1, static (_, n) => n + 1) == 1
            ? MockChatReply.Raw("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n")
            : MockChatReply.Answer("after the retry");
        var options = new BatchOptions { RetryBaseDelay = FastRetry };

        var classified = await new BatchRunner().RunBatchAsync(new StreamingAgent(StreamingAgent.Wire(_client.AsBatchChatClient(Model))), ["with"], s => s, r => r.Text, options);
        var plain = await new BatchRunner().RunBatchAsync(new StreamingAgent(StreamingAgent.Wire(_client.AsIChatClient(Model))), ["without"], s => s, r => r.Text, options);

        Assert.Equal("after the retry", classified.Items[0].Output);
        Assert.Equal(2, classified.Items[0].Attempts);
        Assert.IsType<AnthropicSseException>(plain.Items[0].Error);
        Assert.Equal(1, plain.Items[0].Attempts);
    }

    [Fact]
    public async Task RunBatchAsync_StreamOverloadedBeforeTheFirstEvent_IsRetried()
    {
        var calls = 0;
        _server.Responder = _ => Interlocked.Increment(ref calls) == 1 ? MockChatReply.Error(529, "Overloaded") : MockChatReply.Answer("after the retry");
        var template = new StreamingAgent(StreamingAgent.Wire(_client.AsBatchChatClient(Model)));

        var result = await new BatchRunner().RunBatchAsync(template, ["q"], s => s, r => r.Text, new BatchOptions { RetryBaseDelay = FastRetry });

        var item = Assert.Single(result.Items);
        Assert.Equal("after the retry", item.Output);
        Assert.Equal(2, item.Attempts);
    }

    [Fact]
    public async Task RunBatchAsync_UnreadableSuccessBody_IsRetriedThenFailsAsAnInvalidResponse()
    {
        _server.Responder = _ => MockChatReply.Raw("""{"id":"msg_x","type":"message","role":"assistant"}""");

        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(_client.AsBatchChatClient(Model)), ["q"], q => q, r => r.Text, new BatchOptions { MaxAttempts = 3, RetryBaseDelay = FastRetry });

        var item = Assert.Single(result.Items);
        var error = Assert.IsType<InvalidModelResponseException>(item.Error);
        Assert.IsType<AnthropicInvalidDataException>(error.InnerException);
        Assert.Equal(3, item.Attempts);
        Assert.True(item.WasSent);
    }

    [Fact]
    public async Task RunBatchAsync_WrongKey_StopsTheBatchAndSkipsWhatWasNotSent()
    {
        _server.Responder = _ => MockChatReply.Error(401, "invalid x-api-key");
        var items = Enumerable.Range(0, 100).Select(i => $"q{i}").ToList();

        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(_client.AsBatchChatClient(Model)), items, s => s, r => r.Text, new BatchOptions { MaxConcurrency = 4, RetryBaseDelay = FastRetry });

        Assert.IsType<AnthropicUnauthorizedException>(result.Error);
        BatchAssert.StoppedAfterTheItemsInFlight(result, _server.RequestCount, 4, error => Assert.IsType<AnthropicUnauthorizedException>(error));
    }

    public static TheoryData<string, int, string> QuotaErrors => new()
    {
        { "402 billing_error", 402, """{"type":"error","error":{"type":"billing_error","message":"Your payment method was declined."}}""" },
        { "429 spend limit", 429, """{"type":"error","error":{"type":"rate_limit_error","message":"Monthly usage threshold reached.","details":{"error_code":"enforced_spend_limit_reached"}}}""" },
        { "400 credit balance", 400, """{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."}}""" },
    };

    [Theory]
    [MemberData(nameof(QuotaErrors))]
    public async Task RunBatchAsync_UsedUpCreditOrSpendLimit_StopsTheBatchWithoutRetries(string name, int status, string body)
    {
        _server.Responder = _ => MockChatReply.Raw(body, status);
        var items = Enumerable.Range(0, 50).Select(i => $"q{i}").ToList();

        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(_client.AsBatchChatClient(Model)), items, s => s, r => r.Text, new BatchOptions { MaxConcurrency = 4, RetryBaseDelay = FastRetry });

        Assert.Equal(status, (int)Assert.IsAssignableFrom<AnthropicApiException>(result.Error).StatusCode);
        Assert.True(TransientFaults.StopsBatch(TransientFaults.Read(result.Error!, AnthropicFaultClassifier.Default, out _)), name);
        BatchAssert.StoppedAfterTheItemsInFlight(result, _server.RequestCount, 4, error => Assert.IsType(result.Error!.GetType(), error));
    }

    [Fact]
    public async Task RunBatchAsync_OrdinaryBadRequest_FailsOnlyItsItem()
    {
        _server.Responder = request => request.LastUserText == "bad"
            ? MockChatReply.Error(400, "messages.0.content: unsupported block")
            : MockChatReply.Answer("ok");

        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(_client.AsBatchChatClient(Model)), ["good", "bad", "good too"], s => s, r => r.Text, new BatchOptions { RetryBaseDelay = FastRetry });

        Assert.Equal(BatchStopReason.Completed, result.StopReason);
        Assert.IsType<AnthropicBadRequestException>(result.Items[1].Error);
        Assert.Equal(1, result.Items[1].Attempts);
        Assert.Equal(2, result.SucceededCount);
    }

    [Fact]
    public async Task RunBatchAsync_ServerEchoesTheKey_TheKeyNeverReachesResultsExceptionsOrLogs()
    {
        const string Key = "sk-ant-api03-DO-NOT-LEAK-7d1e9b44c0a2f6358e";
        using var client = TestChatClients.Anthropic(_server.Url, Key);
        var logs = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(logs)).SetMinimumLevel(LogLevel.Trace));

        // A proxy that echoes the request's credential in its error bodies: in the message, and as an x-api-key value.
        _server.Responder = request =>
        {
            var i = int.Parse(request.LastUserText.Split('-')[1], CultureInfo.InvariantCulture);
            return (i % 3) switch
            {
                0 => MockChatReply.Error(400, $"Request rejected for key {request.ApiKey}: unsupported parameter."),
                1 => MockChatReply.Error(529, $"overloaded (x-api-key: {request.ApiKey})"),
                _ => MockChatReply.Answer($"COMPLETION-{i}"),
            };
        };
        var items = Enumerable.Range(0, 9).Select(i => $"PROMPT-{i}").ToList();

        var result = await new BatchRunner(loggerFactory).RunBatchAsync(
            new ChatAgent(client.AsBatchChatClient(Model)), items, s => s, r => r.Text, new BatchOptions { MaxAttempts = 2, RetryBaseDelay = FastRetry });

        // Controls: the server did echo the key, and the errors keep their types, statuses and request ids.
        Assert.Equal(Key, _server.Requests[0].ApiKey);
        Assert.Equal(3, result.SucceededCount);
        Assert.Equal(3, result.Items.Count(i => i.Error is AnthropicBadRequestException { StatusCode: System.Net.HttpStatusCode.BadRequest }));
        var overloaded = result.Items.Where(i => i.Error is AnthropicOverloadedException).ToList();
        Assert.Equal(3, overloaded.Count);
        Assert.All(overloaded, i =>
        {
            Assert.Equal(2, i.Attempts);
            Assert.StartsWith("req_mock_", ((AnthropicApiException)i.Error!).RequestID, StringComparison.Ordinal);
        });
        Assert.Contains(logs.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Id.Id == 105);   // the warning of a client without a classifier

        Assert.DoesNotContain(Key, result.ToString(), StringComparison.Ordinal);
        foreach (var item in result.Items)
        {
            Assert.DoesNotContain(Key, item.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain(Key, item.Error?.ToString() ?? string.Empty, StringComparison.Ordinal);
            Assert.DoesNotContain(Key, (item.Error as AnthropicApiException)?.ResponseBody ?? string.Empty, StringComparison.Ordinal);
            Assert.DoesNotContain(Key, (item.Error as AnthropicApiException)?.Body.GetRawText() ?? string.Empty, StringComparison.Ordinal);
        }

        foreach (var record in logs.GetSnapshot())
        {
            Assert.DoesNotContain(Key, $"{record.Message}\n{record.Exception}\n{string.Join(";", record.StructuredState?.Select(kv => $"{kv.Key}={kv.Value}") ?? [])}", StringComparison.Ordinal);
        }
    }

    private sealed class CountingHandler(Action onRequest) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            onRequest();
            return base.SendAsync(request, cancellationToken);
        }
    }

    [GeneratedRegex("marker-(\\d{3})-kiwi")]
    private static partial Regex Marker();
}
