namespace AgentBatch;

/// <summary>The error of an item whose failure an earlier run recorded (<see cref="BatchNotSentReason.AlreadyRecorded"/>): its message is that run's error's.</summary>
public sealed class RecordedFailureException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="RecordedFailureException"/> class.</summary>
    public RecordedFailureException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="RecordedFailureException"/> class with the recorded message.</summary>
    /// <param name="message">The recorded error's message.</param>
    public RecordedFailureException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="RecordedFailureException"/> class with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public RecordedFailureException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
