using System.Globalization;
using AgentBatch.Benchmarks;
using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/AgentBatch.Benchmarks [-- --quick] [--out path.md] [--bdn]
var quick = args.Contains("--quick");
if (args.Contains("--bdn"))
{
    BenchmarkRunner.Run<OrchestrationBenchmarks>();
    return 0;
}

var outIndex = Array.IndexOf(args, "--out");
var outPath = outIndex >= 0 && outIndex + 1 < args.Length ? args[outIndex + 1] : null;

var onlyIndex = Array.IndexOf(args, "--only");
var only = onlyIndex >= 0 && onlyIndex + 1 < args.Length ? args[onlyIndex + 1].Split(',').Select(int.Parse).ToHashSet() : null;
var harness = new BenchmarkHarness(quick, Console.Out, only);
if (args.Contains("--no-adaptive"))
{
    harness.Configure = o => o.AdaptiveConcurrency = false;
}

if (args.Contains("--no-retry"))
{
    harness.Configure += o => { o.MaxAttempts = 1; o.AttemptTimeout = null; };
}

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
