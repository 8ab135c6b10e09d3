namespace AgentBatch.Internal;

/// <summary>The waits the latest error responses asked for (<c>retry-after-ms</c>, <c>retry-after</c>), by their <c>request-id</c>.</summary>
/// <remarks>
/// <para>
/// The Anthropic client's exceptions carry the status, the body and the request id, not the headers, and with its own
/// retries off nothing else reads them. <see cref="RetryAfterRecordingHandler"/> writes here what each error response
/// asked for; the classifier finds it again by the exception's <c>RequestID</c>. A request id is unique per response, so
/// one store serves every client and call.
/// </para>
/// <para>
/// It keeps the last <see cref="Capacity"/> entries, oldest out first: an entry is read within the same call, moments after
/// it is written, so a small store never loses one that is still wanted, and memory stays flat however long a batch runs.
/// Reading does not remove, so an error classified twice reads the same wait. Thread-safe.
/// </para>
/// </remarks>
internal sealed class ErrorResponseWaits
{
    /// <summary>How many responses the store remembers.</summary>
    public const int Capacity = 512;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, (string? Milliseconds, string? RetryAfter)> _byRequestId = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    /// <summary>Remembers what an error response asked for.</summary>
    /// <param name="requestId">The response's <c>request-id</c>.</param>
    /// <param name="milliseconds">Its <c>retry-after-ms</c>, or <see langword="null"/>.</param>
    /// <param name="retryAfter">Its <c>retry-after</c>, or <see langword="null"/>.</param>
    public void Record(string requestId, string? milliseconds, string? retryAfter)
    {
        lock (_gate)
        {
            if (!_byRequestId.ContainsKey(requestId))
            {
                if (_order.Count == Capacity)
                {
                    _byRequestId.Remove(_order.Dequeue());
                }

                _order.Enqueue(requestId);
            }

            _byRequestId[requestId] = (milliseconds, retryAfter);
        }
    }

    /// <summary>Finds what the response with <paramref name="requestId"/> asked for.</summary>
    /// <param name="requestId">The exception's request id, or <see langword="null"/>.</param>
    /// <param name="milliseconds">The <c>retry-after-ms</c> header, or <see langword="null"/>.</param>
    /// <param name="retryAfter">The <c>retry-after</c> header, or <see langword="null"/>.</param>
    /// <returns><see langword="true"/> when the response is remembered.</returns>
    public bool TryGet(string? requestId, out string? milliseconds, out string? retryAfter)
    {
        (string? Milliseconds, string? RetryAfter) wait = default;
        bool found;
        lock (_gate)
        {
            found = requestId is not null && _byRequestId.TryGetValue(requestId, out wait);
        }

        (milliseconds, retryAfter) = wait;
        return found;
    }
}
