using AgentBatch.Internal;

namespace AgentBatch;

/// <summary>
/// The account a token cap and a cost cap are enforced against: what model calls have spent, and what the calls in flight
/// have reserved. Every call reserves its estimate before it is sent and settles it with what the server reported.
/// </summary>
/// <remarks>
/// <para>
/// By default each batch gets an account of its own, made from <see cref="BatchOptions.MaxTotalTokens"/> and
/// <see cref="BatchOptions.MaxCost"/>. Give one account, made with <see cref="Create(long?, decimal?)"/>, to several
/// batches' <see cref="BatchOptions.SpendLedger"/> and they share its caps in one process; a shared store (the
/// AgentBatch.Hosting.PostgreSql package) shares one across processes and machines.
/// </para>
/// <para>
/// The contract every implementation keeps: what is spent plus what is reserved never exceeds a cap. A reservation
/// that does not fit waits while reservations in flight may still free room; when none can, the call's output limit is
/// lowered to what the cap has left (down to <see cref="MinimumOutputTokens"/>, or the call's own limit if smaller) and
/// <see cref="BudgetReservation.OutputLimit"/> says so; when even that does not fit, <see cref="ReserveAsync(CallEstimate, int, bool, CancellationToken)"/> throws
/// <see cref="BudgetExceededException"/>. A reservation is settled exactly once, with what the call was charged.
/// </para>
/// <para>Implementations are thread-safe. <see cref="Settle"/> and <see cref="Charge"/> never throw and never wait.</para>
/// </remarks>
public abstract class SpendLedger
{
    /// <summary>A call's output limit is never lowered below this (or below its own limit, if smaller) to fit a cap.</summary>
    public const int MinimumOutputTokens = 256;

