using AgentBatch;
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentBatch.Testing.Internal;
using Microsoft.Extensions.AI;
using OpenAI;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using WireMock.Types;
using WireMock.Util;

namespace AgentBatch.Testing;

/// <summary>
/// An in-process HTTP server that speaks the OpenAI chat-completions and the Anthropic Messages wire formats, for tests
/// and offline samples.
/// </summary>
/// <remarks>
/// <para>
/// It listens on a free loopback port and answers OpenAI's <c>POST /v1/chat/completions</c> with whatever
/// <see cref="Responder"/> returns for each request: answers, tool calls, usage figures, errors with
/// <c>retry-after</c> headers, delays and transport faults. Every request is recorded in <see cref="Requests"/>.
/// </para>
/// <para>
/// A request with <c>"stream": true</c> is answered as OpenAI streams: <c>text/event-stream</c> with
/// <c>data: {chat.completion.chunk}</c> events (the text in a few content deltas, or the tool calls in
/// <c>delta.tool_calls</c>), a <c>finish_reason</c> chunk, a usage chunk when the request asks for one, and
/// <c>data: [DONE]</c>. Errors, delays, faults and raw bodies are the same for both kinds of request.
/// </para>
/// <para>
/// It answers Anthropic's <c>POST /v1/messages</c> from the same <see cref="Responder"/>: the request (<c>system</c>,
/// <c>messages</c> with text, image, <c>tool_use</c> and <c>tool_result</c> blocks, <c>tools</c>, <c>model</c>,
/// <c>max_tokens</c>, <c>stream</c>) is read into the same <see cref="MockChatRequest"/>, and the reply is an Anthropic
/// <c>message</c> (a text block, <c>tool_use</c> blocks, <c>stop_reason</c>, <c>usage</c> with <c>input_tokens</c> and
/// <c>output_tokens</c>), or, streamed, the events <c>message_start</c>, <c>ping</c>, <c>content_block_start</c>,
/// <c>content_block_delta</c>, <c>content_block_stop</c>, <c>message_delta</c> (with the usage) and <c>message_stop</c>.
/// Errors come as Anthropic sends them (<c>{"type":"error","error":{"type":"rate_limit_error","message":...}}</c>, the
/// type from the status: 429 <c>rate_limit_error</c>, 529 <c>overloaded_error</c>, 401 <c>authentication_error</c>, ...),
/// and every response carries a <c>request-id</c> header. A request without <c>model</c>, <c>max_tokens</c> or
/// <c>messages</c> is refused with a 400, as the real API refuses it, before the responder sees it. Point the official
/// Anthropic client at <see cref="Url"/> (<c>BaseUrl</c>, with <c>MaxRetries = 0</c>).
/// </para>
/// <para>
/// It also serves both providers' batch endpoints (OpenAI's <c>/v1/files</c> and <c>/v1/batches</c>, Anthropic's
/// <c>/v1/messages/batches</c>), whose requests the same <see cref="Responder"/> answers; see <see cref="Batches"/>.
/// </para>
/// <para>Talk to it with the real OpenAI client from <see cref="CreateChatClient"/> or <see cref="CreateOpenAIClient"/>, or with the real Anthropic client. All members are thread-safe.</para>
/// </remarks>
public sealed class MockChatServer : IDisposable
{
    private readonly WireMockServer _server;
    private readonly ConcurrentQueue<MockChatRequest> _requests = new();
    private readonly CancellationTokenSource _disposed = new();
    private readonly TimeProvider _timeProvider;
    private readonly string _instance = Guid.NewGuid().ToString("N")[..8];
    private int _sequence = -1;
    private int _inFlight;
    private int _maxInFlight;
    private Func<MockChatRequest, MockChatReply> _responder;

    private MockChatServer(Func<MockChatRequest, MockChatReply>? responder, TimeProvider? timeProvider)
    {
        _responder = responder ?? EchoResponder;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _server = WireMockServer.Start(new WireMockServerSettings
        {
            Urls = ["http://127.0.0.1:0"],
            StartAdminInterface = false,
            // The server's own log would keep every body; requests are recorded here instead.
            MaxRequestLogCount = 0,
        });

        var chatCompletions = Response.Create().WithCallback(request => HandleAsync(request, OpenAIChatWireFormat.Instance));
        _server.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost()).RespondWith(chatCompletions);
        _server.Given(Request.Create().WithPath("/chat/completions").UsingPost()).RespondWith(chatCompletions);
        _server.Given(Request.Create().WithPath("/v1/messages").UsingPost())
            .RespondWith(Response.Create().WithCallback(request => HandleAsync(request, AnthropicMessagesWireFormat.Instance)));

