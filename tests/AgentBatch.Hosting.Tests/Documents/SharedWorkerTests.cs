using System.Collections.Concurrent;
using AgentBatch.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AgentBatch.Hosting.Tests;

/// <summary>Workers sharing one inbox through the PostgreSQL store, in one test process: the registration, and what the workers do together.</summary>
public sealed class SharedWorkerTests
{
    [Fact]
    public async Task TwoWorkersOnOneInbox_ShareItsSets_EveryDocumentSentOnce_EachSetsOutputsWrittenWhole()
    {
        // Each worker calls with its own key; the first calls of each wait until the other has called too, so both work.
        var seen = new ConcurrentDictionary<string, bool>();
        var both = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var bed = new WorkerTestBed(request =>
        {
            seen[request.ApiKey ?? ""] = true;
            if (seen.Count >= 2)
            {
                both.TrySetResult();
            }

            both.Task.Wait(Eventually.Guard);
            return MockChatServer.EchoResponder(request) with { Delay = TimeSpan.FromMilliseconds(2) };
        });
        var connection = await PostgreSqlServer.ConnectionStringAsync();
        bed.ChatClient = BedChatClient.OpenAI;
        bed.Settings["AgentBatch:Endpoint"] = bed.Server.Endpoint.ToString();
        bed.Settings["AgentBatch:PostgreSql:ConnectionString"] = connection;
        bed.Settings["AgentBatch:PostgreSql:Schema"] = PostgreSqlServer.NewSchema();
        bed.Settings["AgentBatch:Worker:WriteCsv"] = "true";
        bed.AddFolderSet("reports", Documents("r", 60));
        bed.AddJsonlSet("tickets", Enumerable.Range(1, 40).Select(i => WorkerTestBed.Record($"t-{i}", $"Ticket {i}.")));
        bed.AddFolderSet("notes", Documents("n", 30));

        bed.Settings["AgentBatch:ApiKey"] = "worker-one";
        using var first = bed.BuildHost(static services => services.AddAgentBatchPostgreSql());
        bed.Settings["AgentBatch:ApiKey"] = "worker-two";
        using var second = bed.BuildHost(static services => services.AddAgentBatchPostgreSql());
        await Task.WhenAll(RunUntilIdleAsync(first), RunUntilIdleAsync(second));

        Assert.Equal(130, bed.Server.RequestCount);
        Assert.Equal(130, bed.Server.Requests.Select(r => r.LastUserText).Distinct().Count());
        Assert.Equal(["worker-one", "worker-two"], bed.Server.Requests.Select(r => r.ApiKey).Distinct().Order());
        foreach (var (set, count) in new[] { ("reports", 60), ("tickets", 40), ("notes", 30) })
        {
            var results = bed.Results(set);
            Assert.Equal(count, results.Count);
            Assert.Equal(count, results.Select(r => r.Key).Distinct().Count());
            Assert.All(results, r => Assert.Equal(BatchItemStatus.Succeeded, r.Status));
            Assert.Equal((count, count), (bed.Summary(set).Total, bed.Summary(set).Succeeded));
            Assert.Equal(count + 1, CsvReader.Parse(File.ReadAllText(Path.Combine(bed.Output, set, "results.csv"))).Count);
        }

        Assert.Equal([bed.Processed], bed.InboxEntries());
        Assert.Equal(["notes", "reports", "tickets.jsonl"], Directory.EnumerateFileSystemEntries(bed.Processed).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task WrongKeyOnAShare_NothingIsRecorded_TheDocumentsWaitForTheirRetry_AndTheRightKeyFinishesThem()
    {
        using var bed = new WorkerTestBed(request => request.ApiKey == "right-key" ? MockChatServer.EchoResponder(request) : MockChatReply.Error(401, "Incorrect API key provided."));
        bed.ChatClient = BedChatClient.OpenAI;
        bed.Settings["AgentBatch:Endpoint"] = bed.Server.Endpoint.ToString();
        bed.Settings["AgentBatch:ApiKey"] = "wrong-key";
        bed.Settings["AgentBatch:PostgreSql:ConnectionString"] = await PostgreSqlServer.ConnectionStringAsync();
        bed.Settings["AgentBatch:PostgreSql:Schema"] = PostgreSqlServer.NewSchema();
        bed.Settings["AgentBatch:Worker:SetRetryDelay"] = "00:00:00.200";
        bed.AddFolderSet("keyed", Documents("k", 20));

        await bed.RunUntilIdleAsync(static services => services.AddAgentBatchPostgreSql());

        Assert.False(File.Exists(Path.Combine(bed.Output, "keyed", "results.jsonl")));
        Assert.True(Directory.Exists(Path.Combine(bed.Inbox, "keyed")));
        Assert.Contains(bed.Logs.Lines, l => l.Contains("Set 'keyed' is not finished", StringComparison.Ordinal));

        bed.Settings["AgentBatch:ApiKey"] = "right-key";
        await bed.RunUntilIdleAsync(static services => services.AddAgentBatchPostgreSql());

        Assert.Equal(20, bed.Results("keyed").Count);
        Assert.Equal(20, bed.Server.Requests.Count(r => r.ApiKey == "right-key"));
    }

    [Theory]
    [InlineData("AgentBatch:PostgreSql:Schema", "Bad-Schema", "AgentBatch:PostgreSql:Schema must be a plain lowercase identifier")]
    [InlineData("AgentBatch:PostgreSql:LeaseDuration", "00:00:00", "AgentBatch:PostgreSql:LeaseDuration must be between 00:00:01 and 01:00:00; it is 00:00:00.")]
    [InlineData("AgentBatch:PostgreSql:Shema", "x", "AgentBatch:PostgreSql:Shema is not a setting")]
    [InlineData("AgentBatch:PostgreSql:ConnectionString", "", "AgentBatch:PostgreSql:ConnectionString is required (or ConnectionStrings:AgentBatch)")]
    [InlineData("AgentBatch:PostgreSql:ConnectionString", "Hots=db;Password=hunter2-DO-NOT-LEAK", "AgentBatch:PostgreSql:ConnectionString is not a valid PostgreSQL connection string")]
    public async Task BadSetting_StopsTheHostAtStart_WithAMessageNamingIt(string key, string value, string message)
    {
        using var bed = new WorkerTestBed();
        bed.Settings["AgentBatch:PostgreSql:ConnectionString"] = "Host=127.0.0.1;Port=1;Username=u;Password=hunter2-DO-NOT-LEAK";
        bed.Settings[key] = value;
        using var host = bed.BuildHost(static services => services.AddAgentBatchPostgreSql());

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(message, string.Join(" ", error.Failures), StringComparison.Ordinal);
        Assert.DoesNotContain("DO-NOT-LEAK", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("DO-NOT-LEAK", bed.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectionString_FromConnectionStrings_IsUsed_AndItsPasswordReachesNoMessageWhenTheDatabaseIsAway()
    {
        using var bed = new WorkerTestBed();
        bed.Settings["ConnectionStrings:AgentBatch"] = "Host=127.0.0.1;Port=1;Username=u;Password=hunter2-DO-NOT-LEAK;Timeout=2";
        using var host = bed.BuildHost(static services => services.AddAgentBatchPostgreSql());

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.Equal("Host=127.0.0.1;Port=1;Username=u;Password=hunter2-DO-NOT-LEAK;Timeout=2", host.Services.GetRequiredService<IOptions<AgentBatchPostgreSqlOptions>>().Value.ConnectionString);
        Assert.IsAssignableFrom<Npgsql.NpgsqlException>(error);
        Assert.DoesNotContain("DO-NOT-LEAK", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("DO-NOT-LEAK", bed.Logs.AllText, StringComparison.Ordinal);
        Assert.IsType<PostgreSqlCheckpointStore>(host.Services.GetRequiredService<IDocumentCheckpointStore>());
    }

    [Fact]
    public async Task ProviderBatchSet_OnTheSharedStore_IsRefusedWithASummaryThatSaysWhy_AndNothingIsSent()
    {
        // The PostgreSQL store keeps no provider batches, so a restarted worker could not re-attach to them.
        using var bed = new WorkerTestBed();
        bed.Settings["AgentBatch:PostgreSql:ConnectionString"] = await PostgreSqlServer.ConnectionStringAsync();
        bed.Settings["AgentBatch:PostgreSql:Schema"] = PostgreSqlServer.NewSchema();
        bed.AddFolderSet("nightly", Documents("d", 3), """{ "execution": "batch" }""");

        await bed.RunUntilIdleAsync(static services => services.AddAgentBatchPostgreSql());

        Assert.Contains("does not keep provider batches", bed.Summary("nightly").Error, StringComparison.Ordinal);
        Assert.Equal(0, bed.Server.RequestCount);
        Assert.Empty(bed.Server.Batches.Created);
    }

    [Fact]
    public async Task LiveSet_WhenTheBatchDefaultIsTheProviderBatchLane_RunsLiveOnTheSharedStore()
    {
        // The set's own "execution" wins on the shared path as on a single worker's.
        using var bed = new WorkerTestBed();
        bed.Settings["AgentBatch:Execution"] = "ProviderBatch";
        bed.Settings["AgentBatch:PostgreSql:ConnectionString"] = await PostgreSqlServer.ConnectionStringAsync();
        bed.Settings["AgentBatch:PostgreSql:Schema"] = PostgreSqlServer.NewSchema();
        bed.AddFolderSet("urgent", Documents("u", 3), """{ "execution": "live" }""");

        await bed.RunUntilIdleAsync(static services => services.AddAgentBatchPostgreSql());

        Assert.Equal(3, bed.Results("urgent").Count(r => r.Status == BatchItemStatus.Succeeded));
        Assert.Empty(bed.Server.Batches.Created);
        Assert.All(bed.Server.Requests, r => Assert.Null(r.BatchId));
    }

    private static Dictionary<string, string> Documents(string prefix, int count) =>
        Enumerable.Range(1, count).ToDictionary(i => $"{prefix}-{i:D3}.txt", i => $"Document {prefix} {i}.");

    private static async Task RunUntilIdleAsync(IHost host)
    {
        using var guard = new CancellationTokenSource(Eventually.Guard);
        await host.StartAsync(guard.Token);
        await host.WaitForShutdownAsync(guard.Token);
        Assert.False(guard.IsCancellationRequested, "The worker did not finish the inbox.");
    }
}