    /// <summary>Initializes a new instance of the <see cref="SpendLedger"/> class.</summary>
    /// <param name="maxTotalTokens">The most tokens (input plus output, as reported) the account's calls may use together; <see langword="null"/> for no token cap.</param>
    /// <param name="maxCost">The most the account's calls may cost together, in the currency of their pricing; <see langword="null"/> for no cost cap.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxTotalTokens"/> is less than 1, or <paramref name="maxCost"/> is negative.</exception>
    /// <exception cref="ArgumentException">Both caps are <see langword="null"/>.</exception>
    protected SpendLedger(long? maxTotalTokens, decimal? maxCost)
    {
        if (maxTotalTokens is { } tokens)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1, nameof(maxTotalTokens));
        }

        if (maxCost is { } cost)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(cost, nameof(maxCost));
        }

        if (maxTotalTokens is null && maxCost is null)
        {
            throw new ArgumentException("A spend ledger needs a token cap, a cost cap or both.", nameof(maxTotalTokens));
        }

        MaxTotalTokens = maxTotalTokens;
        MaxCost = maxCost;
    }

    /// <summary>Gets the token cap, or <see langword="null"/> when tokens are not capped.</summary>
    public long? MaxTotalTokens { get; }

    /// <summary>Gets the cost cap, or <see langword="null"/> when cost is not capped.</summary>
    public decimal? MaxCost { get; }

    /// <summary>Gets the tokens spent so far, as this ledger knows them (a shared store's figure may lag other processes).</summary>
    public abstract long SpentTokens { get; }

    /// <summary>Gets the cost spent so far, as this ledger knows it.</summary>
    public abstract decimal SpentCost { get; }

    /// <summary>Creates an account kept in this process: what batches sharing it reserve is admitted in input order, and they share its caps.</summary>
    /// <param name="maxTotalTokens">The token cap; <see langword="null"/> for none.</param>
    /// <param name="maxCost">The cost cap; <see langword="null"/> for none.</param>
    /// <returns>The account, safe to share between batches running at the same time.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxTotalTokens"/> is less than 1, or <paramref name="maxCost"/> is negative.</exception>
    /// <exception cref="ArgumentException">Both caps are <see langword="null"/>.</exception>
    public static SpendLedger Create(long? maxTotalTokens, decimal? maxCost) => new BatchBudget(maxTotalTokens, maxCost);

    /// <summary>Reserves a call's estimate before it is sent, waiting while calls in flight may still free room.</summary>
    /// <param name="estimate">The call's estimate.</param>
    /// <param name="order">The call's place in the queue: its item's index. A call never overtakes a waiting call of an earlier item of the same process.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The reservation; its <see cref="BudgetReservation.OutputLimit"/> is set when the call must be sent with that lower output limit.</returns>
    /// <exception cref="BudgetExceededException">The call does not fit even with its output lowered and nothing in flight can free room, or it alone is larger than the whole cap (<see cref="BudgetExceededException.ExceedsCap"/>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while the call waited.</exception>
    public ValueTask<BudgetReservation> ReserveAsync(CallEstimate estimate, int order, CancellationToken cancellationToken) =>
        ReserveAsync(estimate, order, mayWait: true, cancellationToken);

    /// <summary>Reserves a call's estimate before it is sent, waiting while calls in flight may still free room if <paramref name="mayWait"/> allows.</summary>
    /// <param name="estimate">The call's estimate.</param>
    /// <param name="order">The call's place in the queue: its item's index. A call never overtakes a waiting call of an earlier item of the same process.</param>
    /// <param name="mayWait">
    /// Whether the call may wait for calls in flight to settle; <see langword="false"/> (a request submitted in a provider
    /// batch, whose calls settle only when their batch ends) admits it now, with its output lowered if that is the only way
    /// it fits, or refuses it.
    /// </param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The reservation; its <see cref="BudgetReservation.OutputLimit"/> is set when the call must be sent with that lower output limit.</returns>
    /// <exception cref="BudgetExceededException">The call does not fit even with its output lowered and nothing in flight can free room (or it may not wait), or it alone is larger than the whole cap (<see cref="BudgetExceededException.ExceedsCap"/>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while the call waited.</exception>
    public abstract ValueTask<BudgetReservation> ReserveAsync(CallEstimate estimate, int order, bool mayWait, CancellationToken cancellationToken);

    /// <summary>Replaces a reservation with what the call was really charged (each clamped at zero); a reservation that holds nothing is ignored.</summary>
    /// <param name="reservation">The reservation, settled once.</param>
    /// <param name="tokens">The tokens the call is charged.</param>
    /// <param name="cost">The cost the call is charged.</param>
    public abstract void Settle(BudgetReservation reservation, long tokens, decimal cost);

    /// <summary>Gives a reservation back whole: its call was never sent.</summary>
    /// <param name="reservation">The reservation.</param>
    public void Release(BudgetReservation reservation) => Settle(reservation, 0, 0m);

    /// <summary>Counts spend that no reservation covered (usage an agent reported for calls the batch did not see).</summary>
    /// <param name="tokens">The tokens spent (clamped at zero).</param>
    /// <param name="cost">The cost spent (clamped at zero).</param>
    public abstract void Charge(long tokens, decimal cost);

    /// <summary>The exception for a call whose smallest form (its output lowered as far as it may be) is larger than the whole cap; <see langword="null"/> when it can fit.</summary>
    /// <param name="estimate">The call's estimate.</param>
    /// <returns>The exception to throw, with <see cref="BudgetExceededException.ExceedsCap"/> set; or <see langword="null"/>.</returns>
    protected BudgetExceededException? RefuseIfLargerThanCap(CallEstimate estimate)
    {
        var smallest = Smallest(estimate);
        if (MaxTotalTokens is { } maxTokens && smallest.Tokens > maxTokens)
        {
            return new BudgetExceededException(BudgetLimit.Tokens, maxTokens, smallest.Tokens, Math.Max(0, maxTokens - SpentTokens));
        }

        return MaxCost is { } maxCost && smallest.Cost > maxCost
            ? new BudgetExceededException(BudgetLimit.Cost, maxCost, smallest.Cost, Math.Max(0, maxCost - SpentCost))
            : null;
    }

    /// <summary>The call with its output lowered as far as a ledger may lower it.</summary>
    /// <param name="estimate">The call's estimate.</param>
    /// <returns>The smallest form of the call.</returns>
    protected static CallEstimate Smallest(CallEstimate estimate) => estimate.WithOutput(Math.Min(estimate.OutputTokens, MinimumOutputTokens));

    /// <summary>
    /// Finds the largest output limit, at least the minimum and below the call's own, with which it fits in
    /// <paramref name="tokensLeft"/> and <paramref name="costLeft"/>; <see langword="null"/> when none does.
    /// </summary>
    /// <param name="estimate">The call's estimate.</param>
    /// <param name="tokensLeft">What is left of the token cap (cap minus spent minus reserved), or <see langword="null"/> for no token cap.</param>
    /// <param name="costLeft">What is left of the cost cap, or <see langword="null"/> for no cost cap.</param>
    /// <returns>The lowered output limit, or <see langword="null"/>.</returns>
    protected static long? LowerOutputToFit(CallEstimate estimate, long? tokensLeft, decimal? costLeft)
    {
        var output = estimate.OutputTokens;
        if (tokensLeft is { } tokens)
        {
            output = Math.Min(output, tokens - estimate.InputTokens);
        }

        if (costLeft is { } cost && estimate.Pricing is { OutputPerMillionTokens: > 0 } pricing)
        {
            var left = cost - estimate.WithOutput(0).Cost;
            output = Math.Min(output, left <= 0 ? 0 : (long)Math.Floor(left * 1_000_000m / pricing.OutputPerMillionTokens));
        }

        var floor = Math.Min(estimate.OutputTokens, MinimumOutputTokens);
        var candidate = estimate.WithOutput(output);
        var fits = (tokensLeft is not { } t || candidate.Tokens <= t) && (costLeft is not { } c || candidate.Cost <= c);
        return output >= floor && output < estimate.OutputTokens && fits ? output : null;
    }

    /// <summary>The exception for a call that does not fit what is left and cannot be helped by waiting.</summary>
    /// <param name="estimate">The call's estimate (at its smallest form).</param>
    /// <param name="tokensLeft">What is left of the token cap, or <see langword="null"/> for none.</param>
    /// <param name="costLeft">What is left of the cost cap, or <see langword="null"/> for none.</param>
    /// <returns>The exception to throw.</returns>
    protected BudgetExceededException Refusal(CallEstimate estimate, long? tokensLeft, decimal? costLeft)
    {
        if (MaxTotalTokens is { } maxTokens && tokensLeft is { } left && estimate.Tokens > left)
        {
            return new BudgetExceededException(BudgetLimit.Tokens, maxTokens, estimate.Tokens, Math.Max(0, left));
        }

        return new BudgetExceededException(BudgetLimit.Cost, MaxCost ?? 0m, estimate.Cost, Math.Max(0, costLeft ?? 0m));
    }
}
