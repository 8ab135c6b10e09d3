using System.Diagnostics;
using System.Text;

namespace AgentBatch.Hosting.Tests;

/// <summary>The DocumentWorker sample, run as a child process, as an operator would run it.</summary>
internal sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private WorkerProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public int ExitCode => _process.ExitCode;

    public int Id => _process.Id;

    public static WorkerProcess Start(string workingDirectory, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(SampleAssembly());
        // The embedded mock unless the test says otherwise, whatever the machine has set.
        foreach (var name in new[] { "OPENAI_API_KEY", "AgentBatch__ApiKey", "AgentBatch__Endpoint" })
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return new WorkerProcess(Process.Start(start)!);
    }

    /// <summary>The most resident memory the process has had so far (Linux's <c>VmHWM</c>), for figures; <see langword="null"/> where it cannot be read (another OS, or the process has ended).</summary>
    public long? PeakResidentBytes()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
        }

        return null;
    }

    /// <summary>Ends the process at once, the way a crash or <c>kill -9</c> does: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public Task WaitForExitAsync() => WaitForExitAsync(Eventually.Guard);

    /// <summary>Waits for the process to exit, giving up after <paramref name="guard"/> (a guard against a hung run, not a timing assertion).</summary>
    public async Task WaitForExitAsync(TimeSpan guard)
    {
        using var cancellation = new CancellationTokenSource(guard);
        await _process.WaitForExitAsync(cancellation.Token);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>The sample's assembly, built beside this test project in the same configuration.</summary>
    private static string SampleAssembly()
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testOutput.Name;
        var configuration = testOutput.Parent!.Name;
        var root = testOutput;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "AgentBatch.sln")))
        {
            root = root.Parent;
        }

        var path = Path.Combine(root!.FullName, "samples", "DocumentWorker", "bin", configuration, framework, "DocumentWorker.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build samples/DocumentWorker first.", path);
    }
}
