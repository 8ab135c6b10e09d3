namespace AgentBatch.Internal;

/// <summary>
/// The number of items a batch lets into flight, lowered when the provider answers 429 and raised again as calls
/// succeed (additive increase, multiplicative decrease), never above the configured maximum.
/// </summary>
/// <remarks>
/// <para>
/// The dispatcher awaits <see cref="WaitAsync"/> before it starts an item and calls <see cref="Release"/> when the item
/// ends. Model calls report their outcome through <see cref="OnSuccess"/> and <see cref="OnRateLimited"/>.
/// </para>
/// <para>
/// A burst of 429s from calls that were all sent under the same limit halves it once, not once per call: each call
/// carries the <see cref="Epoch"/> it started in, and only a 429 from the current epoch lowers the limit again.
/// Items already in flight are never interrupted; the limit applies to the items started next.
/// </para>
/// <para>All members are thread-safe.</para>
/// </remarks>
internal sealed class AdaptiveConcurrencyLimiter
{
    private readonly Lock _gate = new();
    private readonly Queue<TaskCompletionSource> _waiters = new();
    private readonly int _max;
    private int _limit;
    private int _inFlight;
    private int _successes;
    private int _epoch;

    public AdaptiveConcurrencyLimiter(int maxConcurrency)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrency, 1);
        _max = maxConcurrency;
        _limit = maxConcurrency;
    }

    /// <summary>Raised, outside the lock, with the previous and the new limit whenever it changes.</summary>
    public event Action<int, int>? LimitChanged;

    /// <summary>Gets the number of items currently allowed in flight.</summary>
    public int CurrentLimit
    {
        get
        {
            lock (_gate)
            {
                return _limit;
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

    /// <summary>Gets the current limit's generation, to pass back to <see cref="OnRateLimited"/>.</summary>
    public int Epoch => Volatile.Read(ref _epoch);

    /// <summary>Waits until an item may start under the current limit, and takes its slot.</summary>
    public Task WaitAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_gate)
        {
            if (_inFlight < _limit && _waiters.Count == 0)
            {
                _inFlight++;
                return Task.CompletedTask;
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
        }

        if (!cancellationToken.CanBeCanceled)
        {
            return waiter.Task;
        }

        // A cancelled waiter stays queued; the wake-up loop skips it because its task is already complete.
        var registration = cancellationToken.Register(static state => ((TaskCompletionSource)state!).TrySetCanceled(), waiter);
        return WaitCoreAsync(waiter, registration);
    }

    /// <summary>Returns an item's slot.</summary>
    public void Release()
    {
        lock (_gate)
        {
            _inFlight--;
            WakeWaiters();
        }
    }

    /// <summary>Records a call that got an answer: after a full window of them, one more item may run.</summary>
    public void OnSuccess()
    {
        int? changed = null;
        var previous = 0;
        lock (_gate)
        {
            if (_limit < _max && ++_successes >= _limit)
            {
                previous = _limit;
                _limit++;
                _successes = 0;
                changed = _limit;
                WakeWaiters();
            }
        }

        if (changed is { } limit)
        {
            LimitChanged?.Invoke(previous, limit);
        }
    }

    /// <summary>Records a 429 for a call sent in <paramref name="epoch"/>: the limit halves, once per epoch.</summary>
    public void OnRateLimited(int epoch)
    {
        int? changed = null;
        var previous = 0;
        lock (_gate)
        {
            _successes = 0;
            if (epoch == _epoch && _limit > 1)
            {
                previous = _limit;
                _limit = Math.Max(1, _limit / 2);
                _epoch++;
                changed = _limit;
            }
        }

        if (changed is { } limit)
        {
            LimitChanged?.Invoke(previous, limit);
        }
    }

    private static async Task WaitCoreAsync(TaskCompletionSource waiter, CancellationTokenRegistration registration)
    {
        using (registration)
        {
            await waiter.Task.ConfigureAwait(false);
        }
    }

    private void WakeWaiters()
    {
        while (_inFlight < _limit && _waiters.TryDequeue(out var waiter))
        {
            if (waiter.TrySetResult())
            {
                _inFlight++;
            }
        }
    }
}
