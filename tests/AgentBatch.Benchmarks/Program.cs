using System.Globalization;
using AgentBatch;
using AgentBatch.Benchmarks;
using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/AgentBatch.Benchmarks [-- --quick] [--out path.md] [--only 1,2] [--bdn [telemetry]] [--soak agentbatch|bare]
var quick = args.Contains("--quick");
if (args.Contains("--bdn"))
{
    // --bdn: orchestration per item; --bdn telemetry: what the meter costs an item, with and without a listener.
    if (args.Contains("telemetry"))
    {
        BenchmarkRunner.Run<TelemetryBenchmarks>();
    }
    else
    {
        BenchmarkRunner.Run<OrchestrationBenchmarks>();
    }

    return 0;
}

// --soak agentbatch|bare [--in-memory|--yielding] [--seconds N] [--runs N]: one contender in a loop, for a profiler to attach to.
var soakIndex = Array.IndexOf(args, "--soak");
if (soakIndex >= 0 && soakIndex + 1 < args.Length)
{
    var secondsIndex = Array.IndexOf(args, "--seconds");
    var seconds = secondsIndex >= 0 && secondsIndex + 1 < args.Length ? int.Parse(args[secondsIndex + 1], CultureInfo.InvariantCulture) : 30;
    var runsIndex = Array.IndexOf(args, "--runs");
    var runs = runsIndex >= 0 && runsIndex + 1 < args.Length ? int.Parse(args[runsIndex + 1], CultureInfo.InvariantCulture) : int.MaxValue;
    var soak = new BenchmarkHarness(quick: false, Console.Out) { Configure = Variant(args) };
    await soak.SoakAsync(args[soakIndex + 1] == "agentbatch", args.Contains("--in-memory") || args.Contains("--yielding"), args.Contains("--yielding"), TimeSpan.FromSeconds(seconds), runs);
    return 0;
}

var outIndex = Array.IndexOf(args, "--out");
var outPath = outIndex >= 0 && outIndex + 1 < args.Length ? args[outIndex + 1] : null;

var onlyIndex = Array.IndexOf(args, "--only");
var only = onlyIndex >= 0 && onlyIndex + 1 < args.Length ? args[onlyIndex + 1].Split(',').Select(int.Parse).ToHashSet() : null;
var harness = new BenchmarkHarness(quick, Console.Out, only) { Configure = Variant(args) };

await harness.RunAsync();
var machine = $"{Environment.ProcessorCount} cores, {CpuModel()}, .NET {Environment.Version}, {DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}{(quick ? ", quick mode" : string.Empty)}";
var report = $"Machine: {machine}\n\n{harness.ToMarkdown()}";
Console.WriteLine();
Console.WriteLine(report);
if (outPath is not null)
{
    await File.WriteAllTextAsync(outPath, report);
}

return 0;

// Profiling variants of AgentBatch's options in sections 1 and 2 and in --soak.
static Action<BatchOptions>? Variant(string[] args)
{
    Action<BatchOptions>? configure = null;
    if (args.Contains("--no-adaptive"))
    {
        configure += o => o.AdaptiveConcurrency = false;
    }

    if (args.Contains("--no-retry"))
    {
        configure += o => o.MaxAttempts = 1;
    }

    if (args.Contains("--no-attempt-timeout"))
    {
        configure += o => o.AttemptTimeout = null;
    }

    return configure;
}

static string CpuModel()
{
    try
    {
        return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
    }
    catch (IOException)
    {
        return "unknown CPU";
    }
}
