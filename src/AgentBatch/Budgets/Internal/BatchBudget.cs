namespace AgentBatch.Internal;

/// <summary>The in-process <see cref="SpendLedger"/>: every request reserves its estimate before it is sent, in input order.</summary>
/// <remarks>
/// <para>
/// The invariant: spent plus reserved never exceeds a cap. A request is sent only once its estimate (counted input plus
/// output limit) is reserved, and a reservation is settled with what the server reported, or kept whole when the
/// request may have been billed but nothing was reported. So the spend, as reported, cannot exceed a cap at any
/// concurrency, whether one batch or several share the ledger.
/// </para>
/// <para>
/// Requests are admitted in input order: a request waits behind every waiting request of an earlier item, even if it
/// would fit, so items near the cap are not starved by later ones. A waiting request is served when settlements free
/// room. When nothing is in flight that could free room and a request still does not fit, its output limit is lowered
/// to what the cap has left (down to <see cref="SpendLedger.MinimumOutputTokens"/>); only when even that does not fit is
/// it refused, which means the cap is spent.
/// </para>
/// <para>All members are thread-safe; waiters are completed outside the lock.</para>
/// </remarks>
internal sealed class BatchBudget : SpendLedger
{
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
        : base(maxTokens, maxCost)
    {
        _maxTokens = maxTokens;
        _maxCost = maxCost;
    }

    public override long SpentTokens
    {
        get
        {
            lock (_gate)
            {
                return _spentTokens;
            }
        }
    }

    public override decimal SpentCost
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
    /// <param name="mayWait">
    /// Whether the request may wait for requests in flight to settle; <see langword="false"/> (a request submitted in a
    /// provider batch, where settling means a batch ending) admits it now, with its output lowered if that is the only way
    /// it fits, or refuses it.
    /// </param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The reservation; its <see cref="BudgetReservation.OutputLimit"/> is set when the request must be sent with a lower output limit.</returns>
    /// <exception cref="BudgetExceededException">The request cannot fit, even with its output lowered, and nothing in flight can free room (or it may not wait); or it is larger than the whole cap.</exception>
    public override ValueTask<BudgetReservation> ReserveAsync(CallEstimate estimate, int order, bool mayWait, CancellationToken cancellationToken)
    {
        // The smallest form of the request is larger than the whole cap: it could never be made.
        if (RefuseIfLargerThanCap(estimate) is { } never)
        {
            throw never;
        }

        Waiter waiter;
        lock (_gate)
        {
            // Earlier items first: a request that would fit still queues behind a waiting earlier item. One that may not
            // wait (the provider batch lane's) is admitted or refused now, whoever waits: queued, it would wait after all.
            if (!mayWait || _waiters.Count == 0 || _waiters.Min!.Order > order)
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

    /// <inheritdoc />
    public override void Settle(BudgetReservation reservation, long spentTokens, decimal spentCost)
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

    /// <inheritdoc />
    public override void Charge(long tokens, decimal cost)
    {
        lock (_gate)
        {
            _spentTokens += Math.Max(0, tokens);
            _spentCost += Math.Max(0m, cost);
        }
    }

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
            refusal = Refusal(Smallest(estimate), TokensLeft, CostLeft);
        }

        return false;
    }

    private bool Fits(CallEstimate estimate) =>
        (_maxTokens is not { } maxTokens || _spentTokens + _reservedTokens + estimate.Tokens <= maxTokens)
        && (_maxCost is not { } maxCost || _spentCost + _reservedCost + estimate.Cost <= maxCost);

    private bool ExceedsCap(CallEstimate estimate) =>
        (_maxTokens is { } maxTokens && estimate.Tokens > maxTokens) || (_maxCost is { } maxCost && estimate.Cost > maxCost);

    /// <summary>The largest output limit, at least the minimum, with which the request fits what is left; <see langword="null"/> when none does.</summary>
    private long? LoweredOutput(CallEstimate estimate) => LowerOutputToFit(estimate, TokensLeft, CostLeft);

    /// <summary>Under the lock: what is left of the token cap, or <see langword="null"/> for none.</summary>
    private long? TokensLeft => _maxTokens is { } maxTokens ? maxTokens - _spentTokens - _reservedTokens : null;

    /// <summary>Under the lock: what is left of the cost cap, or <see langword="null"/> for none.</summary>
    private decimal? CostLeft => _maxCost is { } maxCost ? maxCost - _spentCost - _reservedCost : null;

    private BudgetReservation Hold(CallEstimate estimate, int? outputLimit)
    {
        var cost = estimate.Cost;
        _reservedTokens += estimate.Tokens;
        _reservedCost += cost;
        _outstanding++;
        return new BudgetReservation(estimate.Tokens, cost, outputLimit) { IsHeld = true };
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
