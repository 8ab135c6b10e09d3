using AgentBatch.Testing.Internal;
using WireMock;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace AgentBatch.Testing;

/// <summary>
/// The mock server's provider batch endpoints: OpenAI's files and batches (<c>/v1/files</c>, <c>/v1/batches</c>) and
/// Anthropic's message batches (<c>/v1/messages/batches</c>), with their limits, what they hold, and the methods a test
/// moves each batch through its lifecycle with.
/// </summary>
/// <remarks>
/// <para>
/// Every request of a batch is answered by the server's <see cref="MockChatServer.Responder"/>, the same one that answers
/// live requests, when the batch runs it; the request is then recorded in <see cref="MockChatServer.Requests"/> with
/// <see cref="MockChatRequest.BatchId"/> and <see cref="MockChatRequest.CustomId"/> set. An Anthropic request's
/// <c>params</c> reach the responder in the chat-completions shape (the system prompt as a system message, and so on),
/// and its reply goes back as an Anthropic <c>message</c>. A reply's <see cref="MockChatReply.Delay"/> and headers do
/// not apply to batched requests; a <see cref="MockChatReply.Fault"/> is answered as a server error.
/// </para>
/// <para>
/// A batch moves only when the test moves it, with <see cref="Advance"/>, <see cref="Process"/>, <see cref="Complete"/>,
/// <see cref="CompleteAll"/>, <see cref="Expire"/> and <see cref="Fail"/>, or with the server's clock (the
/// <see cref="TimeProvider"/> given to <see cref="MockChatServer.Start"/>): each state lasts
/// <see cref="AutoAdvanceInterval"/> when it is set, and a batch still running 24 hours after its creation expires.
/// Batches are brought up to the clock whenever they are read, over HTTP or here, so a fake clock makes every poll's
/// answer exact.
/// </para>
/// <para>
/// Requests run, and their results are written, in an order shuffled by <see cref="ResultOrderSeed"/>, as the providers do
/// not keep input order either. All members are thread-safe: one lock guards every batch, and the responder runs under it.
/// </para>
/// </remarks>
public sealed class MockBatchEndpoints
{
    /// <summary>The default of <see cref="MaxOpenAIRequestsPerFile"/>: OpenAI's documented 50,000 requests per input file.</summary>
    public const int DefaultMaxOpenAIRequestsPerFile = 50_000;

    /// <summary>The default of <see cref="MaxOpenAIFileBytes"/>: OpenAI's documented 200 MB per input file.</summary>
    public const long DefaultMaxOpenAIFileBytes = 200L * 1024 * 1024;

    /// <summary>The default of <see cref="MaxAnthropicRequestsPerBatch"/>: Anthropic's documented 100,000 requests per batch.</summary>
    public const int DefaultMaxAnthropicRequestsPerBatch = 100_000;

    /// <summary>The default of <see cref="MaxAnthropicBatchBytes"/>: Anthropic's documented 256 MB per batch.</summary>
    public const long DefaultMaxAnthropicBatchBytes = 256L * 1024 * 1024;

    private readonly MockChatServer _server;
    private readonly TimeProvider _timeProvider;
    private int _maxOpenAIRequestsPerFile = DefaultMaxOpenAIRequestsPerFile;
    private long _maxOpenAIFileBytes = DefaultMaxOpenAIFileBytes;
    private int _maxAnthropicRequestsPerBatch = DefaultMaxAnthropicRequestsPerBatch;
    private long _maxAnthropicBatchBytes = DefaultMaxAnthropicBatchBytes;
    private TimeSpan? _autoAdvanceInterval;
    private int? _resultOrderSeed = 0;
    private string? _acceptedApiKey;

    internal MockBatchEndpoints(MockChatServer server, TimeProvider timeProvider)
    {
        _server = server;
        _timeProvider = timeProvider;
        Store = new MockBatchStore();
        Lifecycle = new MockBatchLifecycle(Store, server);
    }

