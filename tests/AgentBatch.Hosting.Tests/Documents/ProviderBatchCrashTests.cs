using System.Text.Json;

namespace AgentBatch.Hosting.Tests;

/// <summary>The sample worker as a child process running a set as a provider batch: on its embedded mock, and killed after it submitted, then started again.</summary>
public sealed class ProviderBatchCrashTests
{
    private const string SetName = "overnight";
    private const int DocumentCount = 200;

    [Fact]
    public async Task Sample_BatchSetOnTheEmbeddedMock_RunsThroughTheBatchApi()
    {
        using var bed = new WorkerTestBed();
        bed.AddFolderSet("notes", new Dictionary<string, string> { ["a.txt"] = "Alpha is first. More.", ["b.txt"] = "Beta is second." }, """{ "execution": "batch" }""");

        using var worker = WorkerProcess.Start(bed.Root, new Dictionary<string, string>
        {
            ["AgentBatch__Worker__InboxPath"] = bed.Inbox,
            ["AgentBatch__Worker__OutputPath"] = bed.Output,
            ["AgentBatch__Worker__ExitWhenIdle"] = "true",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__AgentBatch"] = "Information",
        });
        await worker.WaitForExitAsync();

        Assert.True(worker.ExitCode == 0, worker.Output);
        Assert.Contains("OpenAI batch batch_mock_000001 submitted: 2 request(s)", worker.Output, StringComparison.Ordinal);
        var results = bed.Results("notes");
        Assert.Equal(["a.txt: Alpha is first.", "b.txt: Beta is second."], results.OrderBy(r => r.Name).Select(r => r.Output!.Value.GetString()));
        Assert.Equal(0, bed.Server.RequestCount);
    }

    [Fact]
    public async Task KilledAfterSubmitting_RestartReattaches_NoSecondSubmission_EveryDocumentOnce()
    {
        using var bed = new WorkerTestBed();
        var documents = Enumerable.Range(1, DocumentCount).ToDictionary(i => $"doc-{i:D3}.txt", i => $"Document number {i}.");
        bed.AddFolderSet(SetName, documents, """{ "execution": "batch" }""");
        var environment = new Dictionary<string, string>
        {
            ["AgentBatch__Endpoint"] = bed.Server.Endpoint.ToString(),
            ["AgentBatch__ApiKey"] = "test-key",
            ["AgentBatch__ProviderBatch__PollInterval"] = "00:00:00.050",
            ["AgentBatch__ProviderBatch__MaxPollInterval"] = "00:00:00.200",
            ["AgentBatch__Worker__InboxPath"] = bed.Inbox,
            ["AgentBatch__Worker__OutputPath"] = bed.Output,
            ["AgentBatch__Worker__ExitWhenIdle"] = "true",
            ["Logging__LogLevel__Default"] = "Warning",
        };

        // First run: killed once its batch exists and has been polled (its id is saved before the first poll).
        using (var first = WorkerProcess.Start(bed.Root, environment))
        {
            await Eventually.TrueAsync(() => bed.Server.Batches.Created is [{ PollCount: > 0 }], "the worker has submitted its batch and polled it");
            await first.KillAsync();
        }

        // While no worker runs, the provider finishes the batch.
        var submitted = Assert.Single(bed.Server.Batches.Created);
        Assert.Equal(DocumentCount, submitted.RequestCount);
        Assert.Equal(0, bed.Server.RequestCount);
        bed.Server.Batches.Complete(submitted.Id);

        // Second run: re-attaches, reads the results, records every document, exits on its own.
        using (var second = WorkerProcess.Start(bed.Root, environment))
        {
            await second.WaitForExitAsync();
            Assert.True(second.ExitCode == 0, $"The restarted worker exited with {second.ExitCode}:\n{second.Output}");
        }

        Assert.Single(bed.Server.Batches.Created);
        Assert.Equal(DocumentCount, bed.Server.RequestCount);
        Assert.Equal(documents.Keys.Order(), bed.Server.Requests.Select(r => WorkerTestBed.DocumentName(r.LastUserText)).Order());
        var lines = File.ReadAllLines(Path.Combine(bed.Output, SetName, "results.jsonl"));
        var results = lines.Select(l => JsonSerializer.Deserialize<DocumentResult>(l, WorkerTestBed.Json)!).ToList();
        Assert.Equal(documents.Keys.Order(), results.Select(r => r.Key).Order());
        Assert.All(results, r => Assert.Equal((BatchItemStatus.Succeeded, 1), (r.Status, r.Attempts)));
        Assert.Equal((DocumentCount, DocumentCount), (bed.Summary(SetName).Total, bed.Summary(SetName).Succeeded));
    }
}
