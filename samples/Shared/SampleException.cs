namespace AgentBatch.Samples;

/// <summary>Ends a sample with a one-line reason and an exit code from <see cref="SampleExitCodes"/>.</summary>
public sealed class SampleException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="SampleException"/> class.</summary>
    public SampleException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="SampleException"/> class.</summary>
    /// <param name="message">The one-line reason.</param>
    public SampleException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="SampleException"/> class.</summary>
    /// <param name="message">The one-line reason.</param>
    /// <param name="innerException">The cause.</param>
    public SampleException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="SampleException"/> class.</summary>
    /// <param name="exitCode">The exit code.</param>
    /// <param name="message">The one-line reason.</param>
    public SampleException(int exitCode, string message)
        : base(message)
    {
        ExitCode = exitCode;
    }

    /// <summary>Gets the exit code.</summary>
    public int ExitCode { get; } = SampleExitCodes.ItemsFailed;
}
