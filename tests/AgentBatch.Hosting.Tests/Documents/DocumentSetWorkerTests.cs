using System.Text.Json;
using AgentBatch.Testing;

namespace AgentBatch.Hosting.Tests;

public sealed class DocumentSetWorkerTests
{
    [Fact]
    public async Task FolderAndJsonlSets_EveryDocumentGetsOneResultLine_SummaryAndCsv()
    {
        using var bed = new WorkerTestBed();
        bed.AddFolderSet("reports", new Dictionary<string, string>
        {
            ["q1.txt"] = "Revenue grew 4%.",
            ["q2.txt"] = "Revenue fell 2%.",
            ["archive/q4.md"] = "# Q4\nFlat revenue.",
        });
        bed.AddJsonlSet("tickets", [WorkerTestBed.Record("t-1", "Printer jams."), "", WorkerTestBed.Record("t-2", "VPN drops.")], manifest: """{ "csv": true }""");

        await bed.RunUntilIdleAsync();

        var reports = bed.Results("reports");
        Assert.Equal(["archive/q4.md", "q1.txt", "q2.txt"], reports.Select(r => r.Name).Order());
        Assert.All(reports, r => Assert.Equal(BatchItemStatus.Succeeded, r.Status));
        Assert.Equal("Echo: Document: q1.txt\n\nRevenue grew 4%.", reports.Single(r => r.Name == "q1.txt").Output!.Value.GetString());
        Assert.All(reports, r => Assert.True(r.Usage!.TotalTokens > 0 && r.Attempts == 1));

        var tickets = bed.Results("tickets");
        Assert.Equal(["t-1", "t-2"], tickets.Select(r => r.Name).Order());
        Assert.Equal(["line:1", "line:3"], tickets.Select(r => r.Key).Order());

        var summary = bed.Summary("reports");
        Assert.Equal((3, 3, 0, 0), (summary.Total, summary.Succeeded, summary.Failed, summary.Skipped));
        Assert.Equal(reports.Sum(r => r.Usage!.TotalTokens), summary.TotalTokens);
        Assert.Equal(1, summary.Run);

        var csv = File.ReadAllLines(Path.Combine(bed.Output, "tickets", "results.csv"));
        Assert.Equal("name,key,status,output,input_tokens,output_tokens,cost,attempts,duration_ms,error", csv[0]);
        Assert.Equal(2, csv.Count(l => l.StartsWith("t-", StringComparison.Ordinal)));
        Assert.False(File.Exists(Path.Combine(bed.Output, "reports", "results.csv")));

        Assert.Equal(5, bed.Server.RequestCount);
        Assert.True(Directory.Exists(Path.Combine(bed.Processed, "reports")));
        Assert.True(File.Exists(Path.Combine(bed.Processed, "tickets.jsonl")));
        Assert.True(File.Exists(Path.Combine(bed.Processed, "tickets.set.json")));
        Assert.Equal([bed.Processed], bed.InboxEntries());
    }

    [Fact]
    public async Task JsonProfile_EmbedsTheReplyAsJson_AndANonJsonReplyFailsAlone()
    {
        using var bed = new WorkerTestBed(request => MockChatReply.Answer(
            request.LastUserText.Contains("good", StringComparison.Ordinal) ? "```json\n{\"title\":\"good\",\"score\":3}\n```" : "Sorry, no JSON today."));
        bed.Settings["AgentBatch:Worker:Profiles:extract:Instructions"] = "Extract a title and a score as JSON.";
        bed.Settings["AgentBatch:Worker:Profiles:extract:Output"] = "Json";
        bed.Settings["AgentBatch:Worker:WriteDocumentFiles"] = "true";
        bed.AddFolderSet("mixed", new Dictionary<string, string> { ["good.txt"] = "good text", ["bad.txt"] = "bad text" }, """{ "profile": "extract" }""");

        await bed.RunUntilIdleAsync();

        var results = bed.Results("mixed").ToDictionary(r => r.Name);
        Assert.Equal(JsonValueKind.Object, results["good.txt"].Output!.Value.ValueKind);
        Assert.Equal(3, results["good.txt"].Output!.Value.GetProperty("score").GetInt32());
        Assert.Equal(BatchItemStatus.Failed, results["bad.txt"].Status);
        Assert.Contains("not JSON", results["bad.txt"].Error, StringComparison.Ordinal);
        Assert.All(bed.Server.Requests, r => Assert.Equal("Extract a title and a score as JSON.", r.SystemText));
        Assert.All(bed.Server.Requests, r => Assert.Contains("json", r.ResponseFormat, StringComparison.Ordinal));

        var documentFile = Path.Combine(bed.Output, "mixed", "documents", "good.txt.json");
        Assert.Equal(3, JsonDocument.Parse(File.ReadAllText(documentFile)).RootElement.GetProperty("score").GetInt32());
        Assert.False(File.Exists(Path.Combine(bed.Output, "mixed", "documents", "bad.txt.txt")));
    }

