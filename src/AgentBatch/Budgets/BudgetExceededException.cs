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
        : base(limit == BudgetLimit.Tokens
            ? $"The batch's token cap of {cap:0} leaves {remaining:0} token(s); the next call is estimated at {requested:0} (input plus maximum output), so it was not made."
            : $"The batch's cost cap of {cap} leaves {remaining:0.######}; the next call is estimated at {requested:0.######} (input plus maximum output), so it was not made.")
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
}
