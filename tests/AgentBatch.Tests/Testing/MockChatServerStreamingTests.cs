using System.ClientModel;
using System.Text.Json;
using AgentBatch.Testing;
using Microsoft.Extensions.AI;

namespace AgentBatch.Tests.Testing;

/// <summary>The mock server's streaming wire format and request headers, driven through the real OpenAI client.</summary>
public sealed class MockChatServerStreamingTests : IDisposable
{
    private readonly MockChatServer _server = MockChatServer.Start();

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task GetStreamingResponseAsync_TextReply_StreamsDeltasThatAssembleToTheText()
    {
        const string Answer = "The quick brown fox jumps over the lazy dog, twice.";
        _server.Responder = _ => MockChatReply.Answer(Answer);

        var updates = await CollectAsync(_server.CreateChatClient());

        Assert.True(_server.Requests.Single().IsStreaming);
        Assert.True(updates.Count(u => !string.IsNullOrEmpty(u.Text)) > 1, "the text should arrive in several deltas");
        var response = updates.ToChatResponse();
        Assert.Equal(Answer, response.Text);
        Assert.Equal(ChatRole.Assistant, response.Messages.Single().Role);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_ReplyWithUsage_SendsTheNonStreamingFiguresAsUsageContent()
    {
        var client = _server.CreateChatClient();
        _server.Responder = _ => MockChatReply.Answer("Forty-two, as usual.");
        var whole = await client.GetResponseAsync("What is the answer?");

        var updates = await CollectAsync(client, "What is the answer?");

        var streamed = updates.ToChatResponse();
        Assert.NotNull(whole.Usage);
        Assert.NotNull(streamed.Usage);
        Assert.Equal(whole.Usage.InputTokenCount, streamed.Usage.InputTokenCount);
        Assert.Equal(whole.Usage.OutputTokenCount, streamed.Usage.OutputTokenCount);
        Assert.Equal(whole.Usage.TotalTokenCount, streamed.Usage.TotalTokenCount);
        var usage = Assert.Single(updates.SelectMany(u => u.Contents).OfType<UsageContent>());
        Assert.Equal(whole.Usage.TotalTokenCount, usage.Details.TotalTokenCount);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_ReplySetsUsage_UsageContentCarriesThoseFigures()
    {
        _server.Responder = _ => MockChatReply.Answer("ok") with { PromptTokens = 120, CompletionTokens = 7 };

        var updates = await CollectAsync(_server.CreateChatClient());

        var usage = Assert.Single(updates.SelectMany(u => u.Contents).OfType<UsageContent>());
        Assert.Equal(120, usage.Details.InputTokenCount);
        Assert.Equal(7, usage.Details.OutputTokenCount);
        Assert.Equal(127, usage.Details.TotalTokenCount);
        using var body = JsonDocument.Parse(_server.Requests.Single().RawBody);
        Assert.True(body.RootElement.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
    }

    [Fact]
    public async Task GetStreamingResponseAsync_ReplyWithoutUsage_SendsNoUsageContent()
    {
        _server.Responder = _ => MockChatReply.Answer("ok") with { IncludeUsage = false };

        var updates = await CollectAsync(_server.CreateChatClient());

        Assert.Equal("ok", updates.ToChatResponse().Text);
        Assert.Empty(updates.SelectMany(u => u.Contents).OfType<UsageContent>());
    }

    [Fact]
    public async Task GetStreamingResponseAsync_ToolCalls_AssembleIntoFunctionCallContents()
    {
        _server.Responder = _ => MockChatReply.CallTools(
            new MockToolCall("get_weather", """{"city":"Paris","unit":"celsius"}"""),
            new MockToolCall("get_time", """{"zone":"Europe/Paris"}"""));

        var updates = await CollectAsync(_server.CreateChatClient());

        var response = updates.ToChatResponse();
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
        var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
        Assert.Equal(2, calls.Count);
        Assert.Equal("get_weather", calls[0].Name);
        Assert.Equal("call_0_0", calls[0].CallId);
        Assert.Equal("Paris", calls[0].Arguments!["city"]!.ToString());
        Assert.Equal("celsius", calls[0].Arguments!["unit"]!.ToString());
        Assert.Equal("get_time", calls[1].Name);
        Assert.Equal("Europe/Paris", calls[1].Arguments!["zone"]!.ToString());
    }

    [Fact]
    public async Task GetStreamingResponseAsync_RateLimited_ThrowsClientResultExceptionBeforeAnyUpdate()
    {
        _server.Responder = _ => MockChatReply.RateLimited(TimeSpan.FromMilliseconds(1500));
        var updates = new List<ChatResponseUpdate>();

        var error = await Assert.ThrowsAsync<ClientResultException>(async () =>
        {
            await foreach (var update in _server.CreateChatClient().GetStreamingResponseAsync("hi"))
            {
                updates.Add(update);
            }
        });

        Assert.Equal(429, error.Status);
        Assert.Empty(updates);
        var raw = error.GetRawResponse();
        Assert.NotNull(raw);
        Assert.True(raw.Headers.TryGetValue("retry-after-ms", out var retryAfterMs));
        Assert.Equal("1500", retryAfterMs);
        Assert.True(_server.Requests.Single().IsStreaming);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_Delay_HoldsTheFirstUpdateUntilTheDelayHasPassed()
    {
        var delay = TimeSpan.FromMinutes(3);
        var clock = new TimerRecordingTimeProvider();
        using var server = MockChatServer.Start(_ => MockChatReply.Answer("late but whole") with { Delay = delay }, clock);
        var stream = server.CreateChatClient().GetStreamingResponseAsync("hi").GetAsyncEnumerator();
        try
        {
            var first = stream.MoveNextAsync().AsTask();

            // The server is now waiting out the delay on the fake clock, which has not moved: nothing can have been sent.
            await clock.TimerCreatedAsync(delay);
            Assert.False(first.IsCompleted);
            Assert.Equal(1, server.ConcurrentRequests);

            clock.Fake.Advance(delay);

            Assert.True(await first.WaitAsync(Signals<int>.Guard));
            var updates = new List<ChatResponseUpdate> { stream.Current };
            while (await stream.MoveNextAsync())
            {
                updates.Add(stream.Current);
            }

            Assert.Equal("late but whole", updates.ToChatResponse().Text);
        }
        finally
        {
            await stream.DisposeAsync();
        }
    }

    [Fact]
    public async Task GetStreamingResponseAsync_DropAfterFirstChunk_YieldsOneUpdateThenThrows()
    {
        // WireMock.Net writes the first event and flushes it, then the connection closes before the chunked body ends.
        _server.Responder = _ => MockChatReply.Answer("This answer never arrives in full.") with { Fault = MockFault.DropAfterFirstChunk };
        var updates = new List<ChatResponseUpdate>();

        var error = await Assert.ThrowsAsync<HttpIOException>(async () =>
        {
            await foreach (var update in _server.CreateChatClient().GetStreamingResponseAsync("hi"))
            {
                updates.Add(update);
            }
        });

        Assert.Equal(HttpRequestError.ResponseEnded, error.HttpRequestError);
        var first = Assert.Single(updates);
        Assert.Equal(ChatRole.Assistant, first.Role);
        Assert.False(string.IsNullOrEmpty(first.Text));
        Assert.StartsWith(first.Text, "This answer never arrives in full.", StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetResponseAsync_DropAfterFirstChunk_ThrowsResponseEnded()
    {
        _server.Responder = _ => MockChatReply.Answer("This answer never arrives in full.") with { Fault = MockFault.DropAfterFirstChunk };

        var error = await Assert.ThrowsAsync<HttpIOException>(() => _server.CreateChatClient().GetResponseAsync("hi"));

        Assert.Equal(HttpRequestError.ResponseEnded, error.HttpRequestError);
        Assert.False(_server.Requests.Single().IsStreaming);
    }

    [Fact]
    public async Task Headers_StreamingRequest_ShowTheClientsKey()
    {
        _server.Responder = request => MockChatReply.Error(401, "Incorrect API key provided: " + request.Headers["Authorization"]);

        var error = await Assert.ThrowsAsync<ClientResultException>(async () =>
        {
            await foreach (var update in _server.CreateChatClient().GetStreamingResponseAsync("hi"))
            {
            }
        });

        var request = _server.Requests.Single();
        Assert.Equal("Bearer mock-key-not-secret", request.Headers["authorization"]);
        Assert.Equal("mock-key-not-secret", request.ApiKey);
        Assert.Equal(401, error.Status);
        Assert.Contains("Incorrect API key provided: Bearer mock-key-not-secret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiKey_AzureStyleApiKeyHeader_ReturnsThatKey()
    {
        using var http = new HttpClient();
        using var content = new StringContent("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}""", System.Text.Encoding.UTF8, "application/json");
        content.Headers.Add("api-key", "azure-key-not-secret");

        using var response = await http.PostAsync(new Uri(_server.Url, "/chat/completions"), content);

        response.EnsureSuccessStatusCode();
        var request = _server.Requests.Single();
        Assert.Equal("azure-key-not-secret", request.ApiKey);
        Assert.Equal("azure-key-not-secret", request.Headers["API-KEY"]);
        Assert.False(request.IsStreaming);
    }

    private static async Task<List<ChatResponseUpdate>> CollectAsync(IChatClient client, string prompt = "hi")
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(prompt))
        {
            updates.Add(update);
        }

        return updates;
    }
}
