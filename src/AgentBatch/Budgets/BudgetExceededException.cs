namespace AgentBatch;

/// <summary>The exception that stops a model call whose estimate does not fit in what is left of the batch's token or cost cap.</summary>
/// <remarks>The call it refers to was not made: nothing was spent on it.</remarks>
public sealed class BudgetExceededException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="BudgetExceededException"/> class.</summary>
    public BudgetExceededException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BudgetExceededException"/> class with a message.</summary>
    /// <param name="message">The message that describes the error.</param>
    public BudgetExceededException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BudgetExceededException"/> class with a message and an inner exception.</summary>
    /// <param name="message">The message that describes the error.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public BudgetExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BudgetExceededException"/> class for a refused reservation.</summary>
    /// <param name="limit">Which cap refused the call.</param>
    /// <param name="cap">The cap.</param>
    /// <param name="requested">The call's estimate.</param>
    /// <param name="remaining">What was left of the cap.</param>
    public BudgetExceededException(BudgetLimit limit, decimal cap, decimal requested, decimal remaining)
        : base(Describe(limit, cap, requested, remaining))
    {
        Limit = limit;
        Cap = cap;
        Requested = requested;
        Remaining = remaining;
    }

    /// <summary>Gets which cap refused the call.</summary>
    public BudgetLimit Limit { get; }

    /// <summary>Gets the cap: tokens, or cost in the currency of the pricing.</summary>
    public decimal Cap { get; }

    /// <summary>Gets the refused call's estimate.</summary>
    public decimal Requested { get; }

    /// <summary>Gets what was left of the cap when the call was refused.</summary>
    public decimal Remaining { get; }

    /// <summary>Gets a value indicating whether the refused call alone is larger than the whole cap.</summary>
    /// <remarks>
    /// Such a call could never be made, however much of the budget were left: only its item fails, and the batch goes
    /// on. Any other refusal means the cap is spent, and the batch stops.
    /// </remarks>
    public bool ExceedsCap => Requested > Cap;

    private static string Describe(BudgetLimit limit, decimal cap, decimal requested, decimal remaining) => (limit, requested > cap) switch
    {
        (BudgetLimit.Tokens, true) => $"This call alone is estimated at {requested:0} tokens (its input plus the smallest output limit it may be given), more than the batch's whole token cap of {cap:0}; it can never be made.",
        (BudgetLimit.Tokens, false) => $"The batch's token cap of {cap:0} leaves {remaining:0} token(s); the next call needs at least {requested:0} (its input plus the smallest output limit it may be given), so it was not made.",
        (_, true) => $"This call alone is estimated to cost {requested:0.######} (its input plus the smallest output limit it may be given), more than the batch's whole cost cap of {cap}; it can never be made.",
        _ => $"The batch's cost cap of {cap} leaves {remaining:0.######}; the next call costs at least {requested:0.######} (its input plus the smallest output limit it may be given), so it was not made.",
    };
}
