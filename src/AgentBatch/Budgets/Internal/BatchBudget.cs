namespace AgentBatch.Internal;

/// <summary>The per-batch ledger of the token and cost caps: every request reserves its estimate before it is sent.</summary>
/// <remarks>
/// <para>
/// The invariant: spent plus reserved never exceeds a cap. A request is sent only once its estimate (counted input plus
/// output limit) is reserved, and a reservation is settled with what the server reported, or kept whole when the
/// request may have been billed but nothing was reported. So the batch's spend, as reported, cannot exceed a cap at
/// any concurrency.
/// </para>
/// <para>
/// Requests are admitted in input order: a request waits behind every waiting request of an earlier item, even if it
/// would fit, so items near the cap are not starved by later ones. A waiting request is served when settlements free
/// room. When nothing is in flight that could free room and a request still does not fit, its output limit is lowered
/// to what the cap has left (down to <see cref="MinimumOutputTokens"/>); only when even that does not fit is it refused,
/// which means the cap is spent.
/// </para>
/// <para>All members are thread-safe; waiters are completed outside the lock.</para>
/// </remarks>
internal sealed class BatchBudget
{
    /// <summary>A request's output limit is never lowered below this (or below its own limit, if smaller) to fit a cap.</summary>
    public const int MinimumOutputTokens = 256;

    private readonly long? _maxTokens;
    private readonly decimal? _maxCost;
    private readonly Lock _gate = new();
    private readonly SortedSet<Waiter> _waiters = new(Waiter.InputOrder);
    private long _spentTokens;
    private long _reservedTokens;
    private decimal _spentCost;
    private decimal _reservedCost;
    private int _outstanding;
    private long _sequence;

    public BatchBudget(long? maxTokens, decimal? maxCost)
    {
        _maxTokens = maxTokens;
        _maxCost = maxCost;
    }

    public bool LimitsTokens => _maxTokens.HasValue;

    public bool LimitsCost => _maxCost.HasValue;

    public long SpentTokens
    {
        get
        {
            lock (_gate)
            {
                return _spentTokens;
            }
        }
    }

    public decimal SpentCost
    {
        get
        {
            lock (_gate)
            {
                return _spentCost;
            }
        }
    }

    /// <summary>Reserves a request's estimate, waiting in input order while requests in flight may still free room.</summary>
    /// <param name="estimate">The request's estimate.</param>
    /// <param name="order">The request's place in the queue: its item's index.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <param name="mayWait">
    /// Whether the request may wait for requests in flight to settle; <see langword="false"/> (a request submitted in a
    /// provider batch, where settling means a batch ending) admits it now, with its output lowered if that is the only way
    /// it fits, or refuses it.
    /// </param>
    /// <returns>The reservation; its <see cref="BudgetReservation.OutputLimit"/> is set when the request must be sent with a lower output limit.</returns>
    /// <exception cref="BudgetExceededException">The request cannot fit, even with its output lowered, and nothing in flight can free room (or it may not wait); or it is larger than the whole cap.</exception>
    public ValueTask<BudgetReservation> ReserveAsync(CallEstimate estimate, int order, CancellationToken cancellationToken, bool mayWait = true)
    {
        // The smallest form of the request is larger than the whole cap: it could never be made.
        var smallest = estimate.WithOutput(Math.Min(estimate.OutputTokens, MinimumOutputTokens));
        if (_maxTokens is { } maxTokens && smallest.Tokens > maxTokens)
        {
            throw new BudgetExceededException(BudgetLimit.Tokens, maxTokens, smallest.Tokens, Math.Max(0, maxTokens - SpentTokens));
        }

        if (_maxCost is { } maxCost && smallest.Cost > maxCost)
        {
            throw new BudgetExceededException(BudgetLimit.Cost, maxCost, smallest.Cost, Math.Max(0, maxCost - SpentCost));
        }

        Waiter waiter;
        lock (_gate)
        {
            // Earlier items first: a request that would fit still queues behind a waiting earlier item.
            if (_waiters.Count == 0 || _waiters.Min!.Order > order)
            {
                if (TryAdmit(estimate, mayWait, out var reservation, out var refusal))
                {
                    return new ValueTask<BudgetReservation>(reservation);
                }

                if (refusal is not null)
                {
                    throw refusal;
                }
            }

            waiter = new Waiter(this, estimate, order, _sequence++);
            _waiters.Add(waiter);
        }

        // Registered outside the lock: an already cancelled token runs the callback here and now. A waiter served before
        // the registration exists leaves a callback that finds it gone and does nothing.
        waiter.Registration = cancellationToken.UnsafeRegister(static state => ((Waiter)state!).Owner.Cancel((Waiter)state), waiter);

        return new ValueTask<BudgetReservation>(waiter.Completion.Task);
    }

