using System.Text.Json;

namespace AgentBatch.Hosting.Tests;

public sealed class SqliteCheckpointStoreTests : IDisposable
{
    private readonly TempFolder _folder = new();

    private string DatabasePath => Path.Combine(_folder.Path, "nested", "checkpoints.db");

    [Fact]
    public async Task RecordAsync_KeepsTheFirstResultOfADocument_AndSaysSoForTheSecond()
    {
        using var store = new SqliteCheckpointStore(DatabasePath);
        var run = await store.OpenSetAsync("set");

        Assert.True(await store.RecordAsync(run, Result("a", "first")));
        Assert.False(await store.RecordAsync(run, Result("a", "second")));

        Assert.True(await store.IsRecordedAsync(run, "a"));
        Assert.False(await store.IsRecordedAsync(run, "b"));
        var kept = Assert.Single(await ReadAllAsync(store, run));
        Assert.Equal("first", kept.Output!.Value.GetString());
    }

    [Fact]
    public async Task Results_SurviveReopening_InTheOrderTheyWereRecorded()
    {
        using (var store = new SqliteCheckpointStore(DatabasePath))
        {
            var run = await store.OpenSetAsync("set");
            foreach (var key in new[] { "c", "a", "b" })
            {
                await store.RecordAsync(run, Result(key, key));
            }
        }

        using var reopened = new SqliteCheckpointStore(DatabasePath);
        var same = await reopened.OpenSetAsync("set");

        Assert.Equal((DocumentSetState.Running, 1), (same.State, same.RunNumber));
        Assert.Equal(["c", "a", "b"], (await ReadAllAsync(reopened, same)).Select(r => r.Key));
    }

    [Fact]
    public async Task OpenSetAsync_AfterArchiving_StartsAFreshRunWithTheNextNumber()
    {
        using var store = new SqliteCheckpointStore(DatabasePath);
        var first = await store.OpenSetAsync("set");
        await store.RecordAsync(first, Result("a", "a"));
        await store.SetStateAsync(first, DocumentSetState.Completed);
        Assert.Equal(DocumentSetState.Completed, (await store.OpenSetAsync("set")).State);

        await store.SetStateAsync(first, DocumentSetState.Archived);
        var second = await store.OpenSetAsync("set");

        Assert.Equal((2, DocumentSetState.Running), (second.RunNumber, second.State));
        Assert.NotEqual(first.SetId, second.SetId);
        Assert.False(await store.IsRecordedAsync(second, "a"));
    }

    [Fact]
    public async Task RecordAsync_FromManyThreadsAtOnce_RecordsEveryDocumentOnce()
    {
        using var store = new SqliteCheckpointStore(DatabasePath);
        var run = await store.OpenSetAsync("set");

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 400).Select(i => Task.Run(async () => await store.RecordAsync(run, Result($"doc-{i % 200}", "x")))));

        Assert.Equal(200, outcomes.Count(recorded => recorded));
        Assert.Equal(200, (await ReadAllAsync(store, run)).Select(r => r.Key).Distinct().Count());
    }

    [Fact]
    public void Constructor_RefusesAnEmptyPath() =>
        Assert.Throws<ArgumentException>(() => new SqliteCheckpointStore(" "));

    public void Dispose() => _folder.Dispose();

    private static DocumentResult Result(string key, string output) =>
        new() { Name = key, Key = key, Status = BatchItemStatus.Succeeded, Output = JsonSerializer.SerializeToElement(output) };

    private static async Task<List<DocumentResult>> ReadAllAsync(SqliteCheckpointStore store, DocumentSetCheckpoint run)
    {
        var results = new List<DocumentResult>();
        await foreach (var result in store.ReadResultsAsync(run))
        {
            results.Add(result);
        }

        return results;
    }
}