    [Fact]
    public async Task Sets_RunHighestPriorityFirst_FirstComeFirstServedWithinAPriority()
    {
        using var bed = new WorkerTestBed();
        bed.Settings["AgentBatch:MaxConcurrency"] = "1";
        var arrival = DateTime.UtcNow.AddMinutes(-10);
        void Add(string name, string priority, int minute)
        {
            var path = bed.AddFolderSet(name, new Dictionary<string, string> { [name + ".txt"] = "text" }, $$"""{ "priority": "{{priority}}" }""");
            Directory.SetLastWriteTimeUtc(path, arrival.AddMinutes(minute));
        }

        Add("low", "Low", 0);
        Add("medium-first", "Medium", 1);
        Add("critical", "Critical", 2);
        Add("medium-second", "Medium", 3);
        Add("high", "High", 4);

        await bed.RunUntilIdleAsync();

        Assert.Equal(["critical.txt", "high.txt", "medium-first.txt", "medium-second.txt", "low.txt"], bed.RequestedDocuments());
    }

    [Fact]
    public async Task BadDocuments_FailAloneWithAClearError_AndTheSetGoesOn()
    {
        using var bed = new WorkerTestBed();
        bed.Settings["AgentBatch:Worker:MaxDocumentBytes"] = "4000";
        bed.Settings["AgentBatch:MaxInputTokens"] = "300";
        var folder = bed.AddFolderSet("folder", new Dictionary<string, string>
        {
            ["good.txt"] = "A short, good document.",
            ["empty.txt"] = "",
            ["blank.txt"] = "  \n\t ",
            ["too-many-tokens.txt"] = string.Join(' ', Enumerable.Repeat("tokens", 450)),
            ["too-big.txt"] = new string('x', 5000),
        });
        File.WriteAllBytes(Path.Combine(folder, "image.png"), [0x89, 0x50, 0x4E, 0x47, 0x00, 0x00, 0x1A]);
        File.WriteAllBytes(Path.Combine(folder, "latin1.txt"), [0x63, 0x61, 0x66, 0xE9]);
        File.CreateSymbolicLink(Path.Combine(folder, "dangling.txt"), Path.Combine(folder, "missing.txt"));
        bed.AddJsonlSet("records", [
            WorkerTestBed.Record("ok", "Fine record."),
            "{ this is not json",
            """{ "name": "no-text" }""",
            WorkerTestBed.Record("empty-text", ""),
        ]);
        using (var jsonl = File.Open(Path.Combine(bed.Inbox, "records.jsonl"), FileMode.Append))
        {
            jsonl.Write("{\"name\":\"caf"u8);
            jsonl.WriteByte(0xE9);
            jsonl.Write("\",\"text\":\"latin-1\"}\n"u8);
            jsonl.Write(System.Text.Encoding.UTF8.GetBytes(WorkerTestBed.Record("after", "Still read.") + "\n"));
        }

        await bed.RunUntilIdleAsync();

        var folderResults = bed.Results("folder").ToDictionary(r => r.Name);
        Assert.Equal(8, folderResults.Count);
        Assert.Equal(BatchItemStatus.Succeeded, folderResults["good.txt"].Status);
        AssertFailed(folderResults["empty.txt"], "is empty");
        AssertFailed(folderResults["blank.txt"], "is empty");
        AssertFailed(folderResults["image.png"], "binary");
        AssertFailed(folderResults["latin1.txt"], "not UTF-8");
        AssertFailed(folderResults["too-big.txt"], "MaxDocumentBytes");
        AssertFailed(folderResults["dangling.txt"], "does not exist");
        AssertFailed(folderResults["too-many-tokens.txt"], "300");

        var records = bed.Results("records").ToDictionary(r => r.Key);
        Assert.Equal(BatchItemStatus.Succeeded, records["line:1"].Status);
        AssertFailed(records["line:2"], "not a JSON record");
        AssertFailed(records["line:3"], "no \"text\"");
        AssertFailed(records["line:4"], "is empty");
        AssertFailed(records["line:5"], "Line 5 is not UTF-8");
        Assert.Equal(BatchItemStatus.Succeeded, records["line:6"].Status);

        Assert.Equal(["after", "good.txt", "ok"], bed.RequestedDocuments().Order());
        var summary = bed.Summary("folder");
        Assert.Equal((8, 1, 7), (summary.Total, summary.Succeeded, summary.Failed));
    }

