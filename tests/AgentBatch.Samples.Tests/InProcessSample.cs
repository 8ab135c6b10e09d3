using Spectre.Console;

namespace AgentBatch.Samples.Tests;

/// <summary>Runs a sample's entry point in-process with captured output and an environment of the test's choosing (never the machine's API key).</summary>
public static class InProcessSample
{
    public static async Task<SampleOutput> RunAsync(
        Func<IReadOnlyList<string>, SampleConsole, Task<int>> entryPoint,
        IReadOnlyList<string> args,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 250;

        var env = environment ?? new Dictionary<string, string>();
        var exitCode = await entryPoint(args, new SampleConsole(console, error, name => env.GetValueOrDefault(name), Live: false));
        return new SampleOutput(exitCode, output.ToString(), error.ToString());
    }
}
