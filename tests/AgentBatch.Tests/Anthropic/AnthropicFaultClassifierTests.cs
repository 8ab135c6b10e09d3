using System.Net;
using System.Text.Json;
using AgentBatch.Internal;
using Anthropic.Exceptions;
using Anthropic.Models;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using ClientOptions = Anthropic.Core.ClientOptions;

namespace AgentBatch.Tests.Anthropic;

/// <summary>What <see cref="AnthropicFaultClassifier"/> reads from the Anthropic client's exceptions, and how it redacts them.</summary>
public sealed class AnthropicFaultClassifierTests
{
    private const string Key = "sk-ant-api03-Zq81QmT4vYc2LwPa9KdE-leak";

    public static TheoryData<int, string, bool, string> Statuses => new()
    {
        // status, error type, transient, stops the batch
        { 400, "invalid_request_error", false, "no" },
        { 401, "authentication_error", false, "stops" },
        { 403, "permission_error", false, "stops" },
        { 404, "not_found_error", false, "stops" },
        { 408, "timeout_error", true, "no" },
        { 413, "request_too_large", false, "no" },
        { 429, "rate_limit_error", true, "no" },
        { 500, "api_error", true, "no" },
        { 503, "api_error", true, "no" },
        { 529, "overloaded_error", true, "no" },
    };

    [Theory]
    [MemberData(nameof(Statuses))]
    public void TryClassify_ApiException_ReadsItsStatusAndType(int status, string type, bool transient, string stops)
    {
        var error = ApiError(status, type, "mock says no");

        Assert.True(AnthropicFaultClassifier.Default.TryClassify(error, out var fault));

        Assert.Equal(status, fault!.StatusCode);
        Assert.Equal(type, fault.ErrorCode);
        Assert.False(fault.QuotaExhausted);
        Assert.False(fault.UnreadableReply);
        Assert.Null(fault.RetryAfter);
        Assert.Equal(transient, TransientFaults.IsTransient(error, fault));
        Assert.Equal(stops == "stops", TransientFaults.StopsBatch(fault));
        Assert.Equal(status == 429, TransientFaults.IsRateLimited(fault));
        Assert.False(TransientFaults.MayHaveBeenBilled(error, fault));
    }

    public static TheoryData<string, int, string> QuotaBodies => new()
    {
        { "402", 402, """{"type":"error","error":{"type":"billing_error","message":"Payment required."}}""" },
        { "billing_error", 400, """{"type":"error","error":{"type":"billing_error","message":"Your payment method was declined."}}""" },
        { "enforced spend limit", 429, """{"type":"error","error":{"type":"rate_limit_error","message":"limit","details":{"error_code":"enforced_spend_limit_reached"}}}""" },
        { "contract spend limit", 429, """{"type":"error","error":{"type":"rate_limit_error","message":"limit","details":{"error_code":"contract_spend_limit_reached"}}}""" },
        { "credit balance", 400, """{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API."}}""" },
        { "usage limits", 400, """{"type":"error","error":{"type":"invalid_request_error","message":"You have reached your specified API usage limits. You will regain access on 2026-12-01."}}""" },
    };

    [Theory]
    [MemberData(nameof(QuotaBodies))]
    public void TryClassify_UsedUpCreditOrSpendLimit_IsAUsedUpQuotaThatStopsTheBatch(string name, int status, string body)
    {
        var error = AnthropicExceptionFactory.CreateApiException((HttpStatusCode)status, body);

        Assert.True(AnthropicFaultClassifier.Default.TryClassify(error, out var fault), name);

        Assert.True(fault!.QuotaExhausted, name);
        Assert.False(TransientFaults.IsTransient(error, fault));
        Assert.False(TransientFaults.IsRateLimited(fault));
        Assert.True(TransientFaults.StopsBatch(fault));
    }

    [Fact]
    public void TryClassify_SpendLimit_NamesItsErrorCodeAndKeepsTheClientsType()
    {
        var error = AnthropicExceptionFactory.CreateApiException(
            HttpStatusCode.TooManyRequests, """{"type":"error","error":{"type":"rate_limit_error","message":"limit","details":{"error_code":"enforced_spend_limit_reached"}}}""");

        AnthropicFaultClassifier.Default.TryClassify(error, out var fault);

        Assert.IsType<AnthropicEnforcedSpendLimitReachedException>(error);
        Assert.Equal("enforced_spend_limit_reached", fault!.ErrorCode);
    }

