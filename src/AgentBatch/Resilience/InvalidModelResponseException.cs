namespace AgentBatch;

/// <summary>The model endpoint answered, but with a body that is not a usable chat completion.</summary>
/// <remarks>
/// <para>
/// Malformed or truncated JSON and empty bodies are usually a proxy or the provider failing under load: they are
/// <see cref="IsTransient"/> and retried. A well-formed reply without any <c>choices</c> is not retried: the same
/// request is likely to get the same answer, so the item fails with this error instead.
/// </para>
/// <para>The message never carries the response body, which may hold prompt or completion text.</para>
/// </remarks>
public sealed class InvalidModelResponseException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="InvalidModelResponseException"/> class.</summary>
    public InvalidModelResponseException()
        : this("The model endpoint returned a response that is not a valid chat completion.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="InvalidModelResponseException"/> class.</summary>
    /// <param name="message">The error message.</param>
    public InvalidModelResponseException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="InvalidModelResponseException"/> class.</summary>
    /// <param name="message">The error message.</param>
    /// <param name="innerException">The error raised while reading the response.</param>
    public InvalidModelResponseException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="InvalidModelResponseException"/> class.</summary>
    /// <param name="message">The error message.</param>
    /// <param name="innerException">The error raised while reading the response.</param>
    /// <param name="isTransient">Whether a retry of the same request may succeed.</param>
    public InvalidModelResponseException(string message, Exception? innerException, bool isTransient)
        : base(message, innerException)
    {
        IsTransient = isTransient;
    }

    /// <summary>Gets a value indicating whether a retry of the same request may succeed.</summary>
    public bool IsTransient { get; }
}
