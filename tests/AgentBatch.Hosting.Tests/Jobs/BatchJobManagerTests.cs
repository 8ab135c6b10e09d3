using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using AgentBatch.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace AgentBatch.Hosting.Tests;

public sealed class BatchJobManagerTests : IDisposable
{
    private readonly ManualResetEventSlim _release = new();
    private readonly ConcurrentDictionary<string, int> _calls = new();
    private readonly MockChatServer _server;

    public BatchJobManagerTests()
    {
        _server = MockChatServer.Start(request =>
        {
            var input = request.LastUserText;
            var call = _calls.AddOrUpdate(input, 1, (_, n) => n + 1);
            if (input.StartsWith("hold", StringComparison.Ordinal))
            {
                _release.Wait(Eventually.Guard);
            }

            return input switch
            {
                "flaky" when call <= 2 => MockChatReply.Error(400, "flaky input refused"),
                "broken" => MockChatReply.Error(400, "broken input refused"),
                _ => MockChatReply.Answer("answer to " + input) with { PromptTokens = 10, CompletionTokens = 5 },
            };
        });
    }

    [Fact]
    public async Task Tasks_StartHighestPriorityFirst_FirstSubmittedFirstWithinAPriority()
    {
        await using var manager = CreateManager();
        manager.Submit("low", new BatchTaskOptions { Priority = BatchPriority.Low });
        manager.Submit("medium-1");
        manager.Submit("critical", new BatchTaskOptions { Priority = BatchPriority.Critical });
        manager.Submit("medium-2", new BatchTaskOptions { Priority = BatchPriority.Medium });
        manager.Submit("high", new BatchTaskOptions { Priority = BatchPriority.High });

        manager.Start(new BatchJobStartOptions { MaxConcurrency = 1 });
        await manager.WaitForIdleAsync().WaitAsync(Eventually.Guard);

        Assert.Equal(["critical", "high", "medium-1", "medium-2", "low"], _server.Requests.Select(r => r.LastUserText));
        Assert.All(manager.GetTasks(), t => Assert.Equal(BatchTaskStatus.Completed, t.Status));
        Assert.Equal("answer to high", manager.GetTasks().Single(t => t.Input == "high").Output);
    }

    [Fact]
    public async Task FailedTask_IsQueuedAgainUpToItsMaxRetries_ThenFails()
    {
        await using var manager = CreateManager();
        var flaky = manager.Submit("flaky", new BatchTaskOptions { MaxRetries = 2 });
        var broken = manager.Submit("broken", new BatchTaskOptions { MaxRetries = 1 });
        var once = manager.Submit("no retries for me");

        manager.Start();
        await manager.WaitForIdleAsync().WaitAsync(Eventually.Guard);

        var flakyDone = manager.GetTask(flaky.Id)!;
        Assert.Equal((BatchTaskStatus.Completed, 3, 3), (flakyDone.Status, flakyDone.Runs, flakyDone.Attempts));
        Assert.Null(flakyDone.Error);
        var brokenDone = manager.GetTask(broken.Id)!;
        Assert.Equal((BatchTaskStatus.Failed, 2), (brokenDone.Status, brokenDone.Runs));
        Assert.Contains("broken input refused", brokenDone.Error, StringComparison.Ordinal);
        Assert.Equal((BatchTaskStatus.Completed, 1), (manager.GetTask(once.Id)!.Status, manager.GetTask(once.Id)!.Runs));
        Assert.Equal(2, _calls["broken"]);
    }

    [Fact]
    public async Task Cancel_AQueuedTask_ItNeverRuns_AFinishedOrUnknownOne_ReturnsFalse()
    {
        await using var manager = CreateManager();
        var keep = manager.Submit("keep");
        var drop = manager.Submit("drop");

        Assert.True(manager.Cancel(drop.Id));
        manager.Start();
        await manager.WaitForIdleAsync().WaitAsync(Eventually.Guard);

        Assert.Equal(BatchTaskStatus.Canceled, manager.GetTask(drop.Id)!.Status);
        Assert.Equal(["keep"], _server.Requests.Select(r => r.LastUserText));
        Assert.False(manager.Cancel(keep.Id));
        Assert.False(manager.Cancel(drop.Id));
        Assert.False(manager.Cancel("no-such-task"));
    }

