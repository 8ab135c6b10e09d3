using System.Net;
using System.Net.Http.Headers;

namespace AgentBatch;

/// <summary>
/// An <see cref="System.Net.Http.HttpClient"/> that never reaches the network, for running a provider's own chat client to
/// make and read batch requests: <see cref="RecordRequestAsync"/> returns the body of the request a call would send, and
/// <see cref="ReplayAsync{T}"/> answers a call with a response given to it.
/// </summary>
/// <remarks>
/// <para>
/// A <see cref="ProviderBatchClient"/> that builds its provider's client on <see cref="HttpClient"/> gets, for each model call,
/// exactly the request a live call would send (the provider's own serialization of messages, tools, response format and
/// options), and reads each result exactly as a live reply is read, errors included. Both providers' batch clients in
/// AgentBatch work this way.
/// </para>
/// <para>
/// The exchange is carried by the calling asynchronous flow: concurrent calls on one instance never see each other's. A
/// request made outside <see cref="RecordRequestAsync"/> and <see cref="ReplayAsync{T}"/> fails. Thread-safe.
/// </para>
/// </remarks>
public sealed class OfflineChatTransport : IDisposable
{
    private readonly AsyncLocal<Exchange?> _current = new();

    /// <summary>Initializes a new instance of the <see cref="OfflineChatTransport"/> class.</summary>
    public OfflineChatTransport()
    {
        HttpClient = new HttpClient(new Handler(_current), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Gets the client to build the provider's client on; its base address is whatever the provider's client sets.</summary>
    public HttpClient HttpClient { get; }

    /// <summary>Runs <paramref name="call"/>, answering its request with <paramref name="placeholderReply"/>, and returns the body of the request it sent.</summary>
    /// <param name="call">A call of the provider's chat client built on <see cref="HttpClient"/>.</param>
    /// <param name="placeholderReply">A 200 reply the provider's client reads without error, so that recording costs no exception.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The request body.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="call"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">The call sent no request.</exception>
    public async Task<ReadOnlyMemory<byte>> RecordRequestAsync(Func<CancellationToken, Task> call, ReadOnlyMemory<byte> placeholderReply, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var exchange = new Exchange(200, placeholderReply);
        _current.Value = exchange;
        try
        {
            await call(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (exchange.Request is not null && !cancellationToken.IsCancellationRequested)
        {
            // The request is what was wanted; a client that cannot read the placeholder does not change it.
        }

        return exchange.Request ?? throw new InvalidOperationException("The provider's chat client sent no request.");
    }

    /// <summary>Runs <paramref name="call"/>, answering its request with <paramref name="statusCode"/> and <paramref name="body"/>, and returns what the call returns (or throws what it throws).</summary>
    /// <typeparam name="T">The call's result.</typeparam>
    /// <param name="call">A call of the provider's chat client built on <see cref="HttpClient"/>.</param>
    /// <param name="statusCode">The HTTP status to answer with.</param>
    /// <param name="body">The JSON body to answer with.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The call's result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="call"/> is <see langword="null"/>.</exception>
    public async Task<T> ReplayAsync<T>(Func<CancellationToken, Task<T>> call, int statusCode, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        _current.Value = new Exchange(statusCode, body);
        return await call(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose() => HttpClient.Dispose();

    private sealed class Exchange(int statusCode, ReadOnlyMemory<byte> reply)
    {
        public int StatusCode { get; } = statusCode;

        public ReadOnlyMemory<byte> Reply { get; } = reply;

        public ReadOnlyMemory<byte>? Request { get; set; }
    }

    private sealed class Handler(AsyncLocal<Exchange?> current) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var exchange = current.Value ?? throw new InvalidOperationException("An OfflineChatTransport's client sends nothing outside RecordRequestAsync and ReplayAsync.");
            exchange.Request = request.Content is null ? ReadOnlyMemory<byte>.Empty : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            var content = new ByteArrayContent(exchange.Reply.ToArray());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            return new HttpResponseMessage((HttpStatusCode)exchange.StatusCode) { Content = content, RequestMessage = request };
        }
    }
}