    /// <summary>Replaces a reservation with what the request really spent (clamped at zero).</summary>
    public void Settle(BudgetReservation reservation, long spentTokens, decimal spentCost)
    {
        if (!reservation.IsHeld)
        {
            return;
        }

        List<(Waiter, BudgetReservation?, BudgetExceededException?)>? served;
        lock (_gate)
        {
            _reservedTokens -= reservation.Tokens;
            _reservedCost -= reservation.Cost;
            _spentTokens += Math.Max(0, spentTokens);
            _spentCost += Math.Max(0m, spentCost);
            _outstanding--;
            served = ServeWaiters();
        }

        Complete(served);
    }

    /// <summary>Counts spend no reservation covered (usage reported by an agent whose calls the batch did not see).</summary>
    public void Charge(long tokens, decimal cost)
    {
        lock (_gate)
        {
            _spentTokens += Math.Max(0, tokens);
            _spentCost += Math.Max(0m, cost);
        }
    }

    /// <summary>Gives a reservation back whole: its request was never sent.</summary>
    public void Release(BudgetReservation reservation) => Settle(reservation, 0, 0m);

    /// <summary>Under the lock: admits the estimate, lowered if it must and can be; or says why not (a refusal) or to wait (neither).</summary>
    private bool TryAdmit(CallEstimate estimate, bool mayWait, out BudgetReservation reservation, out BudgetExceededException? refusal)
    {
        refusal = null;
        if (Fits(estimate))
        {
            reservation = Hold(estimate, outputLimit: null);
            return true;
        }

        // Too big at its full output limit, either for good or until what is in flight settles. Lowering its output
        // only pays when waiting cannot help: nothing is in flight, or the full request is larger than the whole cap.
        var waitingCanHelp = mayWait && _outstanding > 0 && !ExceedsCap(estimate);
        if (!waitingCanHelp && LoweredOutput(estimate) is { } lowered)
        {
            reservation = Hold(estimate.WithOutput(lowered), (int)lowered);
            return true;
        }

        reservation = default;
        if (!mayWait || _outstanding == 0)
        {
            refusal = Refusal(estimate.WithOutput(Math.Min(estimate.OutputTokens, MinimumOutputTokens)));
        }

        return false;
    }

    private bool Fits(CallEstimate estimate) =>
        (_maxTokens is not { } maxTokens || _spentTokens + _reservedTokens + estimate.Tokens <= maxTokens)
        && (_maxCost is not { } maxCost || _spentCost + _reservedCost + estimate.Cost <= maxCost);

    private bool ExceedsCap(CallEstimate estimate) =>
        (_maxTokens is { } maxTokens && estimate.Tokens > maxTokens) || (_maxCost is { } maxCost && estimate.Cost > maxCost);

