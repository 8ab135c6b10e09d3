using System.CommandLine;

namespace AgentBatch.Samples;

/// <summary>Runs a sample's command: one-line errors for bad flags, a <see cref="SampleException"/> or Ctrl+C.</summary>
public static class SampleCommandLine
{
    /// <summary>Parses <paramref name="args"/> and runs <paramref name="run"/> with the result.</summary>
    /// <param name="command">The sample's root command, with its options and arguments.</param>
    /// <param name="args">The command-line arguments.</param>
    /// <param name="console">Where output and errors go.</param>
    /// <param name="run">The sample's body; returns the exit code.</param>
    /// <returns>The exit code: <paramref name="run"/>'s, or one from <see cref="SampleExitCodes"/>.</returns>
    public static async Task<int> InvokeAsync(
        RootCommand command,
        IReadOnlyList<string> args,
        SampleConsole console,
        Func<ParseResult, CancellationToken, Task<int>> run)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(run);

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            try
            {
                return await run(parseResult, cancellationToken).ConfigureAwait(false);
            }
            catch (SampleException ex)
            {
                return console.Fail(ex.ExitCode, ex.Message);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return console.Fail(SampleExitCodes.Canceled, "canceled");
            }
        });

        var parsed = command.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            return console.Fail(SampleExitCodes.Usage, $"{parsed.Errors[0].Message} (see --help)");
        }

        return await parsed.InvokeAsync(new InvocationConfiguration
        {
            Output = console.Output.Profile.Out.Writer,
            Error = console.Error,
        }).ConfigureAwait(false);
    }
}
