using Spectre.Console;

namespace AgentBatch.Samples;

/// <summary>Where a sample writes and what it reads from its environment, so a test can run it in-process.</summary>
/// <param name="Output">The console for normal output: tables, progress, the endpoint line.</param>
/// <param name="Error">Where a failure's one-line reason goes.</param>
/// <param name="Environment">Reads an environment variable (<c>OPENAI_API_KEY</c>, <c>OPENAI_BASE_URL</c>, <c>OPENAI_MODEL</c>).</param>
/// <param name="Live">Whether to draw a live progress bar; otherwise progress is logged one plain line per update.</param>
public sealed record SampleConsole(IAnsiConsole Output, TextWriter Error, Func<string, string?> Environment, bool Live)
{
    /// <summary>The process's own console: a live progress bar only when the output is an interactive terminal.</summary>
    /// <returns>The console.</returns>
    public static SampleConsole FromProcess() => new(
        AnsiConsole.Console,
        Console.Error,
        System.Environment.GetEnvironmentVariable,
        Live: !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive);

    /// <summary>Writes <c>error: reason</c> on one line, with the API key masked should it appear, and returns the exit code.</summary>
    /// <param name="exitCode">The exit code to return.</param>
    /// <param name="reason">The reason, one line.</param>
    /// <returns><paramref name="exitCode"/>.</returns>
    public int Fail(int exitCode, string reason)
    {
        var line = reason.ReplaceLineEndings(" ").Trim();
        if (Environment(SampleEndpoint.ApiKeyVariable) is { Length: > 0 } key)
        {
            line = line.Replace(key, "[redacted]", StringComparison.Ordinal);
        }

        Error.WriteLine("error: " + line);
        return exitCode;
    }
}
