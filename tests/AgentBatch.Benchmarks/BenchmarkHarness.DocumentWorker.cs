using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentBatch.Benchmarks;

/// <summary>Section 7: the hosted document worker over one JSONL set, checkpointing every document to SQLite.</summary>
public sealed partial class BenchmarkHarness
{
    private async Task DocumentWorkerAsync(CancellationToken cancellationToken)
    {
        int[] sizes = _quick ? [2_000, 10_000] : [10_000, 100_000];
        _log.WriteLine("7. document worker: one JSONL set through AddAgentBatchWorker, in-memory model, SQLite checkpoints");
        var rates = new List<double>();
        var peaks = new List<long>();
        foreach (var size in sizes)
        {
            var root = Path.Combine(Path.GetTempPath(), "agentbatch-bench-" + Guid.NewGuid().ToString("N"));
            try
            {
                var (rate, peak) = await RunWorkerAsync(root, size, cancellationToken);
                rates.Add(rate);
                peaks.Add(peak);
                _log.WriteLine(string.Create(Invariant, $"  N={size}: {rate:F0} documents/s, peak live heap above baseline {peak / 1024.0 / 1024.0:F1} MiB"));
            }
            finally
            {
                Directory.Delete(root, recursive: true);
            }
        }

        var flat = peaks[^1] <= Math.Max(peaks[0] * 2, 16L * 1024 * 1024);
        Add(
            $"document worker: documents/s; peak heap growth, N={string.Join("/", sizes)}",
            string.Join(" / ", rates.Select(r => string.Create(Invariant, $"{r:F0}/s"))) + "; " + string.Join(" / ", peaks.Select(p => string.Create(Invariant, $"{p / 1024.0 / 1024.0:F1} MiB"))),
            "-",
            "-",
            "flat with N",
            flat);
    }

    private static Task<(double Rate, long Peak)> RunWorkerAsync(string root, int size, CancellationToken cancellationToken) =>
        RunWorkersAsync(root, size, workers: 1, configure: null, cancellationToken);

    /// <summary>
    /// Runs <paramref name="workers"/> hosts in this process over one JSONL set of <paramref name="size"/> documents until
    /// every host stops itself; returns documents per second and the peak live heap above the starting point.
    /// </summary>
    /// <param name="root">An empty folder for the inbox and outputs.</param>
    /// <param name="size">The number of documents.</param>
    /// <param name="workers">The number of hosts sharing the inbox (more than one needs a shared store).</param>
    /// <param name="configure">Registers the store; <see langword="null"/> for the embedded SQLite store.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    private static async Task<(double Rate, long Peak)> RunWorkersAsync(
        string root, int size, int workers, Action<IServiceCollection>? configure, CancellationToken cancellationToken)
    {
        var inbox = Path.Combine(root, "inbox");
        Directory.CreateDirectory(inbox);
        var staging = Path.Combine(inbox, "_set.jsonl");
        await using (var writer = new StreamWriter(staging))
        {
            for (var i = 0; i < size; i++)
            {
                await writer.WriteLineAsync(JsonSerializer.Serialize(new { name = $"doc-{i}", text = $"Review {i}: the product did what it said, mostly." }));
            }
        }

        File.Move(staging, Path.Combine(inbox, "set.jsonl"));
        var hosts = Enumerable.Range(0, workers).Select(_ =>
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = root });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["AgentBatch:MaxConcurrency"] = "32",
                ["AgentBatch:Worker:InboxPath"] = "inbox",
                ["AgentBatch:Worker:OutputPath"] = "output",
                ["AgentBatch:Worker:ExitWhenIdle"] = "true",
                ["AgentBatch:Worker:PollInterval"] = "00:00:00.050",
            });
            builder.Services.AddSingleton<IChatClient>(new InstantChatClient(yields: true));
            builder.Services.AddAgentBatchWorker();
            configure?.Invoke(builder.Services);
            return builder.Build();
        }).ToList();

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(
            async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false) - baseline);
                    await Task.Delay(20, CancellationToken.None);
                }
            },
            CancellationToken.None);

        var stopwatch = Stopwatch.StartNew();
        try
        {
            await Task.WhenAll(hosts.Select(h => h.RunAsync(cancellationToken)));
        }
        finally
        {
            foreach (var host in hosts)
            {
                host.Dispose();
            }
        }

        stopwatch.Stop();
        await sampling.CancelAsync();
        await sampler;

        var lines = File.ReadLines(Path.Combine(root, "output", "set", "results.jsonl")).Count();
        Check(lines == size, $"the workers wrote {lines} result lines for {size} documents");
        return (size / stopwatch.Elapsed.TotalSeconds, peak);
    }
}
