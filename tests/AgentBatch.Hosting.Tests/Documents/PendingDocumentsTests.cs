using AgentBatch.Testing;

namespace AgentBatch.Hosting.Tests;

/// <summary>
/// What is not a document's own failure never becomes its result: an outage, an endpoint failing mid-set, a refused key.
/// The documents stay pending, the set stays in the inbox, and once the cause is gone every document is answered once.
/// </summary>
public sealed class PendingDocumentsTests
{
    private const int DocumentCount = 120;

    [Fact]
    public async Task EndpointRefusingConnections_NothingIsRecordedFailed_WhenItIsBackEveryDocumentIsAnsweredOnce()
    {
        using var bed = new WorkerTestBed();
        using var endpoint = new SwitchableEndpoint(bed.Server.Url, up: false);
        bed.ChatClient = BedChatClient.OpenAI;
        bed.Settings["AgentBatch:Endpoint"] = endpoint.Endpoint.ToString();
        bed.Settings["AgentBatch:ApiKey"] = "test-key";
        bed.AddFolderSet("outage", Documents());

        await bed.RunUntilIdleAsync();

        // Refused connections, retried, then the circuit opened: not one document is the worse for it.
        Assert.Empty(bed.ResultLines("outage"));
        Assert.Equal(0, bed.Server.RequestCount);
        Assert.True(Directory.Exists(Path.Combine(bed.Inbox, "outage")));
        Assert.False(File.Exists(Path.Combine(bed.Output, "outage", "summary.json")));
        Assert.Contains(bed.Logs.Lines, l => l.Contains($"Set 'outage' is not finished: {DocumentCount} document(s) stay pending (BrokenCircuitException)", StringComparison.Ordinal));

        endpoint.Up();
        await bed.RunUntilIdleAsync();

        AssertEveryDocumentAnsweredOnce(bed, "outage");
    }

    [Fact]
    public async Task EndpointFailingMidSet_DocumentsItFailedStayPending_TheNextRunSendsOnlyThem()
    {
        var failing = 0;
        var answered = 0;
        using var bed = new WorkerTestBed(request =>
        {
            // Twenty documents are answered, then the endpoint fails every call until it is mended.
            if (Volatile.Read(ref failing) == 1 || Interlocked.Increment(ref answered) > 20)
            {
                Volatile.Write(ref failing, 1);
                return MockChatReply.Error(503, "Service unavailable.");
            }

            return MockChatServer.EchoResponder(request);
        });
        bed.AddFolderSet("flaky", Documents());

        await bed.RunUntilIdleAsync();

        var firstRun = bed.Results("flaky");
        Assert.InRange(firstRun.Count, 1, 20);
        Assert.All(firstRun, r => Assert.Equal(BatchItemStatus.Succeeded, r.Status));
        Assert.True(Directory.Exists(Path.Combine(bed.Inbox, "flaky")));
        var sentBefore = bed.Server.RequestCount;

        Volatile.Write(ref failing, 2);
        bed.Server.Responder = MockChatServer.EchoResponder;
        await bed.RunUntilIdleAsync();

        AssertEveryDocumentAnsweredOnce(bed, "flaky");
        var sentAfter = bed.Server.Requests.Where(r => r.Sequence >= sentBefore).Select(r => WorkerTestBed.DocumentName(r.LastUserText)).ToList();
        Assert.Empty(sentAfter.Intersect(firstRun.Select(r => r.Name)));
        Assert.Equal(DocumentCount - firstRun.Count, sentAfter.Count);
    }

    [Fact]
    public async Task WrongKey_NothingIsRecordedOrArchived_AndTheWorkerExitsNonZero_TheRightKeyFinishesTheSet()
    {
        using var bed = new WorkerTestBed(request => request.ApiKey == "right-key"
            ? MockChatServer.EchoResponder(request)
            : MockChatReply.Error(401, "Incorrect API key provided."));
        bed.AddFolderSet("keyed", Enumerable.Range(1, 100).ToDictionary(i => $"doc-{i:D3}.txt", i => $"Document {i}."));
        var environment = new Dictionary<string, string>
        {
            ["AgentBatch__Endpoint"] = bed.Server.Endpoint.ToString(),
            ["AgentBatch__ApiKey"] = "wrong-key",
            ["AgentBatch__MaxConcurrency"] = "4",
            ["AgentBatch__Worker__InboxPath"] = bed.Inbox,
            ["AgentBatch__Worker__OutputPath"] = bed.Output,
            ["AgentBatch__Worker__ExitWhenIdle"] = "true",
            ["Logging__LogLevel__Default"] = "Warning",
        };

        using (var wrong = WorkerProcess.Start(bed.Root, environment))
        {
            await wrong.WaitForExitAsync();
            Assert.True(wrong.ExitCode == 1, $"The worker with a wrong key exited with {wrong.ExitCode}:\n{wrong.Output}");
            Assert.Contains("Set 'keyed' is not finished: ", wrong.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("wrong-key", wrong.Output, StringComparison.Ordinal);
        }

        // At most the calls in flight when the refusal came were sent; none was recorded, nothing archived.
        Assert.InRange(bed.Server.RequestCount, 1, 4);
        Assert.Empty(bed.ResultLines("keyed"));
        Assert.True(Directory.Exists(Path.Combine(bed.Inbox, "keyed")));
        Assert.False(Directory.Exists(bed.Processed));

        environment["AgentBatch__ApiKey"] = "right-key";
        using (var right = WorkerProcess.Start(bed.Root, environment))
        {
            await right.WaitForExitAsync();
            Assert.True(right.ExitCode == 0, $"The worker with the right key exited with {right.ExitCode}:\n{right.Output}");
        }

        var results = bed.Results("keyed");
        Assert.Equal(100, results.Count);
        Assert.All(results, r => Assert.Equal(BatchItemStatus.Succeeded, r.Status));
        Assert.Equal(100, bed.Server.Requests.Count(r => r.ApiKey == "right-key"));
        Assert.Equal(100, bed.Server.Requests.Where(r => r.ApiKey == "right-key").Select(r => r.LastUserText).Distinct().Count());
        Assert.Equal(100, bed.Summary("keyed").Succeeded);
        Assert.True(Directory.Exists(Path.Combine(bed.Processed, "keyed")));
    }

    private static Dictionary<string, string> Documents() =>
        Enumerable.Range(1, DocumentCount).ToDictionary(i => $"doc-{i:D3}.txt", i => $"Document number {i}.");

    private static void AssertEveryDocumentAnsweredOnce(WorkerTestBed bed, string set)
    {
        var results = bed.Results(set);
        Assert.Equal(DocumentCount, results.Count);
        Assert.Equal(Documents().Keys.Order(), results.Select(r => r.Key).Order());
        Assert.All(results, r => Assert.Equal(BatchItemStatus.Succeeded, r.Status));
        Assert.Equal(DocumentCount, bed.Summary(set).Succeeded);
        Assert.True(Directory.Exists(Path.Combine(bed.Processed, set)));
        var answered = bed.Server.Requests.Where(r => r.LastUserText.Length > 0).Select(r => WorkerTestBed.DocumentName(r.LastUserText));
        Assert.Equal(DocumentCount, answered.Distinct().Count());
    }
}
