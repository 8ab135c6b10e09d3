using AgentBatch.Testing;
using Anthropic;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using AnthropicClientOptions = Anthropic.Core.ClientOptions;

namespace AgentBatch.Hosting.Tests;

/// <summary>Sets run through the provider's batch API (<c>"execution": "batch"</c>), against the mock's OpenAI Batch API, on a real host.</summary>
public sealed class ProviderBatchSetTests
{
    [Fact]
    public async Task BatchSet_RunsThroughTheBatchApi_OneResultLinePerDocumentAtTheBatchPrice()
    {
        using var bed = BatchBed();
        var documents = Enumerable.Range(1, 30).ToDictionary(i => $"doc-{i:D2}.txt", i => $"Document number {i}.");
        bed.AddFolderSet("nightly", documents, """{ "execution": "batch" }""");
        bed.AddFolderSet("urgent", new Dictionary<string, string> { ["a.txt"] = "now" }, """{ "execution": "live", "priority": "High" }""");

        await bed.RunUntilIdleAsync();

        var results = bed.Results("nightly");
        Assert.Equal(documents.Keys.Order(), results.Select(r => r.Name).Order());
        Assert.All(results, r => Assert.Equal((BatchItemStatus.Succeeded, 1), (r.Status, r.Attempts)));
        Assert.Equal("Echo: Document: doc-01.txt\n\nDocument number 1.", results.Single(r => r.Name == "doc-01.txt").Output!.Value.GetString());
        var batch = Assert.Single(bed.Server.Batches.Created);
        Assert.Equal((MockBatchState.Completed, 30), (batch.State, batch.Succeeded));
        Assert.Equal(30, bed.Server.Requests.Count(r => r.BatchId == batch.Id));
        Assert.Single(bed.Server.Requests, r => r.BatchId is null);

        var pricing = new ModelPricing(0.15m, 0.60m).ForProviderBatch();
        Assert.All(results, r => Assert.Equal(pricing.GetCost(r.Usage!.InputTokens, r.Usage.OutputTokens), r.Cost));
        var summary = bed.Summary("nightly");
        Assert.Equal((30, 30, results.Sum(r => r.Cost)), (summary.Total, summary.Succeeded, summary.Cost));
        Assert.True(Directory.Exists(Path.Combine(bed.Processed, "nightly")));
    }

    [Fact]
    public async Task BatchSet_OverTheAnthropicClient_RunsThroughMessageBatches_OneResultLinePerDocumentAtTheBatchPrice()
    {
        using var bed = BatchBed();
        bed.Settings["AgentBatch:Pricing:InputPerMillionTokens"] = "3";
        bed.Settings["AgentBatch:Pricing:OutputPerMillionTokens"] = "15";
        var documents = Enumerable.Range(1, 20).ToDictionary(i => $"doc-{i:D2}.txt", i => $"Document number {i}.");
        bed.AddFolderSet("nightly", documents, """{ "execution": "batch" }""");
        var anthropic = new AnthropicClient(new AnthropicClientOptions { ApiKey = "mock-anthropic-key", BaseUrl = bed.Server.Url.ToString(), MaxRetries = 0 });

        // The application's own chat client: Anthropic's, carrying its Message Batches.
        await bed.RunUntilIdleAsync(services => services.AddChatClient(anthropic.AsBatchChatClient("claude-test-1")));

        var results = bed.Results("nightly");
        Assert.Equal(documents.Keys.Order(), results.Select(r => r.Name).Order());
        Assert.All(results, r => Assert.Equal((BatchItemStatus.Succeeded, 1), (r.Status, r.Attempts)));
        Assert.Equal("Echo: Document: doc-01.txt\n\nDocument number 1.", results.Single(r => r.Name == "doc-01.txt").Output!.Value.GetString());
        var batch = Assert.Single(bed.Server.Batches.Created);
        Assert.Equal((MockBatchProvider.Anthropic, MockBatchState.Completed, 20), (batch.Provider, batch.State, batch.Succeeded));
        Assert.All(bed.Server.Requests, r => Assert.Equal(batch.Id, r.BatchId));
        var pricing = new ModelPricing(3m, 15m).ForProviderBatch();
        Assert.All(results, r => Assert.Equal(pricing.GetCost(r.Usage!.InputTokens, r.Usage.OutputTokens), r.Cost));
        Assert.True(Directory.Exists(Path.Combine(bed.Processed, "nightly")));
    }

