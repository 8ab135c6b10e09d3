namespace AgentBatch.Internal;

/// <summary>How a batch stops: why, whether the unread items are still read to be reported, and whether items in flight are cancelled.</summary>
/// <param name="Reason">Why the batch stopped.</param>
/// <param name="Drain">Whether the rest of the source is read and each item reported <see cref="BatchItemStatus.Skipped"/> (otherwise nothing more is read).</param>
/// <param name="SkipReason">The error each skipped item carries, or <see langword="null"/>.</param>
/// <param name="CancelInFlight">Whether the items in flight are cancelled (otherwise they finish: they are paid for).</param>
/// <param name="NotSent">What the items this stop keeps from being sent report as their <see cref="BatchItemResult{TOutput}.NotSentReason"/>.</param>
internal sealed record StopState(BatchStopReason Reason, bool Drain, Exception? SkipReason, bool CancelInFlight, BatchNotSentReason NotSent);

/// <summary>A batch's stop: one immutable <see cref="StopState"/>, published once, atomically, and the cancellation it brings.</summary>
/// <remarks>
/// <para>
/// The first stop wins: <see cref="TryStop"/> swaps the state in with one compare-and-exchange, so a reader that sees a
/// state sees all of it (reason, drain, skip reason), never a reason without its drain setting. The batch's fault, when
/// there is one, is published before the state, so a reader that sees a stop for a fault sees the fault too.
/// </para>
/// <para>
/// Two tokens: <see cref="InFlightToken"/> cancels what is running (a stop that cancels in flight, the caller's
/// cancellation, the consumer leaving); <see cref="AbandonToken"/> only the consumer leaving or the caller cancelling,
/// after which no result is wanted. All members are thread-safe.
/// </para>
/// </remarks>
internal sealed class BatchStop : IDisposable
{
    private readonly CancellationTokenSource _inFlight;
    private readonly CancellationTokenSource _abandon;
    private StopState? _state;
    private Exception? _fault;

    public BatchStop(CancellationToken callerToken)
    {
        CallerToken = callerToken;
        _inFlight = CancellationTokenSource.CreateLinkedTokenSource(callerToken);
        _abandon = CancellationTokenSource.CreateLinkedTokenSource(callerToken);
    }

    public CancellationToken CallerToken { get; }

    public CancellationToken InFlightToken => _inFlight.Token;

    public CancellationToken AbandonToken => _abandon.Token;

    /// <summary>Gets the stop, or <see langword="null"/> while the batch runs on.</summary>
    public StopState? State => Volatile.Read(ref _state);

    /// <summary>Gets the error that stopped the batch (or that it met while stopping), if any.</summary>
    public Exception? Fault => Volatile.Read(ref _fault);

    public bool IsAbandoned => _abandon.IsCancellationRequested;

    /// <summary>Stops the batch, unless it is stopping already.</summary>
    /// <returns><see langword="true"/> when this call stopped it.</returns>
    public bool TryStop(StopState state)
    {
        if (Interlocked.CompareExchange(ref _state, state, null) is not null)
        {
            return false;
        }

        if (state.CancelInFlight)
        {
            Cancel(_inFlight);
        }

        return true;
    }

    /// <summary>Records <paramref name="error"/> as the batch's fault (the first one stays) and stops it with <paramref name="state"/>.</summary>
    public void SetFault(Exception error, StopState state)
    {
        // Racing faults agree: the one recorded is also the one every skipped item carries.
        var recorded = Interlocked.CompareExchange(ref _fault, error, null) ?? error;
        TryStop(ReferenceEquals(state.SkipReason, error) ? state with { SkipReason = recorded } : state);
    }

    /// <summary>The consumer left: in-flight items are cancelled, nothing more is read or reported.</summary>
    public void Abandon()
    {
        Cancel(_abandon);
        TryStop(new StopState(BatchStopReason.Canceled, Drain: false, SkipReason: null, CancelInFlight: true, BatchNotSentReason.Canceled));
        Cancel(_inFlight);
    }

    public void Dispose()
    {
        _inFlight.Dispose();
        _abandon.Dispose();
    }

    private static void Cancel(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Cancelled by a late callback after the batch ended: nothing is left to cancel.
        }
    }
}
