using AgentBatch.Testing;
using Microsoft.Extensions.AI;

namespace AgentBatch.Tests.ProviderBatches;

/// <summary>
/// A run that stops after submitting, and a later run with the same store and run id: it re-attaches to the recorded
/// batches, reads the results that finished meanwhile, and submits nothing recorded again. (A real process killed and
/// restarted is tested with the hosted worker, in AgentBatch.Hosting.Tests.)
/// </summary>
public sealed class ProviderBatchResumeTests : IDisposable
{
    private readonly AdvancingTimeProvider _time = new();
    private readonly MockChatServer _server;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "agentbatch-resume-" + Guid.NewGuid().ToString("N"));

    public ProviderBatchResumeTests()
    {
        _server = MockChatServer.Start(request => MockChatReply.Answer("answer to " + request.LastUserText) with { PromptTokens = 12, CompletionTokens = 3 }, _time);
    }

    private string StorePath => Path.Combine(_folder, "batches.jsonl");

    public void Dispose()
    {
        _server.Dispose();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task RunBatchAsync_StoppedAfterSubmittingThenRunAgain_ReattachesReadsWhatFinishedAndSubmitsNothingAgain()
    {
        var items = Enumerable.Range(0, 40).Select(i => $"question {i}").ToArray();
        var first = Recorder();
        _time.Hold();
        using (var cts = new CancellationTokenSource())
        using (var store = new FileProviderBatchStore(StorePath))
        {
            var run = Runner().RunBatchAsync(Template(), items, q => q, r => r.Text, Lane(first, store, p => p.MaxRequestsPerBatch = 15), cts.Token);
            await first.WaitForSubmissionsAsync(3);
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        }

        // While no run waits, the provider finishes two of the batches; the third is still running.
        var submitted = first.Submitted.ToArray();
        _server.Batches.Complete(submitted[0]);
        _server.Batches.Complete(submitted[1]);
        _time.Release();
        _server.Batches.AutoAdvanceInterval = TimeSpan.FromMinutes(1);
        var second = Recorder();
        BatchResult<string> result;
        using (var store = new FileProviderBatchStore(StorePath))
        {
            result = await Runner().RunBatchAsync(Template(), items, q => q, r => r.Text, Lane(second, store));
        }

        Assert.Equal(items.Select(q => "answer to " + q), result.Outputs);
        Assert.All(result.Items, i => Assert.Equal((BatchItemStatus.Succeeded, 1), (i.Status, i.Attempts)));
        Assert.Empty(second.Submissions);
        Assert.Equal(3, _server.Batches.Created.Count);
        Assert.Equal(items.Length, _server.RequestCount);
        Assert.Equal(items.Order(), _server.Requests.Select(r => r.LastUserText).Order());
        Assert.InRange(second.Polls, 3, 1_000);
    }

    [Fact]
    public async Task RunBatchAsync_StoppedBetweenCreatingABatchAndSavingItsId_TheRestartFindsItByItsMetadata()
    {
        var items = Enumerable.Range(0, 10).Select(i => $"question {i}").ToArray();
        var first = Recorder();
        _time.Hold();
        using (var cts = new CancellationTokenSource())
        using (var inner = new FileProviderBatchStore(StorePath))
        {
            // The id never reaches the store: the run stops in between.
            var store = new StoreThatNeverSavesTheId(inner);
            var run = Runner().RunBatchAsync(Template(), items, q => q, r => r.Text, Lane(first, store), cts.Token);
            await first.WaitForSubmissionsAsync(1);
            await store.IdReached.Task.WaitAsync(Signals<int>.Guard);
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        }

        _time.Release();
        _server.Batches.CompleteAll();
        var second = Recorder();
        BatchResult<string> result;
        using (var store = new FileProviderBatchStore(StorePath))
        {
            Assert.Null(Assert.Single(await store.ReadAsync("run-1").ToListAsync()).BatchId);
            result = await Runner().RunBatchAsync(Template(), items, q => q, r => r.Text, Lane(second, store));
            Assert.Equal(first.Submitted.Single(), Assert.Single(await store.ReadAsync("run-1").ToListAsync()).BatchId);
        }

        Assert.Equal(items.Select(q => "answer to " + q), result.Outputs);
        Assert.Empty(second.Submissions);
        Assert.Equal(1, second.Finds);
        Assert.Single(_server.Batches.Created);
        Assert.Equal(items.Length, _server.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_RunAgainWithOtherItems_SubmitsOnlyTheCallsNoRecordedBatchHolds()
    {
        _server.Batches.AutoAdvanceInterval = TimeSpan.FromMinutes(1);
        string[] before = ["question 0", "question 1", "question 2"];
        string[] after = ["question 1", "question 9", "question 2", "question 1"];
        using var store = new FileProviderBatchStore(StorePath);

        await Runner().RunBatchAsync(Template(), before, q => q, r => r.Text, Lane(Recorder(), store));
        var second = Recorder();
        var result = await Runner().RunBatchAsync(Template(), after, q => q, r => r.Text, Lane(second, store));

        Assert.Equal(after.Select(q => "answer to " + q), result.Outputs);

        // "question 1" and "question 2" are answered from the first batch; the second "question 1" finds no unclaimed
        // recorded request left, so it goes out with "question 9".
        var resubmitted = Assert.Single(second.Submissions);
        Assert.Equal(2, resubmitted.Requests.Count);
        Assert.Equal(2, _server.Batches.Created.Count);
    }

    [Fact]
    public async Task RunBatchAsync_StoreFailsToSaveTheBatchId_TheCreatedBatchIsStillReadAndNothingIsSubmittedTwice()
    {
        _server.Batches.AutoAdvanceInterval = TimeSpan.FromMinutes(1);
        var items = Enumerable.Range(0, 10).Select(i => $"question {i}").ToArray();
        using var inner = new FileProviderBatchStore(StorePath);
        var recorder = Recorder();

        var result = await Runner().RunBatchAsync(Template(), items, q => q, r => r.Text, Lane(recorder, new StoreThatFailsToSaveTheId(inner), p => p.ResubmitFailed = true));

        // The batch exists at the provider and is paid for: its answers are read, not thrown away and bought again.
        Assert.Equal(items.Select(q => "answer to " + q), result.Outputs);
        Assert.Single(recorder.Submissions);
        Assert.Single(_server.Batches.Created);
        Assert.Equal(items.Length, _server.RequestCount);
    }

    [Fact]
    public async Task FileProviderBatchStore_LineCutShortByACrash_IsIgnoredAndTheNextWriteStartsOnANewLine()
    {
        using var store = new FileProviderBatchStore(StorePath);
        var record = new ProviderBatchRecord("k1", "OpenAI", _time.GetUtcNow(), [new ProviderBatchRecordedRequest("i0-1", "abc")]);
        await store.AddAsync("run", record);
        await File.AppendAllTextAsync(StorePath, """{"run":"run","key":"k1","batchI""");

        await store.SetBatchIdAsync("run", "k1", "batch_1");
        var read = Assert.Single(await store.ReadAsync("run").ToListAsync());

        Assert.Equal(("k1", "batch_1", "abc"), (read.Key, read.BatchId, read.Requests[0].RequestKey));
        Assert.Empty(await store.ReadAsync("other run").ToListAsync());
        Assert.DoesNotContain("answer", await File.ReadAllTextAsync(StorePath), StringComparison.Ordinal);
    }

    private BatchRunner Runner() => new(null, _time);

    private ChatAgent Template() => new(_server.CreateChatClient(), new ChatAgentOptions { Instructions = "Be brief.", ChatOptions = new ChatOptions { MaxOutputTokens = 20 } });

    private RecordingBatchClient Recorder() => new(new OpenAIProviderBatchClient(_server.CreateOpenAIClient()));

    private static BatchOptions Lane(RecordingBatchClient client, IProviderBatchStore store, Action<ProviderBatchOptions>? configure = null)
    {
        var options = new BatchOptions { Execution = BatchExecution.ProviderBatch, ProviderBatch = { Client = client, Store = store, RunId = "run-1" } };
        configure?.Invoke(options.ProviderBatch);
        return options;
    }

    /// <summary>A store whose batch-id write fails, as a full disk would make it.</summary>
    private sealed class StoreThatFailsToSaveTheId(IProviderBatchStore inner) : IProviderBatchStore
    {
        public IAsyncEnumerable<ProviderBatchRecord> ReadAsync(string runId, CancellationToken cancellationToken = default) => inner.ReadAsync(runId, cancellationToken);

        public Task AddAsync(string runId, ProviderBatchRecord record, CancellationToken cancellationToken = default) => inner.AddAsync(runId, record, cancellationToken);

        public Task SetBatchIdAsync(string runId, string key, string batchId, CancellationToken cancellationToken = default) =>
            throw new IOException("No space left on device.");
    }

    /// <summary>A store whose batch-id write never finishes, as if the process died right after the provider created the batch.</summary>
    private sealed class StoreThatNeverSavesTheId(IProviderBatchStore inner) : IProviderBatchStore
    {
        public TaskCompletionSource IdReached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IAsyncEnumerable<ProviderBatchRecord> ReadAsync(string runId, CancellationToken cancellationToken = default) => inner.ReadAsync(runId, cancellationToken);

        public Task AddAsync(string runId, ProviderBatchRecord record, CancellationToken cancellationToken = default) => inner.AddAsync(runId, record, cancellationToken);

        public Task SetBatchIdAsync(string runId, string key, string batchId, CancellationToken cancellationToken = default)
        {
            IdReached.TrySetResult();
            return Task.CompletedTask;
        }
    }
}
