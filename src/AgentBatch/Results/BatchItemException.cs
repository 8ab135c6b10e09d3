namespace AgentBatch;

/// <summary>The exception a batch throws in <see cref="BatchErrorHandling.Throw"/> mode for its first failed item.</summary>
/// <remarks><see cref="Exception.InnerException"/> is the item's own error.</remarks>
public sealed class BatchItemException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="BatchItemException"/> class.</summary>
    public BatchItemException()
    {
        Index = -1;
    }

    /// <summary>Initializes a new instance of the <see cref="BatchItemException"/> class with a message.</summary>
    /// <param name="message">The message that describes the error.</param>
    public BatchItemException(string message)
        : base(message)
    {
        Index = -1;
    }

    /// <summary>Initializes a new instance of the <see cref="BatchItemException"/> class with a message and the item's error.</summary>
    /// <param name="message">The message that describes the error.</param>
    /// <param name="innerException">The item's error.</param>
    public BatchItemException(string message, Exception innerException)
        : base(message, innerException)
    {
        Index = -1;
    }

    /// <summary>Initializes a new instance of the <see cref="BatchItemException"/> class for the item at <paramref name="index"/>.</summary>
    /// <param name="index">The zero-based input position of the failed item.</param>
    /// <param name="innerException">The item's error.</param>
    public BatchItemException(int index, Exception innerException)
        : base($"Batch item {index} failed: {innerException?.Message}", innerException)
    {
        Index = index;
    }

    /// <summary>Gets the zero-based input position of the failed item, or -1 when unknown.</summary>
    public int Index { get; }
}