    [Theory]
    [InlineData("""{"type":"error","error":{"type":"sk-ant-api03-abcdefgh12345678","message":"x"}}""")]
    [InlineData("""{"type":"error","error":{"type":"Rate Limit!","message":"x"}}""")]
    [InlineData("""not json at all""")]
    [InlineData("")]
    public void TryClassify_ErrorCodeNotShapedLikeOne_IsLeftOutOfTheFault(string body)
    {
        var error = AnthropicExceptionFactory.CreateApiException(HttpStatusCode.InternalServerError, body);

        Assert.True(AnthropicFaultClassifier.Default.TryClassify(error, out var fault));

        Assert.Equal(500, fault!.StatusCode);
        Assert.Null(fault.ErrorCode);
    }

    [Theory]
    [InlineData("overloaded_error", 529, true)]
    [InlineData("rate_limit_error", 429, true)]
    [InlineData("api_error", 500, true)]
    [InlineData("authentication_error", 401, false)]
    [InlineData("something_new", 500, true)]
    public void TryClassify_ErrorEventInAStream_IsReadAsTheStatusItsTypeStandsFor(string type, int status, bool transient)
    {
        var error = SseError($$$"""{"type":"error","error":{"type":"{{{type}}}","message":"mid-stream"}}""");

        Assert.True(AnthropicFaultClassifier.Default.TryClassify(error, out var fault));

        Assert.Equal(status, fault!.StatusCode);
        Assert.Equal(transient, TransientFaults.IsTransient(error, fault));
    }

    [Fact]
    public void TryClassify_UnreadableSuccessBody_IsAnUnreadableReplyRetriedAndMaybeBilled()
    {
        var error = new AnthropicInvalidDataException("'content' cannot be absent");

        Assert.True(AnthropicFaultClassifier.Default.TryClassify(error, out var fault));

        Assert.True(fault!.UnreadableReply);
        Assert.True(TransientFaults.IsTransient(error, fault));
        Assert.True(TransientFaults.MayHaveBeenBilled(error, fault));
        Assert.IsType<InvalidModelResponseException>(TransientFaults.AsInvalidResponse(error, fault));
    }

    [Fact]
    public void TryClassify_ErrorsThatAreNotTheClientsOwn_AreLeftToTheCore()
    {
        Assert.False(AnthropicFaultClassifier.Default.TryClassify(new HttpRequestException("refused"), out var fault));
        Assert.Null(fault);
        Assert.False(AnthropicFaultClassifier.Default.TryClassify(new InvalidOperationException("mine"), out _));

        // A dropped connection: the core finds the HttpRequestException inside and retries it.
        var io = new AnthropicIOException("I/O exception", new HttpRequestException("connection reset"));
        Assert.False(AnthropicFaultClassifier.Default.TryClassify(io, out _));
        Assert.True(TransientFaults.IsTransient(io, TransientFaults.Read(io, AnthropicFaultClassifier.Default, out _)));
    }

    [Fact]
    public async Task RetryAfterHandler_RemembersTheWaitByRequestId_AndTheClassifierFindsIt()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var classifier = new AnthropicFaultClassifier(time);
        using var invoker = Invoker(classifier, new Dictionary<string, (string? Ms, string? After)>
        {
            ["req_seconds"] = (null, "7"),
            ["req_ms"] = ("1500", "9"),
            ["req_date"] = (null, time.GetUtcNow().AddSeconds(30).ToString("R")),
            ["req_capped"] = (null, "3600"),
        });

        foreach (var id in new[] { "req_seconds", "req_ms", "req_date", "req_capped", "req_none" })
        {
            using var response = await invoker.SendAsync(new HttpRequestMessage(HttpMethod.Post, "http://mock/v1/messages") { Headers = { { "x-id", id } } }, CancellationToken.None);
        }

        Assert.Equal(TimeSpan.FromSeconds(7), WaitOf(classifier, "req_seconds"));
        Assert.Equal(TimeSpan.FromMilliseconds(1500), WaitOf(classifier, "req_ms"));
        Assert.Equal(TimeSpan.FromSeconds(30), WaitOf(classifier, "req_date"));
        Assert.Equal(ResilienceConstants.MaxRetryDelay, WaitOf(classifier, "req_capped"));
        Assert.Null(WaitOf(classifier, "req_none"));
        Assert.Null(WaitOf(classifier, "req_never_sent"));

