using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using AgentBatch.Testing;
using Microsoft.Extensions.AI;

namespace AgentBatch.Tests.Checkpoints;

/// <summary>Resumable batches (<see cref="BatchCheckpoint{TItem}"/>): a rerun answers what was recorded from the store and sends only the rest.</summary>
public sealed class ResumeTests : IDisposable
{
    private readonly MockChatServer _server = MockChatServer.Start();
    private readonly MemoryCheckpointStore _store = new();

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task RunBatchAsync_RerunAfterARunThatWasStopped_SendsOnlyWhatWasNotRecorded_AndReturnsEveryItemInOrder()
    {
        using var stop = new CancellationTokenSource();
        var answered = 0;
        _server.Responder = request =>
        {
            // The first run is stopped (as a crash would stop it) once twelve items are answered.
            if (Interlocked.Increment(ref answered) == 12)
            {
                stop.Cancel();
            }

            return MockChatReply.Answer("A:" + request.LastUserText);
        };
        var items = Enumerable.Range(0, 40).Select(i => $"q{i:D2}").ToList();
        var checkpoint = new BatchCheckpoint<string>(_store, "run-1", item => item);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new BatchRunner().RunBatchAsync(Template(), items, s => s, r => r.Text, checkpoint, Options(), stop.Token));
        var recorded = _store.Keys("run-1");
        var sentFirst = _server.RequestCount;
        Assert.InRange(recorded.Count, 1, sentFirst);

        var result = await new BatchRunner().RunBatchAsync(Template(), items, s => s, r => r.Text, checkpoint, Options());

