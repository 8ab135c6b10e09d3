namespace AgentBatch;

/// <summary>The exception thrown when an agent would need more model calls for one input than its <c>MaxTurns</c> allows.</summary>
public sealed class MaxTurnsExceededException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="MaxTurnsExceededException"/> class.</summary>
    public MaxTurnsExceededException()
        : this(0)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="MaxTurnsExceededException"/> class with a message.</summary>
    /// <param name="message">The message that describes the error.</param>
    public MaxTurnsExceededException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="MaxTurnsExceededException"/> class with a message and an inner exception.</summary>
    /// <param name="message">The message that describes the error.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public MaxTurnsExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="MaxTurnsExceededException"/> class for a limit.</summary>
    /// <param name="maxTurns">The number of model calls that was allowed.</param>
    public MaxTurnsExceededException(int maxTurns)
        : base($"The agent reached its limit of {maxTurns} model call(s) for one input without a final answer. Raise MaxTurns if the tool loop legitimately needs more.")
    {
        MaxTurns = maxTurns;
    }

    /// <summary>Gets the number of model calls that was allowed.</summary>
    public int MaxTurns { get; }
}
