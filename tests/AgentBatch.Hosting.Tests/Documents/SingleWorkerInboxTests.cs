using AgentBatch.Testing;

namespace AgentBatch.Hosting.Tests;

/// <summary>
/// The embedded store is one worker's: a second worker process on the same inbox is refused with a clear message
/// instead of running the same set, and what calls in flight had reserved when a worker was killed stays spent.
/// </summary>
public sealed class SingleWorkerInboxTests
{
    [Fact]
    public async Task SecondWorkerProcessOnTheSameInbox_IsRefusedWithAClearMessage_TheFirstRunsEveryDocumentOnce()
    {
        using var gate = new ManualResetEventSlim();
        var firstRequest = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var bed = new WorkerTestBed(request =>
        {
            firstRequest.TrySetResult();
            gate.Wait(Eventually.Guard);
            return MockChatServer.EchoResponder(request);
        });
        var documents = Enumerable.Range(1, 200).ToDictionary(i => $"doc-{i:D3}.txt", i => $"Document number {i}.");
        bed.AddFolderSet("shared", documents);
        var environment = Environment(bed);

        try
        {
            using var first = WorkerProcess.Start(bed.Root, environment);
            await firstRequest.Task.WaitAsync(Eventually.Guard);

            // The first worker is mid-set, its calls held by the endpoint: the second must not touch the set.
            using (var second = WorkerProcess.Start(bed.Root, environment))
            {
                await second.WaitForExitAsync();
                Assert.True(second.ExitCode == 1, $"The second worker exited with {second.ExitCode}:\n{second.Output}");
                Assert.Contains($"is held by process {first.Id} on {System.Environment.MachineName}", second.Output, StringComparison.Ordinal);
                Assert.Contains("two such workers would both run every set", second.Output, StringComparison.Ordinal);
            }

            gate.Set();
            await first.WaitForExitAsync();
            Assert.True(first.ExitCode == 0, $"The first worker exited with {first.ExitCode}:\n{first.Output}");
        }
        finally
        {
            gate.Set();
        }

        var results = bed.Results("shared");
        Assert.Equal(documents.Keys.Order(), results.Select(r => r.Key).Order());
        Assert.Equal(200, bed.Server.RequestCount);
        Assert.Equal(200, bed.RequestedDocuments().Distinct().Count());
    }

    [Fact]
    public async Task KilledWithCallsInFlight_WhatTheyReservedCountsAgainstTheSetsCapAfterwards()
    {
        const int InFlight = 4;
        using var gate = new ManualResetEventSlim();
        var entered = 0;
        var allInFlight = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var bed = new WorkerTestBed(request =>
        {
            if (Interlocked.Increment(ref entered) == InFlight)
            {
                allInFlight.TrySetResult();
            }

            gate.Wait(Eventually.Guard);
            return MockChatServer.EchoResponder(request);
        });
        bed.AddFolderSet("capped", Enumerable.Range(1, 20).ToDictionary(i => $"doc-{i:D2}.txt", i => $"Document number {i}."));
        var environment = Environment(bed);
        environment["AgentBatch__MaxTotalTokens"] = "100000";

        try
        {
            using var worker = WorkerProcess.Start(bed.Root, environment);
            await allInFlight.Task.WaitAsync(Eventually.Guard);
            await worker.KillAsync();
        }
        finally
        {
            gate.Set();
        }

        // Each call in flight had reserved its input plus the profile's 200 output tokens; none was recorded.
        using var store = new SqliteCheckpointStore(Path.Combine(bed.Output, ".agentbatch", "checkpoints.db"));
        var run = await store.OpenSetAsync("capped");
        Assert.Empty(await ToListAsync(store.ReadResultsAsync(run)));
        var afterCrash = await store.OpenSpendLedgerAsync(run, 100_000, null);
        Assert.InRange(afterCrash.SpentTokens, InFlight * 200, InFlight * 400);

        // Counted once: opening the run's account again finds the same spend, not the reservations twice.
        var reopened = await store.OpenSpendLedgerAsync(run, 100_000, null);
        Assert.Equal(afterCrash.SpentTokens, reopened.SpentTokens);
    }

    private static Dictionary<string, string> Environment(WorkerTestBed bed) => new()
    {
        ["AgentBatch__Endpoint"] = bed.Server.Endpoint.ToString(),
        ["AgentBatch__ApiKey"] = "test-key",
        ["AgentBatch__MaxConcurrency"] = "4",
        ["AgentBatch__Worker__InboxPath"] = bed.Inbox,
        ["AgentBatch__Worker__OutputPath"] = bed.Output,
        ["AgentBatch__Worker__ExitWhenIdle"] = "true",
        ["Logging__LogLevel__Default"] = "Warning",
    };

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }
}