    /// <summary>The largest output limit, at least the minimum, with which the request fits what is left; <see langword="null"/> when none does.</summary>
    private long? LoweredOutput(CallEstimate estimate)
    {
        var output = estimate.OutputTokens;
        if (_maxTokens is { } maxTokens)
        {
            output = Math.Min(output, maxTokens - _spentTokens - _reservedTokens - estimate.InputTokens);
        }

        if (_maxCost is { } maxCost && estimate.Pricing is { OutputPerMillionTokens: > 0 } pricing)
        {
            var left = maxCost - _spentCost - _reservedCost - estimate.WithOutput(0).Cost;
            output = Math.Min(output, left <= 0 ? 0 : (long)Math.Floor(left * 1_000_000m / pricing.OutputPerMillionTokens));
        }

        var floor = Math.Min(estimate.OutputTokens, MinimumOutputTokens);
        var candidate = estimate.WithOutput(output);
        return output >= floor && output < estimate.OutputTokens && Fits(candidate) ? output : null;
    }

    private BudgetReservation Hold(CallEstimate estimate, int? outputLimit)
    {
        var cost = estimate.Cost;
        _reservedTokens += estimate.Tokens;
        _reservedCost += cost;
        _outstanding++;
        return new BudgetReservation(estimate.Tokens, cost, outputLimit) { IsHeld = true };
    }

    private BudgetExceededException Refusal(CallEstimate estimate)
    {
        if (_maxTokens is { } maxTokens && _spentTokens + _reservedTokens + estimate.Tokens > maxTokens)
        {
            return new BudgetExceededException(BudgetLimit.Tokens, maxTokens, estimate.Tokens, Math.Max(0, maxTokens - _spentTokens - _reservedTokens));
        }

        var maxCost = _maxCost ?? 0m;
        return new BudgetExceededException(BudgetLimit.Cost, maxCost, estimate.Cost, Math.Max(0, maxCost - _spentCost - _reservedCost));
    }

    /// <summary>Under the lock: admits waiters in input order while they fit; refuses the first when nothing in flight can free room.</summary>
    private List<(Waiter, BudgetReservation?, BudgetExceededException?)>? ServeWaiters()
    {
        List<(Waiter, BudgetReservation?, BudgetExceededException?)>? served = null;
        while (_waiters.Min is { } next)
        {
            if (TryAdmit(next.Estimate, mayWait: true, out var reservation, out var refusal))
            {
                _waiters.Remove(next);
                (served ??= []).Add((next, reservation, null));
            }
            else if (refusal is not null)
            {
                // The cap is spent for this request; the next, perhaps smaller, may still fit what is left.
                _waiters.Remove(next);
                (served ??= []).Add((next, null, refusal));
            }
            else
            {
                break;
            }
        }

        return served;
    }

    private static void Complete(List<(Waiter Waiter, BudgetReservation? Reservation, BudgetExceededException? Refusal)>? served)
    {
        if (served is null)
        {
            return;
        }

        foreach (var (waiter, reservation, refusal) in served)
        {
            waiter.Registration.Dispose();
            if (reservation is { } granted)
            {
                if (!waiter.Completion.TrySetResult(granted))
                {
                    // Cancelled at the same moment: the room goes back.
                    waiter.Owner.Release(granted);
                }
            }
            else
            {
                waiter.Completion.TrySetException(refusal!);
            }
        }
    }

    private void Cancel(Waiter waiter)
    {
        List<(Waiter, BudgetReservation?, BudgetExceededException?)>? served;
        lock (_gate)
        {
            if (!_waiters.Remove(waiter))
            {
                return;
            }

            // Removing the head may let the requests behind it in.
            served = ServeWaiters();
        }

        waiter.Completion.TrySetCanceled();
        Complete(served);
    }

    private sealed class Waiter(BatchBudget owner, CallEstimate estimate, int order, long sequence)
    {
        public BatchBudget Owner { get; } = owner;

        public static readonly IComparer<Waiter> InputOrder = Comparer<Waiter>.Create(static (a, b) =>
            a.Order != b.Order ? a.Order.CompareTo(b.Order) : a.Sequence.CompareTo(b.Sequence));

        public CallEstimate Estimate { get; } = estimate;

        public int Order { get; } = order;

        public long Sequence { get; } = sequence;

        public TaskCompletionSource<BudgetReservation> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenRegistration Registration { get; set; }
    }
}
