using AgentBatch.Hosting.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace AgentBatch.Benchmarks;

/// <summary>
/// Section 9: one JSONL set shared by 1, 2 and 3 workers through PostgreSQL (AddAgentBatchPostgreSql), against the same set
/// through the single-process SQLite store, the in-memory model answering asynchronously.
/// </summary>
/// <remarks>
/// The workers are hosts in this process, so they share its two cores with each other (and with the database server); the
/// figures are what coordination costs, not what more machines add. PostgreSQL is the server <c>AGENTBATCH_TEST_POSTGRES</c>
/// names, or a private one started here as the tests do.
/// </remarks>
public sealed partial class BenchmarkHarness
{
    private async Task SharedWorkersAsync(CancellationToken cancellationToken)
    {
        var size = _quick ? 2_000 : 10_000;
        var repetitions = _quick ? 1 : 3;
        _log.WriteLine(string.Create(Invariant, $"9. shared workers: one JSONL set of {size} through PostgreSQL with 1, 2 and 3 workers, against SQLite with one; in-memory model; {repetitions} interleaved repetitions, medians"));
        var connectionString = await PostgreSqlServer.ConnectionStringAsync();
        var sqlite = new List<(double Rate, long Peak)>();
        var shared = new List<(double Rate, long Peak)>[3] { [], [], [] };
        for (var repetition = 0; repetition < repetitions; repetition++)
        {
            sqlite.Add(await InFolderAsync(root => RunWorkersAsync(root, size, 1, null, cancellationToken)));
            for (var workers = 1; workers <= 3; workers++)
            {
                var schema = PostgreSqlServer.NewSchema();
                var count = workers;
                shared[workers - 1].Add(await InFolderAsync(root => RunWorkersAsync(
                    root, size, count, services => services.AddAgentBatchPostgreSql(o => (o.ConnectionString, o.Schema) = (connectionString, schema)), cancellationToken)));
                _log.WriteLine(string.Create(Invariant, $"  run {repetition + 1}: {workers} worker(s) {shared[workers - 1][^1].Rate:F0} documents/s, peak heap {shared[workers - 1][^1].Peak / 1024.0 / 1024.0:F1} MiB"));
            }

            _log.WriteLine(string.Create(Invariant, $"  run {repetition + 1}: SQLite {sqlite[^1].Rate:F0} documents/s"));
        }

        var sqliteRate = Median(sqlite.Select(r => r.Rate));
        var rates = shared.Select(runs => Median(runs.Select(r => r.Rate))).ToArray();
        var peaks = shared.Select(runs => Median(runs.Select(r => (double)r.Peak))).ToArray();

        // What the shared store adds to each document's wall-clock time, one worker against one: the coordination cost.
        var coordinationMs = (1000 / rates[0]) - (1000 / sqliteRate);
        Add(
            $"shared workers (PostgreSQL): documents/s with 1 / 2 / 3 workers in one process, N={size}",
            string.Join(" / ", rates.Select(r => string.Create(Invariant, $"{r:F0}/s"))),
            string.Create(Invariant, $"SQLite, 1 worker: {sqliteRate:F0}/s"),
            string.Create(Invariant, $"{rates[0] / sqliteRate:F2}x (1 worker)"),
            "-",
            null);
        Add(
            "shared workers: coordination cost per document (wall clock, 1 worker, PostgreSQL minus SQLite)",
            string.Create(Invariant, $"{1000 / rates[0]:F2} ms"),
            string.Create(Invariant, $"{1000 / sqliteRate:F2} ms"),
            string.Create(Invariant, $"+{coordinationMs:F2} ms"),
            "-",
            null);
        Add(
            "shared workers: peak heap growth of the process with 1 / 2 / 3 workers (one worker's is the first)",
            string.Join(" / ", peaks.Select(p => string.Create(Invariant, $"{p / 1024.0 / 1024.0:F1} MiB"))),
            string.Create(Invariant, $"SQLite: {Median(sqlite.Select(r => (double)r.Peak)) / 1024.0 / 1024.0:F1} MiB"),
            "-",
            "-",
            null);
    }

    private static async Task<T> InFolderAsync<T>(Func<string, Task<T>> run)
    {
        var root = Path.Combine(Path.GetTempPath(), "agentbatch-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            return await run(root);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