    [Fact]
    public async Task Cancel_ARunningTask_StopsItAlone()
    {
        await using var manager = CreateManager();
        var held = manager.Submit("hold me");
        manager.Start(new BatchJobStartOptions { MaxConcurrency = 2 });
        await Eventually.TrueAsync(() => _server.ConcurrentRequests == 1, "the held task is at the server");

        Assert.True(manager.Cancel(held.Id));
        var other = manager.Submit("quick");
        await manager.WaitForIdleAsync().WaitAsync(Eventually.Guard);
        _release.Set();

        var canceled = manager.GetTask(held.Id)!;
        Assert.Equal(BatchTaskStatus.Canceled, canceled.Status);
        Assert.Contains("Canceled by request", canceled.Error, StringComparison.Ordinal);
        Assert.Equal(BatchTaskStatus.Completed, manager.GetTask(other.Id)!.Status);
        Assert.True(manager.IsRunning);
    }

    [Fact]
    public async Task GracefulStop_LetsRunningTasksFinish_LeavesTheRestQueued_AndAStartRunsThem()
    {
        await using var manager = CreateManager();
        await StartFiveWithTwoHeldAtTheServerAsync(manager);

        var stop = manager.StopAsync(BatchJobStopMode.Graceful);
        _release.Set();
        await stop.WaitAsync(Eventually.Guard);

        var status = manager.GetStatus();
        Assert.Equal((false, 2, 3, 0), (status.IsRunning, status.Completed, status.Queued, status.Running));
        Assert.Equal(2, _server.RequestCount);

        manager.Start();
        await manager.WaitForIdleAsync().WaitAsync(Eventually.Guard);
        Assert.Equal(5, manager.GetStatus().Completed);
        Assert.Equal(5, _server.RequestCount);
    }

