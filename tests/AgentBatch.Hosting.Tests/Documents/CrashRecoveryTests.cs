using System.Text.Json;
using AgentBatch.Testing;

namespace AgentBatch.Hosting.Tests;

/// <summary>The worker killed mid-set (no graceful stop) and started again: nothing lost, nothing paid for twice.</summary>
public sealed class CrashRecoveryTests
{
    private const string SetName = "crash";
    private const int DocumentCount = 300;

    [Fact]
    public async Task KilledMidSet_RestartFinishesIt_OneResultPerDocument_NoRecordedDocumentSentAgain()
    {
        using var bed = new WorkerTestBed(request => MockChatServer.EchoResponder(request) with { Delay = TimeSpan.FromMilliseconds(20) });
        var documents = Enumerable.Range(1, DocumentCount).ToDictionary(i => $"doc-{i:D3}.txt", i => $"Document number {i}.");
        bed.AddFolderSet(SetName, documents);
        var environment = new Dictionary<string, string>
        {
            ["AgentBatch__Endpoint"] = bed.Server.Endpoint.ToString(),
            ["AgentBatch__ApiKey"] = "test-key",
            ["AgentBatch__MaxConcurrency"] = "4",
            ["AgentBatch__Worker__InboxPath"] = bed.Inbox,
            ["AgentBatch__Worker__OutputPath"] = bed.Output,
            ["AgentBatch__Worker__ExitWhenIdle"] = "true",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        var resultsFile = Path.Combine(bed.Output, SetName, "results.jsonl");

        // First run: killed once a fair share of the set is done.
        using (var first = WorkerProcess.Start(bed.Root, environment))
        {
            await Eventually.TrueAsync(() => CountLines(resultsFile) >= 60, "the first run has recorded 60 documents");
            await first.KillAsync();
        }

        var sentBeforeKill = bed.Server.RequestCount;
        var recordedBeforeKill = await RecordedKeysAsync(Path.Combine(bed.Output, ".agentbatch", "checkpoints.db"));
        Assert.InRange(recordedBeforeKill.Count, 60, DocumentCount - 1);

        // A kill leaves whole lines only.
        Assert.All(File.ReadAllLines(resultsFile), line => JsonDocument.Parse(line).Dispose());

        // Second run: finishes the set and exits on its own.
        using (var second = WorkerProcess.Start(bed.Root, environment))
        {
            await second.WaitForExitAsync();
            Assert.True(second.ExitCode == 0, $"The restarted worker exited with {second.ExitCode}:\n{second.Output}");
        }

        var lines = File.ReadAllLines(resultsFile);
        var results = lines.Select(l => JsonSerializer.Deserialize<DocumentResult>(l, WorkerTestBed.Json)!).ToList();
        Assert.Equal(DocumentCount, lines.Length);
        Assert.Equal(documents.Keys.Order(), results.Select(r => r.Key).Order());
        Assert.All(results, r => Assert.Equal(BatchItemStatus.Succeeded, r.Status));

        var sentAfterRestart = bed.Server.Requests.Where(r => r.Sequence >= sentBeforeKill).Select(r => WorkerTestBed.DocumentName(r.LastUserText)).ToList();
        Assert.Empty(sentAfterRestart.Intersect(recordedBeforeKill));
        Assert.Equal(DocumentCount - recordedBeforeKill.Count, sentAfterRestart.Distinct().Count());

        var summary = bed.Summary(SetName);
        Assert.Equal((DocumentCount, DocumentCount), (summary.Total, summary.Succeeded));
    }

    private static int CountLines(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            var count = 0;
            while (reader.ReadLine() is not null)
            {
                count++;
            }

            return count;
        }
        catch (FileNotFoundException)
        {
            return 0;
        }
        catch (DirectoryNotFoundException)
        {
            return 0;
        }
    }

    private static async Task<HashSet<string>> RecordedKeysAsync(string database)
    {
        using var store = new SqliteCheckpointStore(database);
        var run = await store.OpenSetAsync(SetName);
        Assert.Equal(DocumentSetState.Running, run.State);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var result in store.ReadResultsAsync(run))
        {
            Assert.True(keys.Add(result.Key), $"{result.Key} recorded twice");
        }

        return keys;
    }
}
