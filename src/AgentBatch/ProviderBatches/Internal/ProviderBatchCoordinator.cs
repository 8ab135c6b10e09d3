using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace AgentBatch.Internal;

/// <summary>The provider batch lane of one batch run: gathers its model calls into provider batches, submits, polls and answers them.</summary>
/// <remarks>
/// <para>
/// Calls reach it from the per-call policy (<see cref="ModelCallPolicy"/>), after they were reserved against the caps, in
/// place of the request a live call sends: <see cref="SendAsync"/> turns one into a request and returns the task its item
/// awaits. Requests wait in one queue per provider client and model until the run is quiet, then go out as batches.
/// </para>
/// <para>
/// Quiet is counted, not timed: every flow that may still make a call is <em>busy</em> (the dispatcher while it can
/// start items, every item from its start to its end, less the time it waits here). A call that starts waiting leaves
/// the count; a call that is answered rejoins it before its item resumes. When the count reaches zero, nothing can add a
/// request until a batch answers, so the queued requests are submitted; a queue that fills a batch under the limits is
/// submitted at once.
/// </para>
/// <para>
/// Durability (<see cref="ProviderBatchOptions.Store"/>): a record of each batch is saved before it is created and its id
/// right after. A restarted run reads the records first; each call whose request body hashes to a recorded request
/// claims that request and is answered from its batch, which the run polls (at once: it may have ended meanwhile).
/// </para>
/// <para>Thread-safe: one lock guards the queues, the batches and the busy count; no user code and no I/O runs under it.</para>
/// </remarks>
internal sealed partial class ProviderBatchCoordinator : IDisposable
{
    private readonly ProviderBatchOptions _options;
    private readonly int _maxAttempts;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Action<ProviderBatchProgress> _report;
    private readonly string _runTag;
    private readonly CancellationTokenSource _closing = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<(ProviderBatchClient Client, string Model), Chunk> _queued = [];
    private readonly List<OpenBatch> _open = [];
    private readonly List<Task> _work = [];
    private Dictionary<string, Queue<(RecordedBatch Batch, string CustomId)>>? _recorded;
    private int _busy = 1;
    private long _sequence;
    private bool _closed;

