using Spectre.Console;

namespace AgentBatch.Samples;

/// <summary>Where a sample writes and what it reads from its environment, so a test can run it in-process.</summary>
public sealed class SampleConsole
{
    /// <summary>Initializes a new instance of the <see cref="SampleConsole"/> class.</summary>
    /// <param name="output">The console for normal output: tables, progress, the endpoint line.</param>
    /// <param name="error">Where a failure's one-line reason goes.</param>
    /// <param name="environment">Reads an environment variable (<c>OPENAI_API_KEY</c>, <c>OPENAI_BASE_URL</c>, <c>OPENAI_MODEL</c>).</param>
    /// <param name="live">Whether to draw a live progress bar; otherwise progress is logged one plain line per update.</param>
    public SampleConsole(IAnsiConsole output, TextWriter error, Func<string, string?> environment, bool live)
    {
        Output = output;
        Error = error;
        Environment = environment;
        Live = live;
    }

    /// <summary>Gets the console for normal output.</summary>
    public IAnsiConsole Output { get; }

    /// <summary>Gets the writer for failure reasons.</summary>
    public TextWriter Error { get; }

    /// <summary>Gets the environment-variable reader.</summary>
    public Func<string, string?> Environment { get; }

    /// <summary>Gets a value indicating whether a live progress bar is drawn.</summary>
    public bool Live { get; }

    /// <summary>The process's own console: a live progress bar only when the output is an interactive terminal.</summary>
    /// <returns>The console.</returns>
    public static SampleConsole FromProcess() => new(
        AnsiConsole.Console,
        Console.Error,
        System.Environment.GetEnvironmentVariable,
        live: !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive);

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