    /// <summary>Gets or sets the most requests (nonblank lines) an OpenAI input file may hold; a batch over it fails validation with <c>too_many_tasks</c>.</summary>
    /// <value>The default value is <see cref="DefaultMaxOpenAIRequestsPerFile"/> (50,000).</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int MaxOpenAIRequestsPerFile
    {
        get => Read(() => _maxOpenAIRequestsPerFile);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Write(() => _maxOpenAIRequestsPerFile = value);
        }
    }

    /// <summary>Gets or sets the largest OpenAI input file, in bytes; creating a batch from a larger one is refused with a 400.</summary>
    /// <value>The default value is <see cref="DefaultMaxOpenAIFileBytes"/> (200 MB).</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public long MaxOpenAIFileBytes
    {
        get => Read(() => _maxOpenAIFileBytes);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Write(() => _maxOpenAIFileBytes = value);
        }
    }

    /// <summary>Gets or sets the most requests an Anthropic batch may hold; creating a larger one is refused with a 400 <c>invalid_request_error</c>.</summary>
    /// <value>The default value is <see cref="DefaultMaxAnthropicRequestsPerBatch"/> (100,000).</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int MaxAnthropicRequestsPerBatch
    {
        get => Read(() => _maxAnthropicRequestsPerBatch);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Write(() => _maxAnthropicRequestsPerBatch = value);
        }
    }

    /// <summary>Gets or sets the largest Anthropic create request, in bytes; a larger one is refused with a 413 <c>request_too_large</c>.</summary>
    /// <value>The default value is <see cref="DefaultMaxAnthropicBatchBytes"/> (256 MB).</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public long MaxAnthropicBatchBytes
    {
        get => Read(() => _maxAnthropicBatchBytes);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Write(() => _maxAnthropicBatchBytes = value);
        }
    }

    /// <summary>Gets or sets how long, on the server's clock, a batch stays in each state before it moves on by itself; <see langword="null"/> to move batches only by the methods here.</summary>
    /// <value>The default value is <see langword="null"/>. The 24-hour completion window applies either way.</value>
    /// <remarks>
    /// With an interval, an OpenAI batch is <c>validating</c>, <c>in_progress</c> and <c>finalizing</c> for one interval
    /// each (all its requests run as it leaves <c>in_progress</c>), and a cancelling one is cancelled after one interval;
    /// an Anthropic batch ends one interval after creation, or after its cancellation began.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public TimeSpan? AutoAdvanceInterval
    {
        get => Read(() => _autoAdvanceInterval);
        set
        {
            if (value is { } interval)
            {
                ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero, nameof(value));
            }

            Write(() => _autoAdvanceInterval = value);
        }
    }

    /// <summary>Gets or sets the seed that shuffles the order each new batch runs its requests and writes their results in; <see langword="null"/> keeps input order.</summary>
    /// <value>The default value is 0: shuffled, the same way on every run.</value>
    public int? ResultOrderSeed
    {
        get => Read(() => _resultOrderSeed);
        set => Write(() => _resultOrderSeed = value);
    }

    /// <summary>Gets or sets the one API key the file and batch endpoints accept; <see langword="null"/> accepts any.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <remarks>
    /// A request with another key (or none) is refused before anything is stored, as the providers refuse it: OpenAI's
    /// endpoints with a 401 <c>invalid_api_key</c>, Anthropic's with a 401 <c>authentication_error</c>. Both messages echo
    /// the key that was sent, in full, as a careless server would, so a test can check it never goes further.
    /// </remarks>
    public string? AcceptedApiKey
    {
        get => Read(() => _acceptedApiKey);
        set => Write(() => _acceptedApiKey = value);
    }

    /// <summary>Gets every file the OpenAI file endpoints have held, in creation order: uploads and the batches' output and error files, deleted ones included.</summary>
    /// <remarks>The batches are brought up to the clock first, so a batch the clock has ended has written its files.</remarks>
    public IReadOnlyList<MockBatchFile> Files
    {
        get
        {
            lock (Store.Gate)
            {
                foreach (var batch in Store.Batches)
                {
                    CatchUp(batch);
                }

                return Store.Files.ToArray();
            }
        }
    }

    /// <summary>Gets every batch created so far, both providers', in creation order, brought up to the clock.</summary>
    public IReadOnlyList<MockBatch> Created
    {
        get
        {
            lock (Store.Gate)
            {
                return Store.Batches.Select(b =>
                {
                    CatchUp(b);
                    return MockBatchLifecycle.Snapshot(b);
                }).ToArray();
            }
        }
    }

    /// <summary>Gets the store; its lock guards every file and batch.</summary>
    internal MockBatchStore Store { get; }

    /// <summary>Gets the lifecycle that moves batches.</summary>
    internal MockBatchLifecycle Lifecycle { get; }

    /// <summary>Gets the server clock's time.</summary>
    internal DateTimeOffset Now => _timeProvider.GetUtcNow();

    /// <summary>Gets the server's base address, for Anthropic's <c>results_url</c>.</summary>
    internal Uri BaseUrl => _server.Url;

    /// <summary>Gets a batch, brought up to the clock.</summary>
    /// <param name="batchId">The batch id.</param>
    /// <returns>The batch's snapshot.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="batchId"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">No batch has that id.</exception>
    public MockBatch Get(string batchId) => Move(batchId, static (_, _, _) => { });

    /// <summary>Moves a batch one state on: OpenAI <c>validating</c> -> <c>in_progress</c> (or <c>failed</c>, if its input is invalid) -> <c>finalizing</c> (running every request not yet run) -> <c>completed</c> (writing the output and error files), <c>cancelling</c> -> <c>cancelled</c>; Anthropic <c>in_progress</c> -> <c>ended</c> (running every request), <c>canceling</c> -> <c>ended</c>.</summary>
    /// <param name="batchId">The batch id.</param>
    /// <returns>The batch's snapshot afterwards.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="batchId"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">No batch has that id.</exception>
    /// <exception cref="InvalidOperationException">The batch has ended.</exception>
    public MockBatch Advance(string batchId) => Move(batchId, static (lifecycle, batch, now) => lifecycle.Step(batch, now));

    /// <summary>Runs a batch's next requests through the responder, so the counts show them finished while the batch is still in progress; an OpenAI batch still validating is validated first.</summary>
    /// <param name="batchId">The batch id.</param>
    /// <param name="requests">The most requests to run.</param>
    /// <returns>The batch's snapshot afterwards.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="batchId"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="requests"/> is negative.</exception>
    /// <exception cref="ArgumentException">No batch has that id.</exception>
    /// <exception cref="InvalidOperationException">The batch is neither in progress nor cancelling (or its input failed validation).</exception>
    public MockBatch Process(string batchId, int requests)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(requests);
        return Move(batchId, (lifecycle, batch, now) => lifecycle.Run(batch, requests, now));
    }

    /// <summary>Moves a batch through every remaining state to its end (a cancelling one to cancelled).</summary>
    /// <param name="batchId">The batch id.</param>
    /// <returns>The batch's snapshot afterwards.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="batchId"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">No batch has that id.</exception>
    public MockBatch Complete(string batchId) => Move(batchId, static (lifecycle, batch, now) =>
    {
        while (!batch.IsEnded)
        {
            lifecycle.Step(batch, now);
        }
    });

    /// <summary>Moves every batch that has not ended to its end, in creation order.</summary>
    /// <returns>The snapshots of the batches it moved.</returns>
    public IReadOnlyList<MockBatch> CompleteAll()
    {
        lock (Store.Gate)
        {
            var moved = new List<MockBatch>();
            foreach (var batch in Store.Batches.ToArray())
            {
                CatchUp(batch);
                if (!batch.IsEnded)
                {
                    moved.Add(Complete(batch.Id));
                }
            }

            return moved;
        }
    }

    /// <summary>Expires a batch as its completion window closing would: requests run until <paramref name="afterLines"/> have finished (those already finished count), and the rest expire.</summary>
    /// <param name="batchId">The batch id.</param>
    /// <param name="afterLines">How many requests finish before the window closes; 0 for none beyond those already finished.</param>
    /// <returns>The batch's snapshot afterwards.</returns>
    /// <remarks>
    /// The requests that finished keep their results: an OpenAI batch writes them to its output (and error) file, and
    /// each expired one to the error file with the code <c>batch_expired</c>; an Anthropic batch ends with them and an
    /// <c>expired</c> result for each of the rest.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="batchId"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="afterLines"/> is negative.</exception>
    /// <exception cref="ArgumentException">No batch has that id.</exception>
    /// <exception cref="InvalidOperationException">The batch has ended, or is finalizing or cancelling.</exception>
    public MockBatch Expire(string batchId, int afterLines = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterLines);
        return Move(batchId, (lifecycle, batch, now) => lifecycle.Expire(batch, afterLines, now));
    }

    /// <summary>Fails an OpenAI batch as a whole, as OpenAI does when it cannot run one: status <c>failed</c>, the error in <c>errors.data</c>, no output.</summary>
    /// <param name="batchId">The batch id.</param>
    /// <param name="reason">The error message.</param>
    /// <param name="code">The error code.</param>
    /// <returns>The batch's snapshot afterwards.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="batchId"/>, <paramref name="reason"/> or <paramref name="code"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">No batch has that id.</exception>
    /// <exception cref="InvalidOperationException">The batch is an Anthropic one (those fail request by request: have the responder answer errors), or is neither validating nor in progress.</exception>
    public MockBatch Fail(string batchId, string reason, string code = "mock_failure")
    {
        ArgumentNullException.ThrowIfNull(reason);
        ArgumentNullException.ThrowIfNull(code);
        return Move(batchId, (_, batch, now) => MockBatchLifecycle.Fail(batch, new MockBatchError(code, reason), now));
    }

    /// <summary>Routes the batch endpoints on the server.</summary>
    /// <param name="server">The WireMock.Net server.</param>
    internal void Map(WireMockServer server)
    {
        var openAI = new OpenAIBatchRoutes(this);
        var anthropic = new AnthropicBatchRoutes(this);
        server.Given(Request.Create().WithPath(new RegexMatcher("^/v1/messages/batches(/.*)?$")))
            .RespondWith(Response.Create().WithCallback(anthropic.Handle));
        server.Given(Request.Create().WithPath(new RegexMatcher("^/v1/(files|batches)(/.*)?$")))
            .RespondWith(Response.Create().WithCallback(openAI.Handle));
    }

    /// <summary>The key a request sent, when <see cref="AcceptedApiKey"/> refuses it. Called under the store's lock.</summary>
    /// <param name="request">The request.</param>
    /// <param name="refused">The key sent (empty when none was).</param>
    /// <returns><see langword="true"/> when the request must be refused.</returns>
    internal bool Refuses(IRequestMessage request, out string refused)
    {
        refused = MockChatRequest.ReadApiKey(MockChatServer.FirstValues(request.Headers)) ?? string.Empty;
        return _acceptedApiKey is { } accepted && !string.Equals(refused, accepted, StringComparison.Ordinal);
    }

    /// <summary>Brings a batch up to the clock. Called under the store's lock.</summary>
    /// <param name="batch">The batch.</param>
    internal void CatchUp(MockBatchRecord batch) => Lifecycle.CatchUp(batch, Now, _autoAdvanceInterval);

    private MockBatch Move(string batchId, Action<MockBatchLifecycle, MockBatchRecord, DateTimeOffset> move)
    {
        ArgumentNullException.ThrowIfNull(batchId);
        lock (Store.Gate)
        {
            var batch = Store.FindBatch(batchId) ?? throw new ArgumentException($"The mock server holds no batch with id '{batchId}'.", nameof(batchId));
            CatchUp(batch);
            move(Lifecycle, batch, Now);
            return MockBatchLifecycle.Snapshot(batch);
        }
    }

    private T Read<T>(Func<T> read)
    {
        lock (Store.Gate)
        {
            return read();
        }
    }

    private void Write(Action write)
    {
        lock (Store.Gate)
        {
            write();
        }
    }
}