    [Fact]
    public async Task PathEscapes_AreRefused_AndNothingOutsideTheInboxIsRead()
    {
        using var bed = new WorkerTestBed();
        bed.Settings["AgentBatch:Worker:WriteDocumentFiles"] = "true";
        var outside = Path.Combine(bed.Root, "outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "secret.txt"), "TOP-SECRET-PAYROLL");

        var folder = bed.AddFolderSet("linked", new Dictionary<string, string> { ["good.txt"] = "good", ["sub/inner.txt"] = "inner" });
        File.CreateSymbolicLink(Path.Combine(folder, "passwd.txt"), Path.Combine(outside, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(folder, "escape-dir"), outside);
        File.CreateSymbolicLink(Path.Combine(folder, "via-dir.txt"), Path.Combine(folder, "escape-dir", "secret.txt"));
        File.CreateSymbolicLink(Path.Combine(folder, "alias.txt"), Path.Combine(folder, "sub", "inner.txt"));
        Directory.CreateSymbolicLink(Path.Combine(bed.Inbox, "linked-set"), outside);
        bed.AddJsonlSet("names", [
            WorkerTestBed.Record("fine/name", "ok"),
            WorkerTestBed.Record("../../escape", "payload"),
            WorkerTestBed.Record("/etc/cron.d/job", "payload"),
            WorkerTestBed.Record("a/../../b", "payload"),
            WorkerTestBed.Record("C:\\Windows\\x", "payload"),
        ]);

        await bed.RunUntilIdleAsync();

        var linked = bed.Results("linked").ToDictionary(r => r.Name);
        Assert.Equal(BatchItemStatus.Succeeded, linked["good.txt"].Status);
        Assert.Equal(BatchItemStatus.Succeeded, linked["alias.txt"].Status);
        AssertFailed(linked["passwd.txt"], "leads out of the set");
        AssertFailed(linked["via-dir.txt"], "leads out of the set");
        AssertFailed(linked["escape-dir"], "leads out of the set");

        var names = bed.Results("names").ToDictionary(r => r.Name);
        Assert.Equal(BatchItemStatus.Succeeded, names["fine/name"].Status);
        foreach (var escape in new[] { "../../escape", "/etc/cron.d/job", "a/../../b", "C:\\Windows\\x" })
        {
            AssertFailed(names[escape], "not a relative path inside the set");
        }

        Assert.DoesNotContain(bed.Server.Requests, r => r.RawBody.Contains("TOP-SECRET", StringComparison.Ordinal) || r.RawBody.Contains("payload", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(bed.Output, "linked-set")));
        Assert.Contains(bed.Logs.Lines, l => l.Contains("'linked-set' is a link that leads out of the inbox", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(bed.Output, "names", "documents", "fine", "name.txt")));
        Assert.Equal(["TOP-SECRET-PAYROLL"], Directory.EnumerateFiles(outside).Select(File.ReadAllText));
        Assert.Empty(Directory.EnumerateFiles(bed.Root, "*", SearchOption.TopDirectoryOnly));
    }

    [Fact]
    public async Task GracefulStop_FinishesAndRecordsDocumentsInFlight_TheRestRunOnTheNextStart()
    {
        using var release = new ManualResetEventSlim();
        using var bed = new WorkerTestBed(request =>
        {
            release.Wait(Eventually.Guard);
            return MockChatServer.EchoResponder(request);
        });
        bed.Settings["AgentBatch:MaxConcurrency"] = "2";
        bed.Settings["AgentBatch:Worker:ExitWhenIdle"] = "false";
        var documents = Enumerable.Range(1, 6).ToDictionary(i => $"doc{i}.txt", i => $"text {i}");
        bed.AddFolderSet("slow", documents);

        using (var host = bed.BuildHost())
        {
            await host.StartAsync();
            await Eventually.TrueAsync(() => bed.Server.ConcurrentRequests == 2, "two documents are in flight");

            // The worker has stopped taking documents when it logs that it is stopping; only then may the two finish.
            var stopping = bed.Logs.WhenLogged(1011);
            var stop = host.StopAsync();
            await stopping.WaitAsync(Eventually.Guard);
            release.Set();
            await stop.WaitAsync(Eventually.Guard);
        }

        var firstRun = bed.Results("slow");
        Assert.Equal(2, firstRun.Count);
        Assert.All(firstRun, r => Assert.Equal(BatchItemStatus.Succeeded, r.Status));
        Assert.Equal(2, bed.Server.RequestCount);
        Assert.False(File.Exists(Path.Combine(bed.Output, "slow", "summary.json")));
        Assert.True(Directory.Exists(Path.Combine(bed.Inbox, "slow")));

        bed.Settings["AgentBatch:Worker:ExitWhenIdle"] = "true";
        await bed.RunUntilIdleAsync();

        Assert.Equal(documents.Keys.Order(), bed.Results("slow").Select(r => r.Name).Order());
        Assert.Equal(documents.Keys.Order(), bed.RequestedDocuments().Order());
        Assert.Equal(6, bed.Summary("slow").Succeeded);
        Assert.Equal(firstRun.Select(r => r.Key), bed.Results("slow").Take(2).Select(r => r.Key));
    }

    [Fact]
    public async Task SetDroppedAgainUnderTheSameName_RunsAgainAsANewRun()
    {
        using var bed = new WorkerTestBed();
        bed.AddFolderSet("weekly", new Dictionary<string, string> { ["a.txt"] = "first week" });
        await bed.RunUntilIdleAsync();

        bed.AddFolderSet("weekly", new Dictionary<string, string> { ["a.txt"] = "second week", ["b.txt"] = "second week too" });
        await bed.RunUntilIdleAsync();

        Assert.Equal(["a.txt", "a.txt", "b.txt"], bed.RequestedDocuments().Order());
        Assert.Contains("second week", bed.Server.Requests[^1].LastUserText, StringComparison.Ordinal);
        Assert.Equal((1, 1), (bed.Summary("weekly").Run, bed.Results("weekly").Count));
        Assert.Equal((2, 2), (bed.Summary("weekly.run2").Run, bed.Results("weekly.run2").Count));
        Assert.True(Directory.Exists(Path.Combine(bed.Processed, "weekly")));
        Assert.True(Directory.Exists(Path.Combine(bed.Processed, "weekly.run2")));
    }

    [Fact]
    public async Task SetTakenOutUnfinished_AndAnotherDroppedUnderItsName_RunsInFull_NothingReusedFromTheOldRun()
    {
        using var bed = new WorkerTestBed();
        var database = Path.Combine(bed.Output, ".agentbatch", "checkpoints.db");
        var first = bed.AddFolderSet("daily", new Dictionary<string, string> { ["a.txt"] = "old a", ["b.txt"] = "old b" });
        using (var store = new SqliteCheckpointStore(database))
        {
            // The first set got as far as one recorded document, then was taken out of the inbox.
            var run = await store.OpenSetAsync("daily", "an-earlier-set");
            await store.RecordAsync(run, new DocumentResult { Name = "a.txt", Key = "a.txt", Status = BatchItemStatus.Succeeded, Output = JsonSerializer.SerializeToElement("old answer") });
        }

        Directory.Delete(first, recursive: true);
        bed.AddFolderSet("daily", new Dictionary<string, string> { ["a.txt"] = "new a", ["b.txt"] = "new b" });

        await bed.RunUntilIdleAsync();

        Assert.Equal(["a.txt", "b.txt"], bed.RequestedDocuments().Order());
        Assert.All(bed.Results("daily.run2"), r => Assert.StartsWith("Echo: Document: ", r.Output!.Value.GetString(), StringComparison.Ordinal));
        Assert.Contains("new a", bed.Results("daily.run2").Single(r => r.Key == "a.txt").Output!.Value.GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CrashAfterTheMoveBeforeArchiving_ThenANewSetUnderTheSameName_RunsInFull()
    {
        using var bed = new WorkerTestBed();
        bed.AddFolderSet("weekly", new Dictionary<string, string> { ["a.txt"] = "week one" });
        await bed.RunUntilIdleAsync();
        using (var store = new SqliteCheckpointStore(Path.Combine(bed.Output, ".agentbatch", "checkpoints.db")))
        {
            // As if the worker died between moving the set away and archiving its run (the store's first run).
            await store.SetStateAsync(new DocumentSetCheckpoint("1", "weekly", DocumentSetState.Archived, DateTimeOffset.UnixEpoch, 1), DocumentSetState.Completed);
        }

        bed.AddFolderSet("weekly", new Dictionary<string, string> { ["a.txt"] = "week two" });
        await bed.RunUntilIdleAsync();

        Assert.Equal(2, bed.Server.RequestCount);
        Assert.Contains("week two", bed.Server.Requests[^1].LastUserText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CrashAfterEveryDocumentWasRecorded_FinishesTheSetWithoutSendingAnything()
    {
        using var bed = new WorkerTestBed();
        bed.AddFolderSet("done", new Dictionary<string, string> { ["a.txt"] = "a", ["b.txt"] = "b" });
        var database = Path.Combine(bed.Output, ".agentbatch", "checkpoints.db");
        using (var store = new SqliteCheckpointStore(database))
        {
            var run = await store.OpenSetAsync("done");
            foreach (var key in new[] { "a.txt", "b.txt" })
            {
                await store.RecordAsync(run, new DocumentResult { Name = key, Key = key, Status = BatchItemStatus.Succeeded, Output = JsonSerializer.SerializeToElement("earlier") });
            }

            await store.SetStateAsync(run, DocumentSetState.Completed);
        }

        await bed.RunUntilIdleAsync();

        Assert.Equal(0, bed.Server.RequestCount);
        Assert.Equal(2, bed.Summary("done").Succeeded);
        Assert.All(bed.Results("done"), r => Assert.Equal("earlier", r.Output!.Value.GetString()));
        Assert.True(Directory.Exists(Path.Combine(bed.Processed, "done")));
    }

    [Fact]
    public async Task UnknownProfileOrBrokenManifest_FailsTheSetWithASummaryThatSaysWhy()
    {
        using var bed = new WorkerTestBed();
        bed.AddFolderSet("typo", new Dictionary<string, string> { ["a.txt"] = "a" }, """{ "profile": "sumarize" }""");
        bed.AddFolderSet("broken", new Dictionary<string, string> { ["a.txt"] = "a" }, "{ not json");

        await bed.RunUntilIdleAsync();

        Assert.Contains("'sumarize' is not configured", bed.Summary("typo").Error, StringComparison.Ordinal);
        Assert.Contains("set.json", bed.Summary("broken").Error, StringComparison.Ordinal);
        Assert.Equal(0, bed.Server.RequestCount);
        Assert.True(Directory.Exists(Path.Combine(bed.Processed, "typo")));
    }

    [Fact]
    public async Task TokenCap_HoldsPerSet_DocumentsPastItStayPending_ARaisedCapFinishesTheSetWithoutResending()
    {
        using var bed = new WorkerTestBed(request => MockChatReply.Answer("ok") with { PromptTokens = 100, CompletionTokens = 10 });
        bed.Settings["AgentBatch:MaxConcurrency"] = "1";
        bed.Settings["AgentBatch:MaxTotalTokens"] = "350";
        bed.Settings["AgentBatch:Worker:Profiles:default:MaxOutputTokens"] = "10";
        bed.AddFolderSet("capped", Enumerable.Range(1, 6).ToDictionary(i => $"d{i}.txt", i => "short"));
        bed.AddFolderSet("one-too-big", new Dictionary<string, string> { ["huge.txt"] = string.Join(' ', Enumerable.Repeat("word", 500)), ["small.txt"] = "short" });

        await bed.RunUntilIdleAsync();

        // A document whose call alone is above the whole cap fails alone; the set's other documents still run.
        var tooBig = bed.Results("one-too-big").ToDictionary(r => r.Name);
        Assert.Equal(BatchItemStatus.Failed, tooBig["huge.txt"].Status);
        Assert.Contains("can never be made", tooBig["huge.txt"].Error, StringComparison.Ordinal);
        Assert.Equal(BatchItemStatus.Succeeded, tooBig["small.txt"].Status);
        Assert.DoesNotContain(bed.Server.Requests, r => r.LastUserText.Contains("word word", StringComparison.Ordinal));

        // The cap pays for some documents; the others are not failed or skipped for good: they stay pending, and the set
        // stays in the inbox, unarchived, with the reason logged.
        var firstRun = bed.Results("capped");
        Assert.InRange(firstRun.Count, 1, 3);
        Assert.All(firstRun, r => Assert.Equal(BatchItemStatus.Succeeded, r.Status));
        Assert.True(firstRun.Sum(r => r.Usage!.TotalTokens) <= 350, $"{firstRun.Sum(r => r.Usage!.TotalTokens)} tokens used under a cap of 350");
        Assert.False(File.Exists(Path.Combine(bed.Output, "capped", "summary.json")));
        Assert.True(Directory.Exists(Path.Combine(bed.Inbox, "capped")));
        Assert.Contains(bed.Logs.Lines, l => l.Contains("Set 'capped' is not finished", StringComparison.Ordinal) && l.Contains("BudgetExhausted", StringComparison.Ordinal));
        var sentFirst = bed.RequestedDocuments().Where(d => d.StartsWith('d')).ToList();
        Assert.Equal(firstRun.Count, sentFirst.Count);

        // Raised, the cap still counts what the set spent before: the rest run, nothing recorded is sent again.
        bed.Settings["AgentBatch:MaxTotalTokens"] = "2000";
        await bed.RunUntilIdleAsync();

        var summary = bed.Summary("capped");
        Assert.Equal((6, 6), (summary.Total, summary.Succeeded));
        Assert.Equal(6, bed.RequestedDocuments().Count(d => d.StartsWith('d')));
        Assert.Equal(bed.RequestedDocuments().Where(d => d.StartsWith('d')).Order(), Enumerable.Range(1, 6).Select(i => $"d{i}.txt"));
    }

    [Fact]
    public async Task ApiKey_NeverReachesLogsResultsOrSummaries_AndARefusedKeyRecordsNothing()
    {
        const string key = "sk-live-DO-NOT-LEAK-4242";
        using var bed = new WorkerTestBed(_ => MockChatReply.Error(401, "Incorrect API key provided."));
        bed.ChatClient = BedChatClient.OpenAI;
        bed.Settings["AgentBatch:Endpoint"] = bed.Server.Endpoint.ToString();
        bed.Settings["AgentBatch:ApiKey"] = key;
        bed.Settings["AgentBatch:Worker:WriteCsv"] = "true";
        bed.AddFolderSet("secret", new Dictionary<string, string> { ["a.txt"] = "a", ["b.txt"] = "b" });

        await bed.RunUntilIdleAsync();

        // A refused key is not the documents' failure: none is recorded, and the set waits in the inbox.
        Assert.Empty(bed.ResultLines("secret"));
        Assert.InRange(bed.Server.RequestCount, 1, 2);
        Assert.True(Directory.Exists(Path.Combine(bed.Inbox, "secret")));
        var written = Directory.EnumerateFiles(bed.Output, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains(".agentbatch", StringComparison.Ordinal))
            .Select(File.ReadAllText);
        Assert.DoesNotContain(written.Append(bed.Logs.AllText), text => text.Contains("DO-NOT-LEAK", StringComparison.Ordinal));
        Assert.Contains(bed.Logs.Lines, l => l.Contains("Set 'secret' is not finished: 2 document(s) stay pending", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ApiKeyEchoedByTheEndpoint_IsRedactedFromResultsFilesTheCheckpointStoreAndLogs()
    {
        // A key of no recognisable shape, echoed in every error body: only the configured ApiKey says it is a secret.
        const string key = "live-DO-NOT-LEAK-4242-zz";
        using var bed = new WorkerTestBed(request => MockChatReply.Error(400, $"Request refused for key {request.ApiKey}."));
        bed.ChatClient = BedChatClient.OpenAI;
        bed.Settings["AgentBatch:Endpoint"] = bed.Server.Endpoint.ToString();
        bed.Settings["AgentBatch:ApiKey"] = key;
        bed.Settings["AgentBatch:Worker:WriteCsv"] = "true";
        bed.Settings["AgentBatch:Worker:WriteDocumentFiles"] = "true";
        bed.AddFolderSet("echo", new Dictionary<string, string> { ["a.txt"] = "a", ["b.txt"] = "b", ["c.txt"] = "c" });

        await bed.RunUntilIdleAsync();

        Assert.All(bed.Results("echo"), r => Assert.Equal(BatchItemStatus.Failed, r.Status));
        Assert.Contains(key, bed.Server.Requests[0].Headers["Authorization"], StringComparison.Ordinal);
        Assert.Contains("***", bed.Results("echo")[0].Error, StringComparison.Ordinal);
        var written = Directory.EnumerateFiles(bed.Output, "*", SearchOption.AllDirectories)
            .Select(f => System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(f)));
        Assert.DoesNotContain(written.Append(bed.Logs.AllText), text => text.Contains("DO-NOT-LEAK", StringComparison.Ordinal));
    }

    private static void AssertFailed(DocumentResult result, string expected)
    {
        Assert.Equal(BatchItemStatus.Failed, result.Status);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
        Assert.Equal(0, result.Attempts);
    }
}