    [Fact]
    public async Task ImmediateStop_CancelsRunningTasks_QueuedOnesStayQueued()
    {
        await using var manager = CreateManager();
        await StartFiveWithTwoHeldAtTheServerAsync(manager);

        await manager.StopAsync(BatchJobStopMode.Immediate).WaitAsync(Eventually.Guard);
        _release.Set();

        var status = manager.GetStatus();
        Assert.Equal((false, 0, 2, 3), (status.IsRunning, status.Completed, status.Canceled, status.Queued));
        Assert.All(manager.GetTasks(BatchTaskStatus.Canceled), t => Assert.Contains("immediate stop", t.Error, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Status_CountsProgressEstimatesTimeLeft_AndReportsExecutionTimes()
    {
        var time = new FakeTimeProvider();
        using var proceed = new SemaphoreSlim(0);
        using var server = MockChatServer.Start(request =>
        {
            proceed.Wait(Eventually.Guard);
            return MockChatReply.Answer("ok");
        });
        await using var manager = new BatchJobManager(new BatchRunner(null, time), new ChatAgent(server.CreateChatClient()), timeProvider: time);
        manager.SubmitMany(["a", "b", "c", "d"]);

        manager.Start(new BatchJobStartOptions { MaxConcurrency = 1 });
        for (var finished = 1; finished <= 2; finished++)
        {
            await Eventually.TrueAsync(() => server.RequestCount == finished, $"request {finished} is at the server");
            time.Advance(TimeSpan.FromSeconds(5));
            proceed.Release();
            await Eventually.TrueAsync(() => manager.GetStatus().Completed == finished, $"{finished} task(s) completed");
        }

        var status = manager.GetStatus();
        var completed = manager.GetTasks(BatchTaskStatus.Completed);
        proceed.Release(2);

        Assert.Equal((4, 2, 2, 50.0), (status.Total, status.Completed, status.Queued + status.Running, status.Percentage));
        Assert.Equal(TimeSpan.FromSeconds(10), status.Elapsed);
        Assert.Equal(TimeSpan.FromSeconds(10), status.EstimatedRemaining);
        Assert.Equal(TimeSpan.FromSeconds(5), status.AverageExecutionTime);
        Assert.Equal([TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5)], completed.Select(t => t.ExecutionTime));
        await manager.WaitForIdleAsync().WaitAsync(Eventually.Guard);
        Assert.Equal(100.0, manager.GetStatus().Percentage);
    }

    [Fact]
    public async Task Export_WritesTheTasksAsJsonOrCsv_FilteredByStatus_AndClearFinishedForgetsThem()
    {
        await using var manager = CreateManager();
        manager.Submit("one, with a comma", new BatchTaskOptions { Name = "first" });
        manager.Submit("=HYPERLINK(\"x\")");
        manager.Submit("broken");
        manager.Start();
        await manager.WaitForIdleAsync().WaitAsync(Eventually.Guard);
        await manager.StopAsync();
        manager.Submit("still queued");

        using var json = new MemoryStream();
        await manager.ExportAsync(json, BatchExportFormat.Json, BatchTaskStatus.Completed);
        var exported = JsonSerializer.Deserialize<List<BatchTaskInfo>>(json.ToArray(), WorkerTestBed.Json)!;
        Assert.Equal(["one, with a comma", "=HYPERLINK(\"x\")"], exported.Select(t => t.Input));
        Assert.Equal(("first", 10L, 5L), (exported[0].Name, exported[0].InputTokens, exported[0].OutputTokens));

        using var csv = new MemoryStream();
        await manager.ExportAsync(csv, BatchExportFormat.Csv);
        var rows = CsvReader.Parse(Encoding.UTF8.GetString(csv.ToArray()));
        Assert.Equal(["id", "name", "status", "priority", "input", "output", "error"], rows[0].Take(7));
        Assert.Equal(5, rows.Count);
        Assert.Equal(["one, with a comma", "answer to one, with a comma"], rows[1][4..6]);
        Assert.Equal("'=HYPERLINK(\"x\")", rows[2][4]);
        Assert.Equal("Failed", rows[3][2]);
        Assert.Contains("broken input refused", rows[3][6], StringComparison.Ordinal);
        Assert.Equal("Queued", rows[4][2]);

        Assert.Equal(3, manager.ClearFinished());
        Assert.Equal(["still queued"], manager.GetTasks().Select(t => t.Input));
    }

    [Fact]
    public async Task ConcurrentSubmitsCancelsAndStatusReads_AccountForEveryTaskExactlyOnce()
    {
        await using var manager = CreateManager();
        manager.Start(new BatchJobStartOptions { MaxConcurrency = 8 });
        var canceledByUs = new ConcurrentBag<string>();
        var snapshotsBroken = 0;
        using var reading = new CancellationTokenSource();

        var reader = Task.Run(() =>
        {
            var lastTotal = 0;
            while (!reading.IsCancellationRequested)
            {
                var status = manager.GetStatus();
                if (status.Total < lastTotal || status.Queued < 0 || status.Running < 0 || status.Running > 8)
                {
                    Interlocked.Increment(ref snapshotsBroken);
                }

                lastTotal = status.Total;
            }
        });
        var submitters = Enumerable.Range(0, 4).Select(s => Task.Run(() =>
        {
            for (var i = 0; i < 100; i++)
            {
                var task = manager.Submit($"task {s}-{i}");
                if (i % 3 == 0 && manager.Cancel(task.Id))
                {
                    canceledByUs.Add(task.Id);
                }
            }
        })).ToArray();

        await Task.WhenAll(submitters).WaitAsync(Eventually.Guard);
        await manager.WaitForIdleAsync().WaitAsync(Eventually.Guard);
        await reading.CancelAsync();
        await reader;

        var tasks = manager.GetTasks();
        Assert.Equal(0, snapshotsBroken);
        Assert.Equal(400, tasks.Count);
        Assert.Equal(400, tasks.Select(t => t.Id).Distinct().Count());
        Assert.All(tasks, t => Assert.True(t.Status is BatchTaskStatus.Completed or BatchTaskStatus.Canceled, $"{t.Id} is {t.Status}"));
        Assert.All(canceledByUs, id => Assert.Equal(BatchTaskStatus.Canceled, manager.GetTask(id)!.Status));
        Assert.All(tasks.Where(t => t.Status == BatchTaskStatus.Completed), t => Assert.Equal(1, _calls[t.Input]));

        // A task cancelled while starting may never reach the server; none reaches it twice.
        Assert.InRange(_server.RequestCount, tasks.Count(t => t.Status == BatchTaskStatus.Completed), tasks.Count(t => t.Runs > 0));
    }

    [Fact]
    public async Task EndpointFailingEveryCall_StopsTheRun_TasksItCouldNotStartStayQueued()
    {
        using var down = MockChatServer.Start(_ => MockChatReply.Error(500, "down"));
        await using var manager = new BatchJobManager(
            new BatchRunner(), new ChatAgent(down.CreateChatClient()), new BatchOptions { MaxAttempts = 1, AdaptiveConcurrency = false });
        manager.SubmitMany(Enumerable.Range(1, 60).Select(i => $"task {i}"));

        manager.Start(new BatchJobStartOptions { MaxConcurrency = 4 });
        await manager.WaitForIdleAsync().WaitAsync(Eventually.Guard);

        var status = manager.GetStatus();
        Assert.False(status.IsRunning);
        Assert.Equal(60, status.Failed + status.Queued);
        Assert.InRange(status.Queued, 1, 59);
        Assert.Contains("circuit", status.LastError, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(status.Failed, down.RequestCount);
        Assert.All(manager.GetTasks(BatchTaskStatus.Queued), t => Assert.Equal(0, t.Runs));
    }

    [Fact]
    public async Task TokenCapReached_StopsTheRun_TheRestStayQueuedForTheNextStart()
    {
        await using var manager = new BatchJobManager(
            new BatchRunner(), new ChatAgent(_server.CreateChatClient(), new ChatAgentOptions { ChatOptions = new ChatOptions { MaxOutputTokens = 5 } }),
            new BatchOptions { MaxTotalTokens = 40 });
        manager.SubmitMany(Enumerable.Range(1, 6).Select(i => $"t{i}"));

        manager.Start(new BatchJobStartOptions { MaxConcurrency = 1 });
        await manager.WaitForIdleAsync().WaitAsync(Eventually.Guard);

        var status = manager.GetStatus();
        Assert.False(status.IsRunning);
        Assert.Equal((2, 4), (status.Completed, status.Queued));
        Assert.Contains("token", status.LastError, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(2, _server.RequestCount);
    }

    [Fact]
    public async Task BadInput_IsRefusedWithAClearMessage_AndQueuesNothing()
    {
        await using var manager = CreateManager();
        manager.Submit("first", new BatchTaskOptions { Id = "report-1" });

        Assert.Contains("cannot be null, empty or white space", Assert.Throws<ArgumentException>(() => manager.Submit(" ")).Message, StringComparison.Ordinal);
        Assert.Contains("Input 1", Assert.Throws<ArgumentException>(() => manager.SubmitMany(["ok", ""])).Message, StringComparison.Ordinal);
        Assert.Contains("'report-1' already exists", Assert.Throws<ArgumentException>(() => manager.Submit("again", new BatchTaskOptions { Id = "report-1" })).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(nameof(BatchTaskOptions.MaxRetries), () => new BatchTaskOptions { MaxRetries = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(nameof(BatchJobStartOptions.MaxConcurrency), () => new BatchJobStartOptions { MaxConcurrency = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(nameof(BatchJobStartOptions.TaskTimeout), () => new BatchJobStartOptions { TaskTimeout = TimeSpan.Zero });
        Assert.Throws<ArgumentOutOfRangeException>(nameof(BatchOptions.MaxConcurrency), () => manager.Start(new BatchJobStartOptions { MaxConcurrency = 20_000 }));
        Assert.Single(manager.GetTasks());

        manager.Start();
        Assert.Throws<InvalidOperationException>(() => manager.Start());
    }

    [Fact]
    public async Task AddAgentBatchJobs_ResolvesAManagerThatRunsTasksOnTheRegisteredClient()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["AgentBatch:Model"] = "gpt-4o-mini" });
        builder.Services.AddSingleton<IChatClient>(_server.CreateChatClient());
        builder.Services.AddAgentBatchJobs();
        using var host = builder.Build();
        await host.StartAsync();
        var manager = host.Services.GetRequiredService<IBatchJobManager>();

        var task = manager.Submit("from DI");
        manager.Start();
        await manager.WaitForIdleAsync().WaitAsync(Eventually.Guard);

        Assert.Equal("answer to from DI", manager.GetTask(task.Id)!.Output);
        await host.StopAsync();
    }

    public void Dispose()
    {
        _release.Set();
        _server.Dispose();
        _release.Dispose();
    }

    private async Task StartFiveWithTwoHeldAtTheServerAsync(BatchJobManager manager)
    {
        manager.SubmitMany(Enumerable.Range(1, 5).Select(i => $"hold {i}"));
        manager.Start(new BatchJobStartOptions { MaxConcurrency = 2 });
        await Eventually.TrueAsync(() => _server.ConcurrentRequests == 2, "two tasks are at the server");
    }

    private BatchJobManager CreateManager() =>
        new(new BatchRunner(), new ChatAgent(_server.CreateChatClient()), new BatchOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(1) });
}
