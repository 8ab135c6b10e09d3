using System.Text.Json;
using AgentBatch.Testing;

namespace AgentBatch.Hosting.Tests;

/// <summary>The library's resumable batches (<see cref="BatchCheckpoint{TItem}"/>) on both real stores: SQLite and PostgreSQL.</summary>
public sealed class BatchCheckpointStoreTests
{
    public static TheoryData<string> Stores => new() { "sqlite", "postgresql" };

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task RunBatchAsync_StoppedMidRun_ThenRunAgain_SendsOnlyWhatWasNotRecorded(string kind)
    {
        using var stop = new CancellationTokenSource();
        var answered = 0;
        using var server = MockChatServer.Start(request =>
        {
            if (Interlocked.Increment(ref answered) == 15)
            {
                stop.Cancel();
            }

            return MockChatReply.Answer("A:" + request.LastUserText);
        });
        await using var store = await OpenAsync(kind);
        var items = Enumerable.Range(0, 50).Select(i => new Question($"id-{i}", $"question {i}")).ToList();
        var checkpoint = new BatchCheckpoint<Question>(store.Store, "nightly-" + Guid.NewGuid().ToString("N"), q => q.Id);
        var template = new ChatAgent(server.CreateChatClient(), new ChatAgentOptions { Instructions = "Answer." });
        var options = new BatchOptions { MaxConcurrency = 4 };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new BatchRunner().RunBatchAsync(template, items, q => q.Text, r => r.Text, checkpoint, options, stop.Token));

        // The rerun calls with a key of its own: a call of the stopped run may still reach the server after it returned.
        var rerunClient = new OpenAI.OpenAIClient(
                new System.ClientModel.ApiKeyCredential("rerun"),
                new OpenAI.OpenAIClientOptions { Endpoint = server.Endpoint, RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0) })
            .GetChatClient("gpt-4o-mini")
            .AsBatchChatClient();
        var rerunTemplate = new ChatAgent(rerunClient, new ChatAgentOptions { Instructions = "Answer." });
        var result = await new BatchRunner().RunBatchAsync(rerunTemplate, items, q => q.Text, r => r.Text, checkpoint, options);

        Assert.Equal(items.Select(q => "A:" + q.Text), result.Outputs);
        var recordedBefore = result.Items.Count(i => i.NotSentReason == BatchNotSentReason.AlreadyRecorded);
        Assert.InRange(recordedBefore, 1, server.Requests.Count(r => r.ApiKey != "rerun"));
        var sentAgain = server.Requests.Where(r => r.ApiKey == "rerun").Select(r => r.LastUserText).ToList();
        Assert.Equal(50 - recordedBefore, sentAgain.Count);
        Assert.Equal(50 - recordedBefore, sentAgain.Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Store_KeepsTheFirstEntryOfAnItem_AndReadsOnlyItsFingerprint(string kind)
    {
        await using var store = await OpenAsync(kind);
        var run = "run-" + Guid.NewGuid().ToString("N");
        var first = new BatchCheckpointEntry("a", BatchItemStatus.Succeeded, JsonSerializer.SerializeToElement(new { answer = 42 }), null, 10, 5, 0.001m, 1);

        await store.Store.RecordAsync(run, "print-1", first);
        await store.Store.RecordAsync(run, "print-1", first with { Attempts = 9 });
        await store.Store.RecordAsync(run, "print-2", first with { ItemKey = "b" });

        var read = new List<BatchCheckpointEntry>();
        await foreach (var entry in store.Store.ReadAsync(run, "print-1"))
        {
            read.Add(entry);
        }

        var only = Assert.Single(read);
        Assert.Equal(("a", 1, 10L, 5L, 0.001m), (only.ItemKey, only.Attempts, only.InputTokens, only.OutputTokens, only.Cost!.Value));
        Assert.Equal(42, only.Output!.Value.GetProperty("answer").GetInt32());
    }

    private static async Task<OpenStore> OpenAsync(string kind)
    {
        if (kind == "sqlite")
        {
            var folder = new TempFolder();
            return new OpenStore(new SqliteCheckpointStore(Path.Combine(folder.Path, "checkpoints.db")), folder, null);
        }

        var dataSource = await PostgreSqlServer.DataSourceAsync();
        return new OpenStore(new PostgreSqlCheckpointStore(dataSource, new AgentBatchPostgreSqlOptions { Schema = PostgreSqlServer.NewSchema() }), null, dataSource);
    }

    private sealed record Question(string Id, string Text);

    private sealed class OpenStore(IBatchCheckpointStore store, TempFolder? folder, Npgsql.NpgsqlDataSource? dataSource) : IAsyncDisposable
    {
        public IBatchCheckpointStore Store { get; } = store;

        public async ValueTask DisposeAsync()
        {
            switch (Store)
            {
                case IAsyncDisposable asynchronous:
                    await asynchronous.DisposeAsync();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }

            folder?.Dispose();
            if (dataSource is not null)
            {
                await dataSource.DisposeAsync();
            }
        }
    }
}
