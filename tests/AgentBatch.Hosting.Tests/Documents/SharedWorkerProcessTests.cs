using System.Collections.Concurrent;
using System.Diagnostics;
using AgentBatch.Testing;
using Xunit.Abstractions;

namespace AgentBatch.Hosting.Tests;

/// <summary>
/// Three DocumentWorker processes on one inbox and one PostgreSQL database, against one mock endpoint: one killed mid-set
/// and restarted, one rate budget, one spend cap. Each worker calls with a key of its own, so every request says who sent it.
/// </summary>
public sealed class SharedWorkerProcessTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task ThreeWorkers_OneKilledMidSetAndRestarted_EveryDocumentOneResultLine_NoRecordedDocumentSentAgain()
    {
        const int DocumentCount = 400;
        // The victim is whichever worker sends its 40th request first: mid-set, whatever order the processes started in.
        var victim = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var sent = new ConcurrentDictionary<string, int>();
        using var bed = new WorkerTestBed(request =>
        {
            if (sent.AddOrUpdate(request.ApiKey ?? "", 1, static (_, n) => n + 1) == 40)
            {
                victim.TrySetResult(request.ApiKey!);
            }

            return MockChatServer.EchoResponder(request) with { Delay = TimeSpan.FromMilliseconds(10) };
        });
        bed.AddFolderSet("kill", Enumerable.Range(1, DocumentCount).ToDictionary(i => $"doc-{i:D3}.txt", i => $"Document number {i}."));
        var environment = await EnvironmentAsync(bed);

        var workers = new List<WorkerProcess>();
        try
        {
            for (var i = 1; i <= 3; i++)
            {
                workers.Add(WorkerProcess.Start(bed.Root, With(environment, "AgentBatch__ApiKey", $"worker-{i}")));
            }

            // Killed mid-set, with calls in flight: no shutdown code runs.
            var victimKey = await victim.Task.WaitAsync(Eventually.Guard);
            var killed = workers[int.Parse(victimKey["worker-".Length..], System.Globalization.CultureInfo.InvariantCulture) - 1];
            await killed.KillAsync();
            var killedAt = Stopwatch.GetTimestamp();
            var recordedAtKill = await RecordedDocumentsAsync(environment);
            var sentBeforeKill = bed.Server.RequestCount;
            workers.Add(WorkerProcess.Start(bed.Root, With(environment, "AgentBatch__ApiKey", "restarted")));

            foreach (var worker in workers.Where(w => w != killed))
            {
                await worker.WaitForExitAsync();
                Assert.True(worker.ExitCode == 0, $"A worker exited with {worker.ExitCode}:\n{worker.Output}");
            }

            var requests = bed.Server.Requests;
            var byDocument = requests.GroupBy(r => WorkerTestBed.DocumentName(r.LastUserText)).ToDictionary(g => g.Key, g => g.OrderBy(r => r.Sequence).ToList());
            var resent = byDocument.Where(d => d.Value.Count > 1).ToList();
            var inFlight = AssertOnlyInFlightSentAgain(byDocument, victimKey, recordedAtKill);
            output.WriteLine($"{requests.Count} requests for {DocumentCount} documents; {inFlight} in flight at the kill, {resent.Count} sent twice; {sentBeforeKill} sent before the kill");

            Assert.Equal(DocumentCount, byDocument.Count);
            Assert.Equal(DocumentCount + resent.Count, requests.Count);
            output.WriteLine($"after the kill, all workers exited {Stopwatch.GetElapsedTime(killedAt).TotalSeconds:F1} s later (lease {Lease.TotalSeconds:F0} s)");
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Dispose();
            }
        }

        var results = bed.Results("kill");
        Assert.Equal(DocumentCount, results.Count);
        Assert.Equal(DocumentCount, results.Select(r => r.Key).Distinct().Count());
        Assert.All(results, r => Assert.Equal(BatchItemStatus.Succeeded, r.Status));
        Assert.Equal((DocumentCount, DocumentCount), (bed.Summary("kill").Total, bed.Summary("kill").Succeeded));
        Assert.True(Directory.Exists(Path.Combine(bed.Processed, "kill")));
    }

    [Fact]
    public async Task ThreeWorkers_OneRateBudget_UseNearlyAllOfTheProvidersLimit_WithoutA429()
    {
        // The provider allows 4,500 tokens in any 4 seconds; every call reports 150 (100 in, 50 out) and is estimated a
        // little higher (its input, some 25 tokens, plus 130 output tokens), so the workers pace on estimates and settle on
        // what was reported.
        var window = TimeSpan.FromSeconds(4);
        const int Limit = 4_500;
        const int DocumentCount = 180;
        var provider = new MockTokenRateLimit(Limit, window: window);
        var served = new ConcurrentQueue<(long At, int Tokens)>();
        var limited = provider.Wrap(_ => MockChatReply.Answer("ok") with { PromptTokens = 100, CompletionTokens = 50 });
        using var bed = new WorkerTestBed(request =>
        {
            var reply = limited(request);
            if (reply.StatusCode == 200)
            {
                served.Enqueue((Stopwatch.GetTimestamp(), 150));
            }

            return reply;
        });
        bed.AddFolderSet("paced", Enumerable.Range(1, DocumentCount).ToDictionary(i => $"doc-{i:D3}.txt", i => $"Document number {i}."));
        var environment = await EnvironmentAsync(bed);
        environment["AgentBatch__TokensPerMinute"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["AgentBatch__PostgreSql__RateWindow"] = "00:00:04";
        environment["AgentBatch__PostgreSql__PollInterval"] = "00:00:00.020";
        environment["AgentBatch__Worker__Profiles__default__MaxOutputTokens"] = "130";

        await RunThreeAsync(bed, environment, expectedExitCode: 0);

        Assert.Equal(0, provider.RejectedCount);
        Assert.Equal(DocumentCount, bed.Results("paced").Count);

        // Over the whole windows from the first reply on, the workers together used at least 95% of what was allowed.
        var times = served.Select(s => s.At).Order().ToList();
        var start = times[0];
        var windows = (int)(Stopwatch.GetElapsedTime(start, times[^1]) / window);
        Assert.True(windows >= 3, $"only {windows} whole windows");
        var used = served.Where(s => Stopwatch.GetElapsedTime(start, s.At) < window * windows).Sum(s => s.Tokens);
        var share = used / (double)(Limit * windows);
        output.WriteLine($"{used} tokens in {windows} windows of {window.TotalSeconds} s: {share:P1} of the limit, {provider.RejectedCount} x 429");
        Assert.InRange(share, 0.95, 1.0);
    }

    [Fact]
    public async Task ThreeWorkers_OneSpendCap_TogetherNeverSpendPastIt_AndTheRestStaysPending()
    {
        // Each call reports 150 tokens and reserves its input plus 200 output tokens: the cap pays for about 40 calls.
        const int Cap = 6_000;
        var servedTokens = 0;

        // The first calls wait until all three workers have called, so all three share the cap however late one starts.
        var callers = new ConcurrentDictionary<string, bool>();
        var allThree = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var bed = new WorkerTestBed(request =>
        {
            callers[request.ApiKey ?? ""] = true;
            if (callers.Count >= 3)
            {
                allThree.TrySetResult();
            }

            allThree.Task.Wait(Eventually.Guard);
            Interlocked.Add(ref servedTokens, 150);
            return MockChatReply.Answer("ok") with { PromptTokens = 100, CompletionTokens = 50, Delay = TimeSpan.FromMilliseconds(5) };
        });
        bed.AddFolderSet("capped", Enumerable.Range(1, 150).ToDictionary(i => $"doc-{i:D3}.txt", i => $"Document number {i}."));
        var environment = await EnvironmentAsync(bed);
        environment["AgentBatch__MaxTotalTokens"] = Cap.ToString(System.Globalization.CultureInfo.InvariantCulture);

        await RunThreeAsync(bed, environment, expectedExitCode: 1);

        var spent = Volatile.Read(ref servedTokens);
        output.WriteLine($"{spent} tokens spent by three workers under a shared cap of {Cap}; {bed.Server.RequestCount} requests");
        Assert.InRange(spent, Cap * 0.9, Cap);
        Assert.Equal(bed.Server.RequestCount, bed.Server.Requests.Select(r => r.LastUserText).Distinct().Count());
        Assert.True(Directory.Exists(Path.Combine(bed.Inbox, "capped")));
        Assert.Equal(3, bed.Server.Requests.Select(r => r.ApiKey).Distinct().Count());
    }

    [Fact]
    public async Task ThreeWorkers_ThousandsOfDocuments_OneKilledAndRestarted_EachExactlyOnce_UnderOneSharedBudget()
    {
        // The done-when run: AGENTBATCH_SCALE_DOCUMENTS=10000 (docs/benchmarks.md); CI runs it smaller.
        var documentCount = int.TryParse(Environment.GetEnvironmentVariable("AGENTBATCH_SCALE_DOCUMENTS"), System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 600;
        const int Concurrency = 8;
        var window = TimeSpan.FromSeconds(4);
        // The budget binds (the workers pace on the shared window throughout): four windows' worth of the set's 150 tokens a
        // document, at most 100 documents/s (below what three workers reach on two shared cores, about 160).
        var limit = Math.Min(documentCount * 150 / 4, 60_000);
        var provider = new MockTokenRateLimit(limit, window: window);
        var served = new ConcurrentQueue<long>();
        var sent = new ConcurrentDictionary<string, int>();
        var victim = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var killAfter = Math.Max(40, documentCount / 10);
        var limited = provider.Wrap(_ => MockChatReply.Answer("ok") with { PromptTokens = 100, CompletionTokens = 50, Delay = TimeSpan.FromMilliseconds(10) });
        using var bed = new WorkerTestBed(request =>
        {
            // The victim is whichever worker sends its share of a tenth of the set first: mid-set, with calls in flight.
            if (sent.AddOrUpdate(request.ApiKey ?? "", 1, static (_, count) => count + 1) == killAfter / 3)
            {
                victim.TrySetResult(request.ApiKey!);
            }

            var reply = limited(request);
            if (reply.StatusCode == 200)
            {
                served.Enqueue(Stopwatch.GetTimestamp());
            }

            return reply;
        });
        bed.AddJsonlSet("scale", Enumerable.Range(1, documentCount).Select(i => WorkerTestBed.Record($"doc-{i:D5}", $"Document number {i}.")));
        var environment = await EnvironmentAsync(bed);
        environment["AgentBatch__MaxConcurrency"] = Concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["AgentBatch__TokensPerMinute"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["AgentBatch__PostgreSql__RateWindow"] = "00:00:04";
        environment["AgentBatch__PostgreSql__PollInterval"] = "00:00:00.020";
        environment["AgentBatch__Worker__Profiles__default__MaxOutputTokens"] = "130";
        var guard = Eventually.Guard + TimeSpan.FromSeconds(documentCount * 150.0 / limit * window.TotalSeconds * 2);

        var started = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(1, 3).Select(i => WorkerProcess.Start(bed.Root, With(environment, "AgentBatch__ApiKey", $"worker-{i}"))).ToList();

        // For the figures only (never asserted): each worker process's peak resident memory, read while it runs.
        var peaks = new ConcurrentDictionary<WorkerProcess, long>();
        var sampled = new ConcurrentQueue<WorkerProcess>(workers);
        using var sampling = new CancellationTokenSource();
        var sampler = SamplePeaksAsync(sampled, peaks, sampling.Token);
        try
        {
            var victimKey = await victim.Task.WaitAsync(guard);
            var killed = workers[int.Parse(victimKey["worker-".Length..], System.Globalization.CultureInfo.InvariantCulture) - 1];
            await killed.KillAsync();
            var recordedAtKill = await RecordedDocumentsAsync(environment);
            workers.Add(WorkerProcess.Start(bed.Root, With(environment, "AgentBatch__ApiKey", "restarted")));
            sampled.Enqueue(workers[^1]);
            foreach (var worker in workers.Where(w => w != killed))
            {
                await worker.WaitForExitAsync(guard);
                Assert.True(worker.ExitCode == 0, $"A worker exited with {worker.ExitCode}:\n{worker.Output}");
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            await sampling.CancelAsync();
            await sampler;
            var requests = bed.Server.Requests;
            var byDocument = requests.GroupBy(r => WorkerTestBed.DocumentName(r.LastUserText)).ToDictionary(g => g.Key, g => g.OrderBy(r => r.Sequence).ToList());
            var resent = byDocument.Where(d => d.Value.Count > 1).ToList();
            var inFlight = AssertOnlyInFlightSentAgain(byDocument, victimKey, recordedAtKill);

            // Over the whole windows from the first reply on, the share of what the provider allowed that the workers used.
            var times = served.Order().ToList();
            var windows = (int)(Stopwatch.GetElapsedTime(times[0], times[^1]) / window);
            var used = times.Count(t => Stopwatch.GetElapsedTime(times[0], t) < window * windows) * 150;
            var share = used / (double)(limit * windows);
            output.WriteLine(string.Create(
                System.Globalization.CultureInfo.InvariantCulture,
                $"{documentCount} documents, 3 workers, one killed after {sent[victimKey]} of its requests and restarted: {requests.Count} requests, {inFlight} in flight at the kill (sent, not recorded), {resent.Count} sent twice, {elapsed.TotalSeconds:F1} s ({documentCount / elapsed.TotalSeconds:F0} documents/s); {share:P1} of the shared budget used over {windows} windows of {window.TotalSeconds} s, {provider.RejectedCount} x 429; peak resident memory per worker process: {string.Join(" / ", workers.Select(w => peaks.TryGetValue(w, out var peak) ? $"{peak / (1024.0 * 1024):F0} MiB" : "n/a"))}"));

            Assert.Equal(documentCount, byDocument.Count);
            Assert.Equal(0, provider.RejectedCount);
            Assert.True(windows >= 3, $"only {windows} whole windows");
            Assert.InRange(share, 0.95, 1.0);
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Dispose();
            }
        }

        var results = bed.Results("scale");
        Assert.Equal(documentCount, results.Count);
        Assert.Equal(documentCount, results.Select(r => r.Key).Distinct().Count());
        Assert.All(results, r => Assert.Equal(BatchItemStatus.Succeeded, r.Status));
        Assert.Equal((documentCount, documentCount), (bed.Summary("scale").Total, bed.Summary("scale").Succeeded));
    }

    /// <summary>
    /// Asserts that the only documents sent twice are ones the killed worker had sent and not recorded when it died (its
    /// calls in flight, or answered and not yet recorded), each sent once more by another worker; returns how many the
    /// killed worker had in flight.
    /// </summary>
    private static int AssertOnlyInFlightSentAgain(Dictionary<string, List<MockChatRequest>> byDocument, string victimKey, IReadOnlySet<string> recordedAtKill)
    {
        var inFlight = byDocument.Where(d => d.Value.Exists(r => r.ApiKey == victimKey) && !recordedAtKill.Contains(d.Key)).Select(d => d.Key).ToHashSet();
        Assert.All(byDocument.Where(d => d.Value.Count > 1), d =>
        {
            Assert.Contains(d.Key, inFlight);
            Assert.Equal(2, d.Value.Count);
            Assert.Equal(victimKey, d.Value[0].ApiKey);
            Assert.NotEqual(victimKey, d.Value[1].ApiKey);
        });

        // A document recorded by the time of the kill is never sent again, by anyone.
        Assert.All(recordedAtKill, name => Assert.Single(byDocument[name]));
        return inFlight.Count;
    }

    /// <summary>The names of the documents recorded in the workers' database so far, read from its tables.</summary>
    private static async Task<IReadOnlySet<string>> RecordedDocumentsAsync(Dictionary<string, string> environment)
    {
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(environment["AgentBatch__PostgreSql__ConnectionString"]);
        await using var command = dataSource.CreateCommand($"SELECT name FROM {environment["AgentBatch__PostgreSql__Schema"]}.documents WHERE state = 2");
        await using var reader = await command.ExecuteReaderAsync();
        var names = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    private static async Task RunThreeAsync(WorkerTestBed bed, Dictionary<string, string> environment, int expectedExitCode)
    {
        var workers = Enumerable.Range(1, 3).Select(i => WorkerProcess.Start(bed.Root, With(environment, "AgentBatch__ApiKey", $"worker-{i}"))).ToList();
        try
        {
            foreach (var worker in workers)
            {
                await worker.WaitForExitAsync();
                Assert.True(worker.ExitCode == expectedExitCode, $"A worker exited with {worker.ExitCode}:\n{worker.Output}");
            }
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Dispose();
            }
        }
    }

    private static async Task<Dictionary<string, string>> EnvironmentAsync(WorkerTestBed bed) => new()
    {
        ["AgentBatch__Endpoint"] = bed.Server.Endpoint.ToString(),
        ["AgentBatch__MaxConcurrency"] = "4",
        ["AgentBatch__Worker__InboxPath"] = bed.Inbox,
        ["AgentBatch__Worker__OutputPath"] = bed.Output,
        ["AgentBatch__Worker__ExitWhenIdle"] = "true",
        ["AgentBatch__Worker__PollInterval"] = "00:00:00.200",
        ["AgentBatch__PostgreSql__ConnectionString"] = await PostgreSqlServer.ConnectionStringAsync(),
        ["AgentBatch__PostgreSql__Schema"] = PostgreSqlServer.NewSchema(),
        ["AgentBatch__PostgreSql__LeaseDuration"] = Lease.ToString(),
        ["Logging__LogLevel__Default"] = "Warning",
    };

    private static Dictionary<string, string> With(Dictionary<string, string> environment, string name, string value) => new(environment) { [name] = value };

    /// <summary>Reads each worker's peak resident memory every 200 ms until told to stop; the last reading before a process ends is its peak, near enough for a figure.</summary>
    private static async Task SamplePeaksAsync(ConcurrentQueue<WorkerProcess> workers, ConcurrentDictionary<WorkerProcess, long> peaks, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            foreach (var worker in workers)
            {
                if (worker.PeakResidentBytes() is { } peak)
                {
                    peaks.AddOrUpdate(worker, peak, (_, old) => Math.Max(old, peak));
                }
            }

            try
            {
                await Task.Delay(200, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