        Batches = new MockBatchEndpoints(this, _timeProvider);
        Batches.Map(_server);
    }

    /// <summary>Gets the server's base address, such as <c>http://127.0.0.1:5123</c>.</summary>
    public Uri Url => new(_server.Urls[0]);

    /// <summary>Gets the OpenAI-compatible endpoint to configure a client with: <see cref="Url"/> followed by <c>/v1</c>.</summary>
    public Uri Endpoint => new(Url, "/v1");

    /// <summary>Gets or sets the function that decides the reply to each request. The default echoes the last user message.</summary>
    /// <exception cref="ArgumentNullException">The value is <see langword="null"/>.</exception>
    public Func<MockChatRequest, MockChatReply> Responder
    {
        get => Volatile.Read(ref _responder);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            Volatile.Write(ref _responder, value);
        }
    }

    /// <summary>Gets or sets the counter for usage figures a reply does not set itself; <see langword="null"/> for a rough estimate (4 characters a token).</summary>
    /// <remarks>Set it to <see cref="SharpTokenCounter.Default"/> to report prompt tokens as OpenAI would bill them.</remarks>
    public ITokenCounter? UsageTokenCounter { get; set; }

    /// <summary>Gets every request received so far, in arrival order.</summary>
    /// <remarks>They include each request of a provider batch, recorded when the batch runs it (<see cref="MockChatRequest.BatchId"/> is then set).</remarks>
    public IReadOnlyList<MockChatRequest> Requests => _requests.OrderBy(r => r.Sequence).ToArray();

    /// <summary>Gets the provider batch endpoints: their limits, the files and batches they hold, and the methods that move each batch through its lifecycle.</summary>
    public MockBatchEndpoints Batches { get; }

    /// <summary>Gets the number of requests received so far.</summary>
    public int RequestCount => Volatile.Read(ref _sequence) + 1;

    /// <summary>Gets the most requests the server was handling at one time.</summary>
    public int MaxConcurrentRequests => Volatile.Read(ref _maxInFlight);

    /// <summary>Starts a server on a free loopback port.</summary>
    /// <param name="responder">Decides the reply to each request; <see langword="null"/> to echo the last user message.</param>
    /// <param name="timeProvider">The clock that times each reply's <see cref="MockChatReply.Delay"/> and the batches' lifecycle (see <see cref="Batches"/>); <see langword="null"/> for the system clock.</param>
    /// <returns>The running server.</returns>
    public static MockChatServer Start(Func<MockChatRequest, MockChatReply>? responder = null, TimeProvider? timeProvider = null) =>
        new(responder, timeProvider);

    /// <summary>The default responder: answers <c>"Echo: {last user message}"</c>.</summary>
    /// <param name="request">The request.</param>
    /// <returns>The reply.</returns>
    public static MockChatReply EchoResponder(MockChatRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return MockChatReply.Answer("Echo: " + request.LastUserText);
    }

    /// <summary>Creates a Microsoft.Extensions.AI chat client that talks to this server through the real OpenAI .NET client.</summary>
    /// <param name="model">The model id to request.</param>
    /// <returns>
    /// The chat client, with the OpenAI fault classifier and the OpenAI client's Batch API (<c>openAIClient.AsBatchChatClient(model)</c>), so
    /// a batch run with <see cref="BatchExecution.ProviderBatch"/> goes through <see cref="Batches"/>. Its built-in retries are off, so every
    /// request it makes is one the caller asked for.
    /// </returns>
    public IChatClient CreateChatClient(string model = "gpt-4o-mini") => CreateOpenAIClient().AsBatchChatClient(model);

    /// <summary>Creates the real OpenAI client, pointed at this server with its built-in retries off: its file and batch clients (<c>GetOpenAIFileClient</c>, <c>GetBatchClient</c>) talk to <see cref="Batches"/>.</summary>
    /// <returns>The client.</returns>
    public OpenAIClient CreateOpenAIClient() =>
        new(new ApiKeyCredential("mock-key-not-secret"), new OpenAIClientOptions
        {
            Endpoint = Endpoint,
            RetryPolicy = new ClientRetryPolicy(0),
            NetworkTimeout = TimeSpan.FromMinutes(5),
        });

    /// <summary>Forgets the recorded requests and the concurrency high-water mark.</summary>
    public void ResetRecording()
    {
        _requests.Clear();
        Volatile.Write(ref _sequence, -1);
        Volatile.Write(ref _maxInFlight, 0);
    }

    /// <summary>Gets the number of requests the server is handling right now, delayed ones included.</summary>
    public int ConcurrentRequests => Volatile.Read(ref _inFlight);

    /// <summary>Stops the server. Replies still waiting out their <see cref="MockChatReply.Delay"/> end at once.</summary>
    public void Dispose()
    {
        _disposed.Cancel();
        _server.Stop();
        _disposed.Dispose();
    }

    private static ResponseMessage Json(int statusCode, string body, IReadOnlyDictionary<string, string>? headers = null)
    {
        var message = new ResponseMessage
        {
            StatusCode = statusCode,
            BodyData = new BodyData { BodyAsString = body, DetectedBodyType = BodyType.String, Encoding = Encoding.UTF8 },
        };
        message.AddHeader("Content-Type", "application/json");
        if (headers is not null)
        {
            foreach (var (name, value) in headers)
            {
                message.AddHeader(name, value);
            }
        }

        return message;
    }

    /// <summary>A 200 response whose body WireMock.Net writes piece by piece, flushing each, as the queue hands them out.</summary>
    private static ResponseMessage Body(string contentType, MockSseBodyQueue pieces, IReadOnlyDictionary<string, string> headers)
    {
        var message = new ResponseMessage
        {
            StatusCode = 200,
            BodyData = new BodyData { DetectedBodyType = BodyType.SseString, SseStringQueue = pieces, Encoding = Encoding.UTF8 },
        };
        message.AddHeader("Content-Type", contentType);
        message.AddHeader("Cache-Control", "no-cache");
        foreach (var (name, value) in headers)
        {
            message.AddHeader(name, value);
        }

        return message;
    }

    /// <summary>Records a request of a provider batch as the batch runs it, giving it the next sequence number.</summary>
    /// <param name="rawBody">The request as the batch carried it.</param>
    /// <param name="body">The request in the chat-completions shape.</param>
    /// <param name="headers">The headers of the HTTP request that created the batch.</param>
    /// <param name="batchId">The batch's id.</param>
    /// <param name="customId">The request's <c>custom_id</c>.</param>
    /// <returns>The recorded request.</returns>
    internal MockChatRequest RecordBatchRequest(string rawBody, JsonNode? body, IReadOnlyDictionary<string, string> headers, string batchId, string customId)
    {
        var request = new MockChatRequest(Interlocked.Increment(ref _sequence), rawBody, body, headers, batchId, customId);
        _requests.Enqueue(request);
        return request;
    }

    /// <summary>Asks the <see cref="Responder"/> for the reply to a batched request; a responder that throws answers a 500.</summary>
    /// <param name="request">The request.</param>
    /// <returns>The reply.</returns>
    internal MockChatReply ReplyTo(MockChatRequest request)
    {
        try
        {
            return Responder(request);
        }
        catch (Exception ex)
        {
            return MockChatReply.Error(500, "Mock responder threw: " + ex.Message);
        }
    }

    /// <summary>The first value of each header, looked up by name in any case.</summary>
    /// <param name="headers">The headers as WireMock.Net hands them over.</param>
    /// <returns>The first values.</returns>
    internal static Dictionary<string, string> FirstValues(IDictionary<string, WireMockList<string>>? headers)
    {
        var first = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in headers ?? new Dictionary<string, WireMockList<string>>())
        {
            if (values.Count > 0)
            {
                first.TryAdd(name, values[0]);
            }
        }

        return first;
    }

    private static readonly IReadOnlyDictionary<string, string> NoHeaders = new Dictionary<string, string>();

    private static string FirstHalf(string body) => body[..(body.Length / 2)];

    private async Task<IResponseMessage> HandleAsync(IRequestMessage httpRequest, MockWireFormat wire)
    {
        var inFlight = Interlocked.Increment(ref _inFlight);
        try
        {
            var seen = Volatile.Read(ref _maxInFlight);
            while (inFlight > seen && Interlocked.CompareExchange(ref _maxInFlight, inFlight, seen) != seen)
            {
                seen = Volatile.Read(ref _maxInFlight);
            }

            var raw = httpRequest.Body ?? string.Empty;
            var json = wire.Read(raw, out var refusal);
            if (refusal is not null)
            {
                return Error(wire, 400, refusal, null, NoHeaders);
            }

            var request = new MockChatRequest(Interlocked.Increment(ref _sequence), raw, json, FirstValues(httpRequest.Headers));
            _requests.Enqueue(request);

            MockChatReply reply;
            try
            {
                reply = Responder(request);
            }
            catch (Exception ex)
            {
                return Error(wire, 500, "Mock responder threw: " + ex.Message, request, NoHeaders);
            }

            if (reply.Delay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(reply.Delay, _timeProvider, _disposed.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return Error(wire, 503, "The mock server is shutting down.", request, NoHeaders);
                }
            }

            var headers = WithRequestId(wire, request, reply.Headers);
            if (reply.Fault == MockFault.DropAfterFirstChunk)
            {
                return request.IsStreaming
                    ? Body("text/event-stream", new MockSseBodyQueue(wire.StreamPieces(request, reply, UsageTokenCounter), dropAfter: 1), headers)
                    : Body("application/json", new MockSseBodyQueue([FirstHalf(wire.Completion(request, reply, UsageTokenCounter))], dropAfter: 1), headers);
            }

            if (reply.Fault != MockFault.None)
            {
                return new ResponseMessage
                {
                    StatusCode = 200,
                    FaultType = reply.Fault == MockFault.EmptyResponse ? FaultType.EMPTY_RESPONSE : FaultType.MALFORMED_RESPONSE_CHUNK,
                    FaultPercentage = 1.0,
                    BodyData = new BodyData { BodyAsString = wire.BrokenBody, DetectedBodyType = BodyType.String, Encoding = Encoding.UTF8 },
                };
            }

            if (reply.RawBody is { } rawBody)
            {
                return Json(reply.StatusCode, rawBody, headers);
            }

            if (reply.StatusCode != 200)
            {
                return Error(wire, reply.StatusCode, reply.ErrorMessage ?? "mock error", request, reply.Headers);
            }

            return request.IsStreaming
                ? Body("text/event-stream", new MockSseBodyQueue(wire.StreamPieces(request, reply, UsageTokenCounter)), headers)
                : Json(200, wire.Completion(request, reply, UsageTokenCounter), headers);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>An error response in the provider's shape, with its request id where the provider sends one.</summary>
    private ResponseMessage Error(MockWireFormat wire, int status, string message, MockChatRequest? request, IReadOnlyDictionary<string, string> headers)
    {
        var withId = WithRequestId(wire, request, headers);
        var requestId = withId.FirstOrDefault(h => string.Equals(h.Key, wire.RequestIdHeader, StringComparison.OrdinalIgnoreCase)).Value;
        return Json(status, wire.Error(status, message, requestId), withId);
    }

    /// <summary>The reply's headers, with the request id added where the provider sends one and the reply sets none.</summary>
    private IReadOnlyDictionary<string, string> WithRequestId(MockWireFormat wire, MockChatRequest? request, IReadOnlyDictionary<string, string> headers)
    {
        if (wire.RequestIdHeader is not { } name || headers.Keys.Any(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)))
        {
            return headers;
        }

        return new Dictionary<string, string>(headers, StringComparer.OrdinalIgnoreCase) { [name] = RequestId(request) };
    }

    /// <summary>
    /// The id of the server's answer to a request: unique across servers, as a provider's request ids are, so a client
    /// that remembers responses by id never mistakes one server's for another's.
    /// </summary>
    private string RequestId(MockChatRequest? request) =>
        request is null ? $"req_mock_{_instance}_refused" : string.Create(CultureInfo.InvariantCulture, $"req_mock_{_instance}_{request.Sequence:D6}");
}