        Assert.Equal(items, result.Items.Cast<BatchItemResult<string, string>>().Select(i => i.Item));
        Assert.Equal(items.Select(i => "A:" + i), result.Outputs);
        Assert.Equal(Enumerable.Range(0, 40), result.Items.Select(i => i.Index));
        Assert.All(result.Items.Where(i => recorded.Contains(((BatchItemResult<string, string>)i).Item)), i => Assert.Equal(BatchNotSentReason.AlreadyRecorded, i.NotSentReason));
        var sentAgain = _server.Requests.Skip(sentFirst).Select(r => r.LastUserText).ToList();
        Assert.Empty(sentAgain.Intersect(recorded));
        Assert.Equal(40 - recorded.Count, sentAgain.Distinct().Count());
        Assert.Equal(40, _store.Keys("run-1").Count);
        Assert.Equal(BatchStopReason.Completed, result.StopReason);
    }

    [Fact]
    public async Task RunBatchAsync_OnlyFinalResultsAreRecorded_ARefusedKeyLeavesEveryItemToTheNextRun()
    {
        _server.Responder = request => request.ApiKey == "right" ? MockChatReply.Answer("ok") : MockChatReply.Error(401, "Incorrect API key provided.");
        var checkpoint = new BatchCheckpoint<string>(_store, "keyed", item => item);
        var items = Enumerable.Range(0, 20).Select(i => $"q{i}").ToList();

        var refused = await new BatchRunner().RunBatchAsync(new ChatAgent(Client("wrong")), items, s => s, r => r.Text, checkpoint, Options());
        var done = await new BatchRunner().RunBatchAsync(new ChatAgent(Client("right")), items, s => s, r => r.Text, checkpoint, Options());

        Assert.Equal(BatchStopReason.Faulted, refused.StopReason);
        Assert.Equal(20, done.SucceededCount);
        Assert.Equal(20, _server.Requests.Count(r => r.ApiKey == "right"));
    }

    [Fact]
    public async Task RunBatchAsync_ChangedInstructionsOrModel_StartFresh_ACapOrConcurrencyDoesNot()
    {
        _server.Responder = request => MockChatReply.Answer("A:" + request.LastUserText);
        var checkpoint = new BatchCheckpoint<string>(_store, "fresh", item => item);
        string[] items = ["a", "b", "c"];

        await new BatchRunner().RunBatchAsync(Template("Be brief."), items, s => s, r => r.Text, checkpoint, Options());
        await new BatchRunner().RunBatchAsync(Template("Be brief."), items, s => s, r => r.Text, checkpoint, new BatchOptions { MaxConcurrency = 1, MaxTotalTokens = 1_000_000 });
        Assert.Equal(3, _server.RequestCount);

        await new BatchRunner().RunBatchAsync(Template("Be thorough."), items, s => s, r => r.Text, checkpoint, Options());
        Assert.Equal(6, _server.RequestCount);

        await new BatchRunner().RunBatchAsync(new ChatAgent(_server.CreateChatClient("gpt-4o"), new ChatAgentOptions { Instructions = "Be thorough." }), items, s => s, r => r.Text, checkpoint, Options());
        Assert.Equal(9, _server.RequestCount);

        await new BatchRunner().RunBatchAsync(Template("Be thorough."), items, s => s, r => r.Text, new BatchCheckpoint<string>(_store, "fresh", item => item) { Fingerprint = "prompt v2" }, Options());
        Assert.Equal(12, _server.RequestCount);
    }

    [Fact]
    public async Task StreamBatchAsync_Rerun_YieldsEachItemOnce_RecordedOnesAtTheirIndex_ClonesAtTheirOwnIndex()
    {
        _server.Responder = request => MockChatReply.Answer("A:" + request.LastUserText);
        var checkpoint = new BatchCheckpoint<string>(_store, "stream", item => item);
        var items = Enumerable.Range(0, 30).Select(i => $"q{i:D2}").ToList();
        var cloned = new ConcurrentBag<int>();
        var template = new IndexRecordingAgent(Template(), cloned);

        // A first run over the even items only: a later run over all of them finds those recorded.
        await foreach (var _ in new BatchRunner().StreamBatchAsync(template, ToAsync(items.Where((_, i) => i % 2 == 0)), s => s, r => r.Text, checkpoint, Options()))
        {
        }

        cloned.Clear();
        var results = new List<BatchItemResult<string, string>>();
        await foreach (var result in new BatchRunner().StreamBatchAsync(template, ToAsync(items), s => s, r => r.Text, checkpoint, Options()))
        {
            results.Add(result);
        }

        Assert.Equal(Enumerable.Range(0, 30), results.Select(r => r.Index).Order());
        Assert.All(results, r => Assert.Equal(items[r.Index], r.Item));
        Assert.All(results, r => Assert.Equal("A:" + r.Item, r.Output));
        Assert.All(results.Where(r => r.Index % 2 == 0), r => Assert.Equal(BatchNotSentReason.AlreadyRecorded, r.NotSentReason));
        Assert.Equal(Enumerable.Range(0, 30).Where(i => i % 2 == 1), cloned.Order());
        Assert.Equal(30, _server.RequestCount);
    }

    [Fact]
    public async Task StreamBatchAsync_LeftEarly_WhatWasReadIsRecorded_TheRerunSendsNothingRecordedAgain()
    {
        _server.Responder = request => MockChatReply.Answer("A:" + request.LastUserText);
        var checkpoint = new BatchCheckpoint<string>(_store, "left", item => item);
        var items = Enumerable.Range(0, 30).Select(i => $"q{i:D2}").ToList();

        // The first run's reader leaves after five results, with calls in flight.
        var read = new List<string>();
        await foreach (var result in new BatchRunner().StreamBatchAsync(new ChatAgent(Client("first")), ToAsync(items), s => s, r => r.Text, checkpoint, Options()))
        {
            read.Add(result.Item);
            if (read.Count == 5)
            {
                break;
            }
        }

        var recorded = _store.Keys("left");
        var rerun = await new BatchRunner().RunBatchAsync(new ChatAgent(Client("second")), items, s => s, r => r.Text, checkpoint, Options());

        // Each key's requests say which run sent them, so a call of the first run still on its way is not counted as the rerun's.
        Assert.Subset(recorded, read.ToHashSet());
        Assert.Equal(items.Select(i => "A:" + i), rerun.Outputs);
        var sentAgain = _server.Requests.Where(r => r.ApiKey == "second").Select(r => r.LastUserText).ToList();
        Assert.Empty(sentAgain.Intersect(recorded));
        Assert.Equal(items.Count - recorded.Count, sentAgain.Count);
        Assert.Equal(items.Count, _store.Keys("left").Count);
    }

    [Fact]
    public async Task RunBatchAsync_AFailureOfTheItemsOwn_IsRecordedAndComesBackAsRecorded()
    {
        _server.Responder = request => request.LastUserText == "bad" ? MockChatReply.Error(400, "The prompt was filtered.") : MockChatReply.Answer("ok");
        var checkpoint = new BatchCheckpoint<string>(_store, "own", item => item);

        await new BatchRunner().RunBatchAsync(Template(), ["good", "bad"], s => s, r => r.Text, checkpoint, Options());
        var again = await new BatchRunner().RunBatchAsync(Template(), ["good", "bad"], s => s, r => r.Text, checkpoint, Options());

        Assert.Equal(2, _server.RequestCount);
        Assert.Equal(BatchItemStatus.Failed, again.Items[1].Status);
        Assert.Contains("400", Assert.IsType<RecordedFailureException>(again.Items[1].Error).Message, StringComparison.Ordinal);
        Assert.True(again.Items[1].IsFinal);
    }

    [Fact]
    public async Task RunBatchAsync_ProviderBatchLane_RerunSubmitsOnlyWhatWasNotRecorded()
    {
        var time = new AdvancingTimeProvider();
        using var server = MockChatServer.Start(request => MockChatReply.Answer("A:" + request.LastUserText), time);
        server.Batches.AutoAdvanceInterval = TimeSpan.FromMinutes(1);
        var template = new ChatAgent(server.CreateChatClient(), new ChatAgentOptions { Instructions = "Answer." });
        var checkpoint = new BatchCheckpoint<string>(_store, "lane", item => item);
        var lane = new BatchOptions { Execution = BatchExecution.ProviderBatch };
        var items = Enumerable.Range(0, 15).Select(i => $"q{i:D2}").ToList();

        var first = await new BatchRunner(null, time).RunBatchAsync(template, items.Take(10), s => s, r => r.Text, checkpoint, lane);
        var second = await new BatchRunner(null, time).RunBatchAsync(template, items, s => s, r => r.Text, checkpoint, lane);

        Assert.Equal(10, first.SucceededCount);
        Assert.Equal(items.Select(i => "A:" + i), second.Outputs);
        Assert.All(second.Items.Take(10), i => Assert.Equal(BatchNotSentReason.AlreadyRecorded, i.NotSentReason));
        Assert.All(second.Items.Skip(10), i => Assert.Equal((BatchItemStatus.Succeeded, true), (i.Status, i.WasSent)));
        Assert.Equal([10, 5], server.Batches.Created.Select(b => b.Succeeded));
        Assert.Equal(15, server.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_ProviderBatchLane_ABatchThatExpired_IsNotRecorded_AndTheRerunSendsItsItems()
    {
        var time = new AdvancingTimeProvider();
        using var server = MockChatServer.Start(request => MockChatReply.Answer("A:" + request.LastUserText), time);
        var template = new ChatAgent(server.CreateChatClient(), new ChatAgentOptions { Instructions = "Answer." });
        var checkpoint = new BatchCheckpoint<string>(_store, "expired", item => item);
        var lane = new BatchOptions { Execution = BatchExecution.ProviderBatch };
        var items = Enumerable.Range(0, 6).Select(i => $"q{i}").ToList();

        // The provider never runs the first batch: it expires at the end of its 24-hour window.
        server.Batches.AutoAdvanceInterval = null;
        var expired = await new BatchRunner(null, time).RunBatchAsync(template, items, s => s, r => r.Text, checkpoint, lane);
        var recordedAfterExpiry = _store.Keys("expired");
        server.Batches.AutoAdvanceInterval = TimeSpan.FromMinutes(1);
        var rerun = await new BatchRunner(null, time).RunBatchAsync(template, items, s => s, r => r.Text, checkpoint, lane);

        Assert.All(expired.Items, i =>
        {
            Assert.Equal(ProviderBatchOutcome.Expired, Assert.IsType<ProviderBatchItemException>(i.Error).Outcome);
            Assert.False(i.IsFinal);
        });
        Assert.Empty(recordedAfterExpiry);
        Assert.Equal(items.Count, _store.Keys("expired").Count);
        Assert.Equal(items.Select(i => "A:" + i), rerun.Outputs);
        Assert.All(rerun.Items, i => Assert.Equal(BatchNotSentReason.None, i.NotSentReason));
        Assert.Equal([MockBatchState.Expired, MockBatchState.Completed], server.Batches.Created.Select(b => b.State));
    }

    [Fact]
    public async Task Arguments_NullOrBadOptions_ThrowAtTheCall()
    {
        var checkpoint = new BatchCheckpoint<string>(_store, "args", item => item);

        Assert.Throws<ArgumentNullException>(() => new BatchCheckpoint<string>(null!, "run", s => s));
        Assert.Throws<ArgumentException>(() => new BatchCheckpoint<string>(_store, " ", s => s));
        await Assert.ThrowsAsync<ArgumentNullException>(() => new BatchRunner().RunBatchAsync(Template(), ["a"], s => s, r => r.Text, (BatchCheckpoint<string>)null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchRunner().StreamBatchAsync(Template(), ToAsync(["a"]), s => s, r => r.Text, checkpoint, new BatchOptions { MaxConcurrency = 0 }));
        Assert.Equal(0, _server.RequestCount);
    }

    private static BatchOptions Options() => new() { MaxConcurrency = 4, RetryBaseDelay = TimeSpan.FromMilliseconds(1) };

    private ChatAgent Template(string instructions = "Answer.") => new(_server.CreateChatClient(), new ChatAgentOptions { Instructions = instructions });

    private IChatClient Client(string key) =>
        new OpenAI.OpenAIClient(new System.ClientModel.ApiKeyCredential(key), new OpenAI.OpenAIClientOptions { Endpoint = _server.Endpoint, RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0) })
            .GetChatClient("gpt-4o-mini").AsBatchChatClient();

    private static async IAsyncEnumerable<string> ToAsync(IEnumerable<string> items)
    {
        foreach (var item in items)
        {
            await Task.Yield();
            yield return item;
        }
    }

    /// <summary>Records the index each clone is made for.</summary>
    private sealed class IndexRecordingAgent(IBatchAgent inner, ConcurrentBag<int> cloned) : IBatchAgent
    {
        public string Name => inner.Name;

        public IBatchAgent Clone(int index)
        {
            cloned.Add(index);
            return inner.Clone(index);
        }

        public Task<ChatResponse> RunAsync(IReadOnlyList<ChatMessage> input, CancellationToken cancellationToken = default) => inner.RunAsync(input, cancellationToken);
    }

    /// <summary>A checkpoint store in memory, for the runner's side of resuming; the real stores are tested in AgentBatch.Hosting.Tests.</summary>
    private sealed class MemoryCheckpointStore : IBatchCheckpointStore
    {
        private readonly ConcurrentDictionary<(string Run, string Fingerprint, string Item), BatchCheckpointEntry> _entries = new();

        public HashSet<string> Keys(string run) => _entries.Keys.Where(k => k.Run == run).Select(k => k.Item).ToHashSet();

        public async IAsyncEnumerable<BatchCheckpointEntry> ReadAsync(string runKey, string fingerprint, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            foreach (var ((run, print, _), entry) in _entries)
            {
                if (run == runKey && print == fingerprint)
                {
                    yield return entry;
                }
            }
        }

        public ValueTask RecordAsync(string runKey, string fingerprint, BatchCheckpointEntry entry, CancellationToken cancellationToken = default)
        {
            _entries.TryAdd((runKey, fingerprint, entry.ItemKey), entry);
            return ValueTask.CompletedTask;
        }
    }
}
