namespace AgentBatch;

/// <summary>The exception that stops a model call whose input is larger than the model's context window, before it is sent.</summary>
public sealed class ContextWindowExceededException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="ContextWindowExceededException"/> class.</summary>
    public ContextWindowExceededException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ContextWindowExceededException"/> class with a message.</summary>
    /// <param name="message">The message that describes the error.</param>
    public ContextWindowExceededException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ContextWindowExceededException"/> class with a message and an inner exception.</summary>
    /// <param name="message">The message that describes the error.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public ContextWindowExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ContextWindowExceededException"/> class for a refused call.</summary>
    /// <param name="modelId">The model, if known.</param>
    /// <param name="inputTokens">The call's counted input tokens.</param>
    /// <param name="contextWindow">The most input tokens the model takes.</param>
    public ContextWindowExceededException(string? modelId, int inputTokens, int contextWindow)
        : base($"The input is {inputTokens} tokens, more than the {contextWindow}-token context window of model '{modelId ?? "(unspecified)"}'; it was not sent. Shorten or split the item.")
    {
        ModelId = modelId;
        InputTokens = inputTokens;
        ContextWindow = contextWindow;
    }

    /// <summary>Gets the model, if known.</summary>
    public string? ModelId { get; }

    /// <summary>Gets the call's counted input tokens.</summary>
    public int InputTokens { get; }

    /// <summary>Gets the most input tokens the model takes.</summary>
    public int ContextWindow { get; }
}
