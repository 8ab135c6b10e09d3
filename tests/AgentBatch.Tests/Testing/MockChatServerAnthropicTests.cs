using System.Net;
using System.Text;
using System.Text.Json;
using AgentBatch.Testing;
using Anthropic;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using Microsoft.Extensions.AI;
using AnthropicErrorType = Anthropic.Models.ErrorType;
using ClientOptions = Anthropic.Core.ClientOptions;

namespace AgentBatch.Tests.Testing;

/// <summary><c>MockChatServer</c>'s <c>POST /v1/messages</c>, driven through the official Anthropic client (13.14) over HTTP.</summary>
public sealed class MockChatServerAnthropicTests : IDisposable
{
    private const string Key = "sk-ant-api03-mock-test-key-0000";

    // Unique across servers, as a provider's are: the server's own tag, then the request's sequence number.
    private const string RequestIdPattern = "^req_mock_[0-9a-f]{8}_000000$";
    private readonly MockChatServer _server = MockChatServer.Start();
    private readonly AnthropicClient _client;

    public MockChatServerAnthropicTests()
    {
        _client = new AnthropicClient(new ClientOptions { ApiKey = Key, BaseUrl = _server.Url.ToString(), MaxRetries = 0, ResponseValidation = true });
    }

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
    }

    [Fact]
    public async Task Create_TextAnswer_IsAnAnthropicMessageWithUsageAndARequestId()
    {
        _server.Responder = request => MockChatReply.Answer($"re: {request.LastUserText} ({request.SystemText}, {request.MaxTokens})") with { PromptTokens = 12, CompletionTokens = 3 };

        using var response = await _client.WithRawResponse.Messages.Create(new MessageCreateParams
        {
            Model = "claude-test-1",
            MaxTokens = 64,
            System = "Be brief.",
            Messages = [new UserMessageParam("hello")],
        });
        var message = await response.Deserialize();

        Assert.Equal("re: hello (Be brief., 64)", Assert.Single(message.Content).Value is TextBlock text ? text.Text : null);
        Assert.Equal(StopReason.EndTurn, message.StopReason!.Value());
        Assert.Equal(12, message.Usage.InputTokens);
        Assert.Equal(3, message.Usage.OutputTokens);
        Assert.Equal("claude-test-1", message.Model.Raw());
        Assert.Matches(RequestIdPattern, response.RequestID);

        var request = Assert.Single(_server.Requests);
        Assert.False(request.IsStreaming);
        Assert.Equal("claude-test-1", request.Model);
        Assert.Equal(Key, request.ApiKey);
        Assert.True(request.Headers.ContainsKey("anthropic-version"));
        Assert.Contains("\"hello\"", request.RawBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChatClient_ToolLoop_ToolUseAndToolResultReadAsToolCallsAndToolMessages()
    {
        _server.Responder = request => request.ToolResultCount == 0
            ? MockChatReply.CallTools(new MockToolCall("get_weather", """{"city":"Paris"}"""))
            : MockChatReply.Answer("sunny, said " + request.Messages[^1].Content);
        var chat = _client.AsIChatClient("claude-test-1");
        var tool = AIFunctionFactory.Create((string city) => "sunny in " + city, "get_weather", "Gets the weather.");
        var options = new ChatOptions { Tools = [tool] };
        List<ChatMessage> history = [new(ChatRole.System, "You report weather."), new(ChatRole.User, "Weather in Paris?")];

        var first = await chat.GetResponseAsync(history, options);
        var call = Assert.IsType<FunctionCallContent>(Assert.Single(first.Messages.SelectMany(m => m.Contents), c => c is FunctionCallContent));
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("toolu_mock_0_0", call.CallId);
        Assert.Equal("Paris", call.Arguments!["city"]!.ToString());
        Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);

        history.AddRange(first.Messages);
        history.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent(call.CallId, "sunny in Paris")]));
        var second = await chat.GetResponseAsync(history, options);

        Assert.Equal("sunny, said sunny in Paris", second.Text);
        var requests = _server.Requests;
        Assert.Equal(["get_weather"], requests[0].ToolNames);
        Assert.Equal("You report weather.", requests[1].SystemText);
        Assert.Equal(1, requests[1].ToolResultCount);
        Assert.Contains(requests[1].Messages, m => m.Role == "assistant" && m.ToolCallNames.SequenceEqual(["get_weather"]));
        Assert.Contains(requests[1].Messages, m => m.Role == "tool" && m.ToolCallId == "toolu_mock_0_0" && m.Content == "sunny in Paris");
    }

    [Fact]
    public async Task ChatClient_ImageBlocks_KeepTheTextAndReachTheResponder()
    {
        var chat = _client.AsIChatClient("claude-test-1");

        var response = await chat.GetResponseAsync([new ChatMessage(ChatRole.User, [new TextContent("What is this?"), new DataContent(new byte[] { 1, 2, 3 }, "image/png")])]);

        Assert.Equal("Echo: What is this?", response.Text);
        var request = Assert.Single(_server.Requests);
        Assert.Equal("What is this?", request.LastUserText);
        Assert.Contains("\"type\":\"image\"", request.RawBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_IsAnthropicsEventSequence()
    {
        _server.Responder = _ => MockChatReply.Answer("a streamed answer") with { PromptTokens = 20, CompletionTokens = 4 };

        var body = await PostAsync("""{"model":"claude-test-1","max_tokens":32,"stream":true,"messages":[{"role":"user","content":"hi"}]}""");

        var events = body.Split('\n').Where(l => l.StartsWith("event: ", StringComparison.Ordinal)).Select(l => l["event: ".Length..]).ToArray();
        Assert.Equal(
            ["message_start", "ping", "content_block_start", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"],
            events);
        var data = body.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l["data: ".Length..]).RootElement).ToArray();
        Assert.Equal(20, data[0].GetProperty("message").GetProperty("usage").GetProperty("input_tokens").GetInt32());
        Assert.Equal("end_turn", data[8].GetProperty("delta").GetProperty("stop_reason").GetString());
        Assert.Equal(4, data[8].GetProperty("usage").GetProperty("output_tokens").GetInt32());
        Assert.Equal("a streamed answer", string.Concat(data.Where(d => d.GetProperty("type").GetString() == "content_block_delta").Select(d => d.GetProperty("delta").GetProperty("text").GetString())));
    }

    [Fact]
    public async Task ChatClient_StreamedAnswerAndToolCall_ArriveWithTheUsageSettled()
    {
        _server.Responder = request => request.LastUserText == "tool"
            ? MockChatReply.CallTools(new MockToolCall("lookup", """{"id":42}""")) with { PromptTokens = 30, CompletionTokens = 9 }
            : MockChatReply.Answer("streamed text") with { PromptTokens = 20, CompletionTokens = 4 };
        var chat = _client.AsIChatClient("claude-test-1");

        var text = await chat.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "text")]).ToChatResponseAsync();
        var tool = await chat.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "tool")]).ToChatResponseAsync();

        Assert.Equal("streamed text", text.Text);
        Assert.Equal((20L, 4L), (text.Usage!.InputTokenCount!.Value, text.Usage.OutputTokenCount!.Value));
        Assert.Equal(ChatFinishReason.Stop, text.FinishReason);
        var call = Assert.IsType<FunctionCallContent>(Assert.Single(tool.Messages.SelectMany(m => m.Contents), c => c is FunctionCallContent));
        Assert.Equal(("lookup", "42"), (call.Name, call.Arguments!["id"]!.ToString()));
        Assert.Equal((30L, 9L), (tool.Usage!.InputTokenCount!.Value, tool.Usage.OutputTokenCount!.Value));
        Assert.All(_server.Requests, r => Assert.True(r.IsStreaming));
    }

    public static TheoryData<int, AnthropicErrorType, System.Type> Errors => new()
    {
        { 400, AnthropicErrorType.InvalidRequestError, typeof(AnthropicBadRequestException) },
        { 401, AnthropicErrorType.AuthenticationError, typeof(AnthropicUnauthorizedException) },
        { 402, AnthropicErrorType.BillingError, typeof(AnthropicPaymentRequiredException) },
        { 403, AnthropicErrorType.PermissionError, typeof(AnthropicForbiddenException) },
        { 404, AnthropicErrorType.NotFoundError, typeof(AnthropicNotFoundException) },
        { 429, AnthropicErrorType.RateLimitError, typeof(AnthropicRateLimitException) },
        { 500, AnthropicErrorType.ApiError, typeof(Anthropic5xxException) },
        { 529, AnthropicErrorType.OverloadedError, typeof(AnthropicOverloadedException) },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public async Task Create_ErrorStatus_IsAnAnthropicErrorTheClientReads(int status, AnthropicErrorType type, System.Type exceptionType)
    {
        _server.Responder = _ => MockChatReply.Error(status, "mock says no");

        var error = await Assert.ThrowsAnyAsync<AnthropicApiException>(() => _client.Messages.Create(Params("q")));

        Assert.IsType(exceptionType, error);
        Assert.Equal(status, (int)error.StatusCode);
        Assert.Equal(type, error.Type!.Value());
        Assert.Equal("mock says no", error.ApiMessage);
        Assert.Matches(RequestIdPattern, error.RequestID);
    }

    [Fact]
    public async Task RequestIds_AreUniqueAcrossServers()
    {
        using var other = MockChatServer.Start(_ => MockChatReply.Error(429));
        _server.Responder = _ => MockChatReply.Error(429);
        using var otherClient = TestChatClients.Anthropic(other.Url);

        var first = await Assert.ThrowsAsync<AnthropicRateLimitException>(() => _client.Messages.Create(Params("q")));
        var second = await Assert.ThrowsAsync<AnthropicRateLimitException>(() => otherClient.Messages.Create(Params("q")));

        Assert.NotEqual(first.RequestID, second.RequestID);
    }

    [Fact]
    public async Task RateLimited_SendsRetryAfterAndARequestIdHeader()
    {
        _server.Responder = _ => MockChatReply.RateLimited(TimeSpan.FromSeconds(7));
        using var http = new HttpClient();

        using var response = await http.PostAsync(new Uri(_server.Url, "/v1/messages"), Json("""{"model":"m","max_tokens":8,"messages":[{"role":"user","content":"q"}]}"""));

        Assert.Equal(429, (int)response.StatusCode);
        Assert.Equal("7", Assert.Single(response.Headers.GetValues("retry-after")));
        var requestId = Assert.Single(response.Headers.GetValues("request-id"));
        Assert.Matches(RequestIdPattern, requestId);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("error", body.RootElement.GetProperty("type").GetString());
        Assert.Equal("rate_limit_error", body.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(requestId, body.RootElement.GetProperty("request_id").GetString());
    }

    [Theory]
    [InlineData("""{"max_tokens":8,"messages":[{"role":"user","content":"q"}]}""", "model: Field required")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"q"}]}""", "max_tokens: Field required")]
    [InlineData("""{"model":"m","max_tokens":8,"messages":[]}""", "messages: Field required")]
    [InlineData("""{"model":""", "not valid JSON")]
    public async Task InvalidParams_AreRefusedWith400BeforeTheResponder(string body, string message)
    {
        using var http = new HttpClient();

        using var response = await http.PostAsync(new Uri(_server.Url, "/v1/messages"), Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("invalid_request_error", error.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains(message, error.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, _server.RequestCount);
    }

    [Fact]
    public async Task Faults_BreakTheAnthropicClientsRead()
    {
        var chat = _client.AsIChatClient("claude-test-1");
        _server.Responder = request => request.LastUserText switch
        {
            "empty" => MockChatReply.Faulted(MockFault.EmptyResponse),
            "malformed" => MockChatReply.Faulted(MockFault.MalformedResponseChunk),
            _ => MockChatReply.Answer("the first words of a longer answer") with { Fault = MockFault.DropAfterFirstChunk },
        };

        await Assert.ThrowsAnyAsync<Exception>(() => chat.GetResponseAsync([new ChatMessage(ChatRole.User, "empty")]));
        await Assert.ThrowsAnyAsync<Exception>(() => chat.GetResponseAsync([new ChatMessage(ChatRole.User, "malformed")]));
        await Assert.ThrowsAnyAsync<Exception>(() => chat.GetResponseAsync([new ChatMessage(ChatRole.User, "dropped")]));

        // A stream cut after its first chunk has already handed on the first words.
        var received = new StringBuilder();
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var update in chat.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "dropped")]))
            {
                received.Append(update.Text);
            }
        });
        Assert.Equal("the first", received.ToString());
    }

    [Fact]
    public async Task OneResponder_AnswersBothProviders()
    {
        _server.Responder = request => MockChatReply.Answer($"{request.Model}: {request.LastUserText}");

        var openAI = await _server.CreateChatClient("gpt-4o-mini").GetResponseAsync("question");
        var anthropic = await _client.AsIChatClient("claude-test-1").GetResponseAsync("question");

        Assert.Equal("gpt-4o-mini: question", openAI.Text);
        Assert.Equal("claude-test-1: question", anthropic.Text);
        Assert.Equal(2, _server.RequestCount);
    }

    private static MessageCreateParams Params(string question) => new()
    {
        Model = "claude-test-1",
        MaxTokens = 64,
        Messages = [new UserMessageParam(question)],
    };

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private async Task<string> PostAsync(string body)
    {
        using var http = new HttpClient();
        using var response = await http.PostAsync(new Uri(_server.Url, "/v1/messages"), Json(body));
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }
}
