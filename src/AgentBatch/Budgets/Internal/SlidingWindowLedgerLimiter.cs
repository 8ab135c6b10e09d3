using System.Threading.RateLimiting;

namespace AgentBatch.Internal;

/// <summary>
/// A one-minute (or any) sliding-window rate limiter whose leases can be corrected after the fact, so a call
/// paced on its estimate is charged what the server reported.
/// </summary>
/// <remarks>
/// <para>
/// The built-in <see cref="SlidingWindowRateLimiter"/> cannot give back permits once acquired; pacing tokens on
/// worst-case estimates would then leave much of a tokens-per-minute limit unused. This limiter keeps a ledger of
/// what each lease spent and when: permits return one window after their lease was granted or, once
/// <see cref="Lease.Reconcile(long)"/> has replaced the estimate with the real figure, one window after that.
/// </para>
/// <para>Waiters are served first-in, first-out; time comes from a <see cref="TimeProvider"/>, so tests can drive it.</para>
/// </remarks>
internal sealed class SlidingWindowLedgerLimiter : RateLimiter
{
    private readonly long _permitLimit;
    private readonly TimeSpan _window;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _gate = new();
    private readonly LinkedList<Lease> _granted = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private readonly ITimer _timer;
    private long _inWindow;
    private long _idleSince;
    private long _totalGranted;
    private long _totalFailed;
    private bool _disposed;

