namespace AgentBatch.Internal;

/// <summary>The per-batch ledger of the token and cost caps: calls reserve their estimate before they are made.</summary>
/// <remarks>
/// Spent plus reserved never exceeds a cap, so as long as each call's real usage stays within its estimate the
/// batch's reported usage cannot exceed the cap, at any concurrency. A call that does not fit waits while other
/// reservations are outstanding (they usually settle below their estimate and free room) and is refused only when
/// nothing in flight could free any.
/// </remarks>
internal sealed class BatchBudget
{
    private readonly long? _maxTokens;
    private readonly decimal? _maxCost;
    private readonly Lock _gate = new();
    private long _spentTokens;
    private long _reservedTokens;
    private decimal _spentCost;
    private decimal _reservedCost;
    private int _outstanding;
    private TaskCompletionSource _changed = NewSignal();

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

    /// <summary>Reserves a call's estimate, waiting while outstanding reservations may still free room.</summary>
    /// <exception cref="BudgetExceededException">The estimate cannot fit, and nothing in flight can free room.</exception>
    public async ValueTask<BudgetReservation> ReserveAsync(long tokens, decimal cost, CancellationToken cancellationToken)
    {
        // A call larger than the whole cap could never be made: refused at once, without waiting for room.
        if (_maxTokens is { } maxTokens && tokens > maxTokens)
        {
            throw new BudgetExceededException(BudgetLimit.Tokens, maxTokens, tokens, Math.Max(0, maxTokens - SpentTokens));
        }

        if (_maxCost is { } maxCost && cost > maxCost)
        {
            throw new BudgetExceededException(BudgetLimit.Cost, maxCost, cost, Math.Max(0, maxCost - SpentCost));
        }

        while (true)
        {
            Task changed;
            lock (_gate)
            {
                var refusal = Refuse(tokens, cost);
                if (refusal is null)
                {
                    _reservedTokens += tokens;
                    _reservedCost += cost;
                    _outstanding++;
                    return new BudgetReservation(tokens, cost);
                }

                if (_outstanding == 0)
                {
                    throw refusal;
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Replaces a reservation with what the call really spent.</summary>
    public void Settle(BudgetReservation reservation, long spentTokens, decimal spentCost)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _reservedTokens -= reservation.Tokens;
            _reservedCost -= reservation.Cost;
            _spentTokens += spentTokens;
            _spentCost += spentCost;
            _outstanding--;
            changed = _changed;
            _changed = NewSignal();
        }

        changed.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private BudgetExceededException? Refuse(long tokens, decimal cost)
    {
        if (_maxTokens is { } maxTokens && _spentTokens + _reservedTokens + tokens > maxTokens)
        {
            return new BudgetExceededException(BudgetLimit.Tokens, maxTokens, tokens, Math.Max(0, maxTokens - _spentTokens - _reservedTokens));
        }

        if (_maxCost is { } maxCost && _spentCost + _reservedCost + cost > maxCost)
        {
            return new BudgetExceededException(BudgetLimit.Cost, maxCost, cost, Math.Max(0, maxCost - _spentCost - _reservedCost));
        }

        return null;
    }
}
