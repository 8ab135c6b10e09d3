namespace AgentBatch;

/// <summary>The exception an item fails with when its reply does not parse as its typed output, or fails the output's validation, after every repair.</summary>
/// <remarks>The message says what was wrong (a JSON path, a missing member, a validation error); it never quotes the reply.</remarks>
public sealed class StructuredOutputException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="StructuredOutputException"/> class.</summary>
    public StructuredOutputException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="StructuredOutputException"/> class with a message.</summary>
    /// <param name="message">The message that describes the error.</param>
    public StructuredOutputException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="StructuredOutputException"/> class with a message and an inner exception.</summary>
    /// <param name="message">The message that describes the error.</param>
    /// <param name="innerException">The parser's or the validator's exception.</param>
    public StructuredOutputException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="StructuredOutputException"/> class for an output type.</summary>
    /// <param name="outputType">The type the reply was read as.</param>
    /// <param name="problem">What was wrong, without the reply's text.</param>
    /// <param name="innerException">The parser's or the validator's exception, if any.</param>
    public StructuredOutputException(Type outputType, string problem, Exception? innerException)
        : base($"The reply is not a valid {outputType?.Name}: {problem}", innerException)
    {
        OutputType = outputType;
        Problem = problem;
    }

    /// <summary>Gets the type the reply was read as.</summary>
    public Type? OutputType { get; }

    /// <summary>Gets what was wrong with the reply, in words a model can act on, without the reply's text.</summary>
    public string? Problem { get; }
}