        // Read twice, the same wait; another classifier's handler never wrote it.
        Assert.Equal(TimeSpan.FromSeconds(7), WaitOf(classifier, "req_seconds"));
        Assert.Null(WaitOf(new AnthropicFaultClassifier(time), "req_seconds"));
    }

    [Fact]
    public async Task RetryAfterHandler_KeepsOnlyTheLatestResponses()
    {
        var classifier = new AnthropicFaultClassifier();
        var waits = Enumerable.Range(0, ErrorResponseWaits.Capacity + 1).ToDictionary(i => $"req_{i}", _ => ((string?)null, (string?)"2"));
        using var invoker = Invoker(classifier, waits);

        foreach (var id in waits.Keys)
        {
            using var response = await invoker.SendAsync(new HttpRequestMessage(HttpMethod.Post, "http://mock/v1/messages") { Headers = { { "x-id", id } } }, CancellationToken.None);
        }

        Assert.Null(WaitOf(classifier, "req_0"));
        Assert.Equal(TimeSpan.FromSeconds(2), WaitOf(classifier, "req_1"));
        Assert.Equal(TimeSpan.FromSeconds(2), WaitOf(classifier, $"req_{ErrorResponseWaits.Capacity}"));
    }

    [Fact]
    public void Redact_KeyInTheBody_CopyKeepsTypeStatusAndRequestIdsWithoutTheKey()
    {
        var error = new AnthropicUnauthorizedException
        {
            StatusCode = HttpStatusCode.Unauthorized,
            ResponseBody = $$$"""{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key: {{{Key}}}"}}""",
            RequestID = "req_0123",
            WorkspaceID = "wrkspc_9",
        };
        Assert.Contains(Key, AnthropicFaultClassifier.Default.GetServerText(error), StringComparison.Ordinal);

        var redacted = SecretRedactor.Default.Redact(error, AnthropicFaultClassifier.Default);

        var copy = Assert.IsType<AnthropicUnauthorizedException>(redacted);
        Assert.Equal(HttpStatusCode.Unauthorized, copy.StatusCode);
        Assert.Equal("req_0123", copy.RequestID);
        Assert.Equal("wrkspc_9", copy.WorkspaceID);
        Assert.Equal("authentication_error", copy.Type!.Raw());
        Assert.DoesNotContain(Key, copy.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, copy.ResponseBody, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, copy.Body.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(Key, copy.ToString(), StringComparison.Ordinal);
        Assert.Contains(SecretRedactor.Mask, copy.ApiMessage, StringComparison.Ordinal);
        Assert.True(AnthropicFaultClassifier.Default.TryClassify(copy, out var fault));
        Assert.True(TransientFaults.StopsBatch(fault));
    }

    [Fact]
    public void Redact_ErrorCodeSubtypeAndStreamError_KeepTheirTypes()
    {
        var spend = AnthropicExceptionFactory.CreateApiException(
            HttpStatusCode.TooManyRequests,
            $$$$"""{"type":"error","error":{"type":"rate_limit_error","message":"limit for {{{{Key}}}}","details":{"error_code":"enforced_spend_limit_reached"}}}""");
        var stream = SseError($$$"""{"type":"error","error":{"type":"overloaded_error","message":"Overloaded for {{{Key}}}"}}""");

        var redactedSpend = SecretRedactor.Default.Redact(spend, AnthropicFaultClassifier.Default);
        var redactedStream = SecretRedactor.Default.Redact(stream, AnthropicFaultClassifier.Default);

        Assert.IsType<AnthropicEnforcedSpendLimitReachedException>(redactedSpend);
        Assert.DoesNotContain(Key, redactedSpend.ToString(), StringComparison.Ordinal);
        var sse = Assert.IsType<AnthropicSseException>(redactedStream);
        Assert.DoesNotContain(Key, sse.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Key, sse.Body.GetRawText(), StringComparison.Ordinal);
        Assert.True(AnthropicFaultClassifier.Default.TryClassify(sse, out var fault));
        Assert.Equal(529, fault!.StatusCode);
    }

    [Fact]
    public void Redact_NotTheClientsType_IsLeftToTheCore()
    {
        Assert.Null(AnthropicFaultClassifier.Default.Redact(new TimeoutException(Key), s => s, null));
        Assert.Null(AnthropicFaultClassifier.Default.GetServerText(new TimeoutException(Key)));
    }

    [Fact]
    public void AsBatchChatClient_CarriesTheClassifierAndLeavesTheClientAsItWas()
    {
        using var client = new global::Anthropic.AnthropicClient(new ClientOptions { ApiKey = Key, BaseUrl = "http://127.0.0.1:1", MaxRetries = 0 });

        var chat = client.AsBatchChatClient("claude-test-1");

        Assert.Same(AnthropicFaultClassifier.Default, chat.GetService<ModelFaultClassifier>());
        Assert.Same(AnthropicFaultClassifier.Default, chat.GetService<AnthropicFaultClassifier>());
        var metadata = chat.GetService<ChatClientMetadata>();
        Assert.Equal("anthropic", metadata!.ProviderName);
        Assert.Equal("claude-test-1", metadata.DefaultModelId);
        Assert.Empty(client.Handlers);
    }

    [Fact]
    public void UseAnthropicFaults_AddsTheGivenClassifierOrTheDefault()
    {
        var own = new AnthropicFaultClassifier();

        var withDefault = new ChatClientBuilder(new FakeChatClient()).UseAnthropicFaults().Build();
        var withOwn = new ChatClientBuilder(new FakeChatClient()).UseAnthropicFaults(own).Build();

        Assert.Same(AnthropicFaultClassifier.Default, withDefault.GetService<ModelFaultClassifier>());
        Assert.Same(own, withOwn.GetService<ModelFaultClassifier>());
    }

    [Fact]
    public void InvalidArguments_Throw()
    {
        using var client = new global::Anthropic.AnthropicClient(new ClientOptions { ApiKey = Key, BaseUrl = "http://127.0.0.1:1" });

        Assert.Throws<ArgumentNullException>("client", () => AnthropicBatchChatClientExtensions.AsBatchChatClient(null!, "m"));
        Assert.Throws<ArgumentNullException>("model", () => client.AsBatchChatClient(null!));
        Assert.Throws<ArgumentException>("model", () => client.AsBatchChatClient(" "));
        Assert.Throws<ArgumentNullException>("builder", () => AnthropicBatchChatClientExtensions.UseAnthropicFaults(null!));
        Assert.Throws<ArgumentNullException>("exception", () => AnthropicFaultClassifier.Default.TryClassify(null!, out _));
    }

    private static AnthropicApiException ApiError(int status, string type, string message) =>
        AnthropicExceptionFactory.CreateApiException((HttpStatusCode)status, $$"""{"type":"error","error":{"type":"{{type}}","message":"{{message}}"},"request_id":"req_x"}""");

    private static AnthropicSseException SseError(string data) =>
        new($"SSE error returned from server: '{data}'") { Body = JsonDocument.Parse(data).RootElement.Clone() };

    private static TimeSpan? WaitOf(AnthropicFaultClassifier classifier, string requestId)
    {
        var error = new AnthropicRateLimitException { StatusCode = HttpStatusCode.TooManyRequests, ResponseBody = "{}", RequestID = requestId };
        Assert.True(classifier.TryClassify(error, out var fault));
        return fault!.RetryAfter;
    }

    /// <summary>The classifier's handler over a stub that answers 429 with the given waits, by the request's <c>x-id</c>.</summary>
    private static HttpMessageInvoker Invoker(AnthropicFaultClassifier classifier, IReadOnlyDictionary<string, (string? Ms, string? After)> waits)
    {
        var handler = classifier.CreateRetryAfterHandler();
        handler.InnerHandler = new StubHandler(request =>
        {
            var id = request.Headers.GetValues("x-id").Single();
            var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests) { Content = new StringContent("{}") };
            response.Headers.Add("request-id", id);
            if (waits.TryGetValue(id, out var wait))
            {
                if (wait.Ms is { } ms)
                {
                    response.Headers.Add("retry-after-ms", ms);
                }

                if (wait.After is { } after)
                {
                    response.Headers.TryAddWithoutValidation("retry-after", after);
                }
            }

            return response;
        });
        return new HttpMessageInvoker(handler);
    }

    private sealed class StubHandler(Func<HttpRequestMessage, HttpResponseMessage> respond) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => Task.FromResult(respond(request));
    }
}
