namespace AgentBatch.Samples.Tests;

/// <summary>What a sample run printed and returned.</summary>
public sealed record SampleOutput(int ExitCode, string Output, string Error)
{
    /// <summary>Gets the lines written to the error stream.</summary>
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}