    public SlidingWindowLedgerLimiter(long permitLimit, TimeSpan window, TimeProvider timeProvider)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(permitLimit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        _permitLimit = permitLimit;
        _window = window;
        _timeProvider = timeProvider;
        _idleSince = timeProvider.GetTimestamp();
        _timer = timeProvider.CreateTimer(static state => ((SlidingWindowLedgerLimiter)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public long PermitLimit => _permitLimit;

    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_gate)
            {
                return _granted.Count == 0 && _waiters.Count == 0 ? _timeProvider.GetElapsedTime(_idleSince) : null;
            }
        }
    }

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_gate)
        {
            Expire();
            return new RateLimiterStatistics
            {
                CurrentAvailablePermits = _permitLimit - _inWindow,
                CurrentQueuedCount = _waiters.Count,
                TotalSuccessfulLeases = _totalGranted,
                TotalFailedLeases = _totalFailed,
            };
        }
    }

    /// <summary>Waits until <paramref name="permits"/> fit in the window, then takes them.</summary>
    public async ValueTask<Lease> AcquireLeaseAsync(long permits, CancellationToken cancellationToken)
    {
        var lease = await AcquireAsync(checked((int)Math.Min(permits, int.MaxValue)), cancellationToken).ConfigureAwait(false);
        return (Lease)lease;
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        ValidatePermits(permitCount);
        lock (_gate)
        {
            Expire();
            if (_waiters.Count == 0 && _inWindow + permitCount <= _permitLimit)
            {
                return Grant(permitCount);
            }

            _totalFailed++;
            return FailedLease.Instance;
        }
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        ValidatePermits(permitCount);
        Waiter waiter;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Expire();
            if (_waiters.Count == 0 && _inWindow + permitCount <= _permitLimit)
            {
                return new ValueTask<RateLimitLease>(Grant(permitCount));
            }

            waiter = new Waiter(permitCount);
            waiter.Node = _waiters.AddLast(waiter);
            ScheduleTimer();
        }

        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.Register(static state =>
            {
                var (limiter, w, token) = ((SlidingWindowLedgerLimiter, Waiter, CancellationToken))state!;
                limiter.Cancel(w, token);
            }, (this, waiter, cancellationToken));

            // Served before the registration existed: nobody else will dispose it.
            if (waiter.Completion.Task.IsCompleted)
            {
                waiter.Registration.Dispose();
            }
        }

        return new ValueTask<RateLimitLease>(waiter.Completion.Task);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing)
        {
            return;
        }

        List<Waiter> abandoned;
        lock (_gate)
        {
            _disposed = true;
            abandoned = [.. _waiters];
            _waiters.Clear();
        }

        _timer.Dispose();
        foreach (var waiter in abandoned)
        {
            waiter.Registration.Dispose();
            waiter.Completion.TrySetException(new ObjectDisposedException(nameof(SlidingWindowLedgerLimiter)));
        }
    }

    private void ValidatePermits(int permitCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(permitCount);
        if (permitCount > _permitLimit)
        {
            throw new ArgumentOutOfRangeException(
                nameof(permitCount),
                permitCount,
                $"A single call needs {permitCount} permits but the per-window limit is {_permitLimit}: it could never be made.");
        }
    }

    private Lease Grant(long permits)
    {
        var lease = new Lease(this, permits, _timeProvider.GetTimestamp());
        lease.Node = _granted.AddLast(lease);
        _inWindow += permits;
        _totalGranted++;
        return lease;
    }

    /// <summary>Drops the leases older than one window. Caller holds the lock.</summary>
    private void Expire()
    {
        var now = _timeProvider.GetTimestamp();
        while (_granted.First is { } oldest && _timeProvider.GetElapsedTime(oldest.Value.GrantedAt, now) >= _window)
        {
            _inWindow -= oldest.Value.Permits;
            oldest.Value.Node = null;
            _granted.RemoveFirst();
        }

        if (_granted.Count == 0 && _waiters.Count == 0)
        {
            _idleSince = now;
        }
    }

    /// <summary>Grants queued waiters in order while they fit. Caller holds the lock; completions run after it is released.</summary>
    private List<(Waiter Waiter, Lease Lease)>? ServeWaiters()
    {
        List<(Waiter, Lease)>? served = null;
        while (_waiters.First is { } next && _inWindow + next.Value.Permits <= _permitLimit)
        {
            _waiters.RemoveFirst();
            next.Value.Node = null;
            (served ??= []).Add((next.Value, Grant(next.Value.Permits)));
        }

        ScheduleTimer();
        return served;
    }

    private static void Complete(List<(Waiter Waiter, Lease Lease)>? served)
    {
        if (served is null)
        {
            return;
        }

        foreach (var (waiter, lease) in served)
        {
            waiter.Registration.Dispose();
            if (!waiter.Completion.TrySetResult(lease))
            {
                lease.Dispose();
            }
        }
    }

    /// <summary>Wakes up when the oldest lease leaves the window, if anyone is waiting. Caller holds the lock.</summary>
    private void ScheduleTimer()
    {
        if (_disposed)
        {
            return;
        }

        if (_waiters.Count == 0 || _granted.First is null)
        {
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        var due = _window - _timeProvider.GetElapsedTime(_granted.First.Value.GrantedAt);
        _timer.Change(due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private void OnTimer()
    {
        List<(Waiter, Lease)>? served;
        lock (_gate)
        {
            Expire();
            served = ServeWaiters();
        }

        Complete(served);
    }

    private void Cancel(Waiter waiter, CancellationToken token)
    {
        lock (_gate)
        {
            if (waiter.Node is null)
            {
                return;
            }

            _waiters.Remove(waiter.Node);
            waiter.Node = null;
            _totalFailed++;
        }

        waiter.Completion.TrySetCanceled(token);
    }

    private void Reconcile(Lease lease, long actualPermits)
    {
        List<(Waiter, Lease)>? served;
        lock (_gate)
        {
            if (lease.Node is null)
            {
                // Already out of the window: nothing it spent counts any more.
                lease.Permits = actualPermits;
                return;
            }

            _inWindow += actualPermits - lease.Permits;
            lease.Permits = actualPermits;

            // The provider may count the tokens when it answers rather than when it was asked: charging them from now
            // keeps this window at least as strict as the provider's either way, at the cost of one call's latency.
            _granted.Remove(lease.Node);
            lease.GrantedAt = _timeProvider.GetTimestamp();
            lease.Node = _granted.AddLast(lease);
            Expire();
            served = ServeWaiters();
        }

        Complete(served);
    }

    /// <summary>Permits granted at a point in time; they return to the limiter one window later.</summary>
    internal sealed class Lease : RateLimitLease
    {
        private readonly SlidingWindowLedgerLimiter _limiter;

        public Lease(SlidingWindowLedgerLimiter limiter, long permits, long grantedAt)
        {
            _limiter = limiter;
            Permits = permits;
            GrantedAt = grantedAt;
        }

        public long Permits { get; set; }

        public long GrantedAt { get; set; }

        public LinkedListNode<Lease>? Node { get; set; }

        public override bool IsAcquired => true;

        public override IEnumerable<string> MetadataNames => [];

        /// <summary>Replaces the permits this lease holds with what the call really used.</summary>
        public void Reconcile(long actualPermits) => _limiter.Reconcile(this, Math.Max(0, actualPermits));

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }

    private sealed class FailedLease : RateLimitLease
    {
        public static readonly FailedLease Instance = new();

        public override bool IsAcquired => false;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }

    private sealed class Waiter
    {
        public Waiter(long permits) => Permits = permits;

        public long Permits { get; }

        public TaskCompletionSource<RateLimitLease> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LinkedListNode<Waiter>? Node { get; set; }

        public CancellationTokenRegistration Registration { get; set; }
    }
}
