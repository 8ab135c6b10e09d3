using System.Threading.Tasks.Sources;

namespace AgentBatch.Internal;

/// <summary>The sliding window of a batch: how many items may be in flight, and how many are.</summary>
/// <remarks>
/// <para>
/// The batch's one dispatcher awaits <see cref="WaitAsync"/> before it starts an item, and each item calls
/// <see cref="Release"/> when it ends. <see cref="Limit"/> is fixed, or moved by adaptive concurrency; lowering it never
/// interrupts an item, it holds back the next ones.
/// </para>
/// <para>
/// It has room for one waiter at a time, which it completes through a reused <see cref="IValueTaskSource{TResult}"/>:
/// waiting for a slot allocates nothing. That was a <see cref="SemaphoreSlim"/> and a second, adaptive, queue, and
/// about 350 bytes per item. A slot freed by <see cref="Release"/> is handed to the waiter on the releasing thread.
/// <see cref="Release"/>, <see cref="Limit"/> and the read-only members are thread-safe.
/// </para>
/// </remarks>
internal sealed class ConcurrencyWindow : IValueTaskSource<bool>
{
    private readonly Lock _gate = new();
    private ManualResetValueTaskSourceCore<bool> _waiter;
    private CancellationTokenRegistration _registration;
    private bool _waiting;
    private int _limit;
    private int _inFlight;

    public ConcurrencyWindow(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1, nameof(limit));
        _limit = limit;
    }

    /// <summary>Gets or sets the number of items allowed in flight; raising it lets the waiter in at once.</summary>
    public int Limit
    {
        get
        {
            lock (_gate)
            {
                return _limit;
            }
        }

        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(Limit));
            lock (_gate)
            {
                _limit = value;

                // Raised from inside adaptive concurrency's lock: the dispatcher resumes on another thread.
                if (TryGrant())
                {
                    _waiter.RunContinuationsAsynchronously = true;
                    _waiter.SetResult(true);
                }
            }
        }
    }

    /// <summary>Gets the number of items holding a slot.</summary>
    public int InFlight
    {
        get
        {
            lock (_gate)
            {
                return _inFlight;
            }
        }
    }

    /// <summary>Waits for room in the window and takes a slot: <see langword="true"/>, or <see langword="false"/>, holding nothing, when <paramref name="cancellationToken"/> is cancelled first.</summary>
    /// <exception cref="InvalidOperationException">Another wait is still pending.</exception>
    public ValueTask<bool> WaitAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_waiting)
            {
                throw new InvalidOperationException("The concurrency window has one waiter at a time.");
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return new ValueTask<bool>(false);
            }

            if (_inFlight < _limit)
            {
                _inFlight++;
                return new ValueTask<bool>(true);
            }

            _waiter.Reset();
            _waiting = true;
        }

        // Registered outside the lock: an already cancelled token runs the callback here and now. The result is read
        // (and the registration disposed) only after this method has returned, on this thread or the continuation's.
        _registration = cancellationToken.UnsafeRegister(static state => ((ConcurrencyWindow)state!).CancelWait(), this);
        return new ValueTask<bool>(this, _waiter.Version);
    }

    /// <summary>Returns an item's slot; a waiting dispatcher takes it and goes on on this thread.</summary>
    /// <remarks>
    /// Like a <c>Parallel.ForEachAsync</c> worker that takes its next item itself, the thread that ends an item starts the
    /// next one (until that one's first real await) instead of waking another thread to do it: the wake-up was a
    /// thread-pool hop per item, the largest share of the CPU AgentBatch added per item when calls take a while. The
    /// dispatcher's own execution context is restored for it, and nothing runs inside the lock.
    /// </remarks>
    public void Release()
    {
        bool granted;
        lock (_gate)
        {
            _inFlight--;
            granted = TryGrant();
        }

        if (granted)
        {
            // No one else completes this wait now: the waiter flag was cleared under the lock.
            _waiter.RunContinuationsAsynchronously = false;
            _waiter.SetResult(true);
        }
    }

    bool IValueTaskSource<bool>.GetResult(short token)
    {
        _registration.Dispose();
        _registration = default;
        return _waiter.GetResult(token);
    }

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _waiter.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _waiter.OnCompleted(continuation, state, token, flags);

    private void CancelWait()
    {
        lock (_gate)
        {
            if (_waiting)
            {
                // Cancelled from whoever cancels the batch (a consumer leaving, say): the dispatcher ends on another thread.
                _waiting = false;
                _waiter.RunContinuationsAsynchronously = true;
                _waiter.SetResult(false);
            }
        }
    }

    /// <summary>Under the lock: gives the waiter a slot if there is room; the caller then completes its wait.</summary>
    private bool TryGrant()
    {
        if (_waiting && _inFlight < _limit)
        {
            _inFlight++;
            _waiting = false;
            return true;
        }

        return false;
    }
}
