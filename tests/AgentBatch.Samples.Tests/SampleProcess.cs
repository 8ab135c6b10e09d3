using System.Diagnostics;

namespace AgentBatch.Samples.Tests;

/// <summary>Runs a built sample as its own process, as <c>dotnet run</c> would, with output redirected (so no live progress bar).</summary>
public static class SampleProcess
{
    public static async Task<SampleOutput> RunAsync(string assemblyName, params string[] args)
    {
        var start = new ProcessStartInfo(DotNetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, assemblyName + ".dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // The embedded mock, whatever the machine has set.
        foreach (var name in new[] { SampleEndpoint.ApiKeyVariable, SampleEndpoint.BaseUrlVariable, SampleEndpoint.ModelVariable })
        {
            start.Environment.Remove(name);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();

        // A guard against a hung sample, not a timing assertion.
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(guard.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{assemblyName} did not exit: {await output}{await error}");
        }

        return new SampleOutput(process.ExitCode, await output, await error);
    }

    private static string DotNetHost() =>
        Path.GetFileNameWithoutExtension(Environment.ProcessPath) is "dotnet" ? Environment.ProcessPath! : "dotnet";
}