    [Fact]
    public async Task BatchSet_WrongKey_NothingIsCreatedRecordedOrArchived_TheRightKeyFinishesTheSetInOneBatch()
    {
        using var bed = BatchBed();
        bed.ChatClient = BedChatClient.OpenAI;
        bed.Server.Batches.AcceptedApiKey = "right-key";
        bed.Settings["AgentBatch:Endpoint"] = bed.Server.Endpoint.ToString();
        bed.Settings["AgentBatch:ApiKey"] = "wrong-key";
        var documents = Enumerable.Range(1, 20).ToDictionary(i => $"doc-{i:D2}.txt", i => $"Document number {i}.");
        bed.AddFolderSet("keyed", documents, """{ "execution": "batch" }""");

        await bed.RunUntilIdleAsync();

        // The upload was refused for the key: nothing is the documents' own outcome, so nothing is recorded.
        Assert.Empty(bed.Server.Batches.Created);
        Assert.Empty(bed.ResultLines("keyed"));
        Assert.True(Directory.Exists(Path.Combine(bed.Inbox, "keyed")));
        Assert.Contains(bed.Logs.Lines, l => l.Contains("Set 'keyed' is not finished: ", StringComparison.Ordinal));
        Assert.DoesNotContain(bed.Logs.Lines, l => l.Contains("wrong-key", StringComparison.Ordinal));

        bed.Settings["AgentBatch:ApiKey"] = "right-key";
        await bed.RunUntilIdleAsync();

        var results = bed.Results("keyed");
        Assert.Equal(documents.Keys.Order(), results.Select(r => r.Name).Order());
        Assert.All(results, r => Assert.Equal(BatchItemStatus.Succeeded, r.Status));
        var batch = Assert.Single(bed.Server.Batches.Created);
        Assert.Equal(20, batch.Succeeded);
        Assert.True(Directory.Exists(Path.Combine(bed.Processed, "keyed")));
    }

    [Fact]
    public async Task BatchSet_UnknownExecutionOrAStoreThatKeepsNoBatches_IsRefusedWithASummaryThatSaysWhy()
    {
        using var bed = BatchBed();
        bed.AddFolderSet("typo", new Dictionary<string, string> { ["a.txt"] = "a" }, """{ "execution": "batched" }""");

        await bed.RunUntilIdleAsync();
        bed.AddFolderSet("nostore", new Dictionary<string, string> { ["a.txt"] = "a" }, """{ "execution": "batch" }""");
        await bed.RunUntilIdleAsync(services => services.AddSingleton<IDocumentCheckpointStore>(
            provider => new ResultsOnlyStore(new SqliteCheckpointStore(Path.Combine(bed.Root, "other.db")))));

        Assert.Contains("\"execution\" is 'batched'", bed.Summary("typo").Error, StringComparison.Ordinal);
        Assert.Contains("does not keep provider batches", bed.Summary("nostore").Error, StringComparison.Ordinal);
        Assert.Equal(0, bed.Server.RequestCount);
        Assert.Empty(bed.Server.Batches.Created);
    }

    /// <summary>A worker bed whose mock moves batches on by itself and whose worker polls often, on the real clock: the host runs as it would in production, only faster.</summary>
    internal static WorkerTestBed BatchBed()
    {
        var bed = new WorkerTestBed();
        bed.Server.Batches.AutoAdvanceInterval = TimeSpan.FromMilliseconds(20);
        bed.Settings["AgentBatch:ProviderBatch:PollInterval"] = "00:00:00.020";
        bed.Settings["AgentBatch:ProviderBatch:MaxPollInterval"] = "00:00:00.100";
        return bed;
    }

    /// <summary>A checkpoint store that keeps documents only, as a store written before provider batches existed would.</summary>
    private sealed class ResultsOnlyStore(SqliteCheckpointStore inner) : IDocumentCheckpointStore, IDisposable
    {
        public Task<DocumentSetCheckpoint> OpenSetAsync(string setName, string? identity = null, CancellationToken cancellationToken = default) => inner.OpenSetAsync(setName, identity, cancellationToken);

        public ValueTask<bool> IsRecordedAsync(DocumentSetCheckpoint run, string documentKey, CancellationToken cancellationToken = default) => inner.IsRecordedAsync(run, documentKey, cancellationToken);

        public ValueTask<bool> RecordAsync(DocumentSetCheckpoint run, DocumentResult result, CancellationToken cancellationToken = default) => inner.RecordAsync(run, result, cancellationToken);

        public IAsyncEnumerable<DocumentResult> ReadResultsAsync(DocumentSetCheckpoint run, CancellationToken cancellationToken = default) => inner.ReadResultsAsync(run, cancellationToken);

        public Task SetStateAsync(DocumentSetCheckpoint run, DocumentSetState state, CancellationToken cancellationToken = default) => inner.SetStateAsync(run, state, cancellationToken);

        public void Dispose() => inner.Dispose();
    }
}