    /// <param name="options">The batch's options.</param>
    /// <param name="timeProvider">The batch's clock, for polling.</param>
    /// <param name="logger">The batch's logger.</param>
    /// <param name="report">Receives the provider's counts after each poll.</param>
    public ProviderBatchCoordinator(BatchOptions options, TimeProvider timeProvider, ILogger logger, Action<ProviderBatchProgress> report)
    {
        _options = options.ProviderBatch;
        _maxAttempts = options.MaxAttempts;
        _timeProvider = timeProvider;
        _logger = logger;
        _report = report;

        // The run's tag in submission keys: the same for a restarted run, so its keys name the same run.
        _runTag = _options.RunId is { } runId
            ? Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(runId)))[..12]
            : Guid.NewGuid().ToString("N")[..12];
    }

    /// <summary>Reads the records of an earlier run with the same id, so that its calls are answered from its batches.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        if (_options.Store is not { } store || _options.RunId is not { } runId)
        {
            return;
        }

        var recorded = new Dictionary<string, Queue<(RecordedBatch, string)>>(StringComparer.Ordinal);
        await foreach (var record in store.ReadAsync(runId, cancellationToken).ConfigureAwait(false))
        {
            var batch = new RecordedBatch(record);
            foreach (var request in record.Requests)
            {
                if (!recorded.TryGetValue(request.RequestKey, out var slots))
                {
                    recorded[request.RequestKey] = slots = new Queue<(RecordedBatch, string)>();
                }

                slots.Enqueue((batch, request.CustomId));
            }
        }

        lock (_gate)
        {
            _recorded = recorded;
        }
    }

    /// <summary>A flow that may make calls starts (an item, or the dispatcher again after waiting for a slot).</summary>
    public void Enter()
    {
        lock (_gate)
        {
            _busy++;
        }
    }

    /// <summary>A flow that may make calls ends or starts waiting; when none is left, the queued requests are submitted.</summary>
    public void Exit()
    {
        lock (_gate)
        {
            _busy--;
            FlushIfQuiet();
        }
    }

    /// <summary>Answers one model call from a provider batch: the reply, or the error a live call would have thrown.</summary>
    /// <param name="client">The provider's batch client.</param>
    /// <param name="modelId">The call's model.</param>
    /// <param name="messages">The call's messages.</param>
    /// <param name="options">The call's options, as the caps admitted it.</param>
    /// <param name="index">The item's index.</param>
    /// <param name="cancellationToken">The call's token: cancelling it stops waiting (the batch runs on at the provider).</param>
    public async Task<ChatResponse> SendAsync(
        ProviderBatchClient client, string modelId, IEnumerable<ChatMessage> messages, ChatOptions? options, int index, CancellationToken cancellationToken)
    {
        var customId = string.Create(CultureInfo.InvariantCulture, $"i{index}-{Interlocked.Increment(ref _sequence)}");
        var request = await client.CreateRequestAsync(customId, modelId, messages, options, cancellationToken).ConfigureAwait(false);
        var call = new PendingCall(request, RequestKeyOf(request.Body), index) { CustomId = customId };
        if (Volatile.Read(ref _recorded) is null || !await TryAttachAsync(client, call, cancellationToken).ConfigureAwait(false))
        {
            Enqueue(client, call);
        }

        using var registration = cancellationToken.UnsafeRegister(static (state, token) => ((ProviderBatchCoordinator)((object[])state!)[0]).Cancel((PendingCall)((object[])state!)[1], token), new object[] { this, call });
        return await call.Completion.Task.ConfigureAwait(false);
    }

    public void Dispose() => _closing.Dispose();

    /// <summary>A call's item stopped waiting: the call leaves its queue (or its batch, which runs on at the provider).</summary>
    private void Cancel(PendingCall call, CancellationToken token)
    {
        lock (_gate)
        {
            if (!call.Waiting)
            {
                return;
            }

            call.Waiting = false;
            _busy++;
            if (call.Batch is { } batch)
            {
                batch.Calls.Remove(call.CustomId);
                batch.Abandoned = true;
            }
        }

        // A queued call is skipped when its queue is submitted (its request is let go, so it is never sent).
        call.ReleaseRequest();
        call.Completion.TrySetCanceled(token);
    }

    /// <summary>Queues a call's request; a queue that would go over a batch's limits is submitted first.</summary>
    private void Enqueue(ProviderBatchClient client, PendingCall call)
    {
        var request = call.Request!;
        lock (_gate)
        {
            if (_closed)
            {
                call.Completion.TrySetException(new OperationCanceledException("The batch has ended."));
                return;
            }

            var (maxRequests, maxBytes) = LimitsOf(client);
            if (!_queued.TryGetValue((client, request.ModelId), out var chunk))
            {
                _queued[(client, request.ModelId)] = chunk = new Chunk(client);
            }
            else if (chunk.Calls.Count + 1 > maxRequests || chunk.Bytes + request.Size > maxBytes)
            {
                StartSubmission(chunk);
                _queued[(client, request.ModelId)] = chunk = new Chunk(client);
            }

            chunk.Calls.Add(call);
            chunk.Bytes += request.Size;
            call.Waiting = true;
            _busy--;
            FlushIfQuiet();
        }
    }

    /// <summary>Under the lock: submits every queue once no flow is busy.</summary>
    private void FlushIfQuiet()
    {
        if (_busy > 0 || _queued.Count == 0)
        {
            return;
        }

        foreach (var chunk in _queued.Values)
        {
            StartSubmission(chunk);
        }

        _queued.Clear();
    }

    private (int MaxRequests, long MaxBytes) LimitsOf(ProviderBatchClient client)
    {
        var limits = client.Limits;
        return (Math.Min(limits.MaxRequests, _options.MaxRequestsPerBatch ?? int.MaxValue), Math.Min(limits.MaxBytes, _options.MaxBytesPerBatch ?? long.MaxValue));
    }

    /// <summary>The key a request is recognised by after a restart: a hash of its body, which never holds its custom id.</summary>
    private static string RequestKeyOf(ReadOnlyMemory<byte> body) => Convert.ToHexStringLower(SHA256.HashData(body.Span))[..32];

    /// <summary>Under the lock: keeps a submission or watch task, forgetting the finished ones, so that closing can wait for them.</summary>
    private void Track(Task task)
    {
        _work.RemoveAll(static t => t.IsCompleted);
        _work.Add(task);
    }

    /// <summary>The requests of one client and model waiting to be submitted together.</summary>
    private sealed class Chunk(ProviderBatchClient client)
    {
        public ProviderBatchClient Client { get; } = client;

        public List<PendingCall> Calls { get; } = [];

        public long Bytes { get; set; }
    }
}
