using System.Text.Json;
using AgentBatch.Testing;
using Microsoft.Extensions.AI;

namespace AgentBatch.Tests.ProviderBatches;

/// <summary>
/// The provider batch lane through the real OpenAI client (its file and batch clients) against the mock's Batch API, on
/// a clock that moves when the lane waits: every poll's answer is exact, and nothing sleeps.
/// </summary>
public sealed class OpenAIProviderBatchTests : IDisposable
{
    private readonly AdvancingTimeProvider _time = new();
    private readonly MockChatServer _server;

    public OpenAIProviderBatchTests()
    {
        _server = MockChatServer.Start(Answer, _time);
        _server.Batches.AutoAdvanceInterval = TimeSpan.FromMinutes(1);
    }

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task RunBatchAsync_ProviderBatch_1000Items_InInputOrderAtHalfTheLivePrice()
    {
        var items = Enumerable.Range(0, 1000).Select(i => $"question {i}").ToArray();

        var batched = await Runner().RunBatchAsync(Template(), items, q => q, r => r.Text, Lane());
        var batchRequests = _server.RequestCount;
        // Live calls on the system clock: the test clock would run their attempt timeouts out at once.
        var live = await new BatchRunner().RunBatchAsync(Template(), items, q => q, r => r.Text, new BatchOptions { MaxConcurrency = 32 });

        Assert.True(batched.Items.All(i => i.IsSuccess), string.Join("\n", batched.Items.Where(i => !i.IsSuccess).Take(3).Select(i => i.ToString() + " " + i.Error)));
        Assert.Equal(items.Select(q => "answer to " + q), batched.Outputs);
        Assert.Equal(live.Outputs, batched.Outputs);
        Assert.All(batched.Items, item => Assert.Equal((BatchItemStatus.Succeeded, 1, true), (item.Status, item.Attempts, item.WasSent)));
        Assert.Equal(BatchStopReason.Completed, batched.StopReason);
        Assert.Equal(live.Usage.TotalTokenCount, batched.Usage.TotalTokenCount);
        Assert.Equal(0.5m, batched.Cost / live.Cost);
        Assert.Equal(live.Items.Select(i => i.Cost / 2), batched.Items.Select(i => i.Cost));

        var batch = Assert.Single(_server.Batches.Created);
        Assert.Equal((MockBatchState.Completed, 1000), (batch.State, batch.Succeeded));
        Assert.Equal(1000, batchRequests);
        Assert.NotEqual(batch.CustomIds, batch.ResultOrder);
        Assert.True(batch.Metadata.ContainsKey("agentbatch_submission"));
    }

    [Fact]
    public async Task RunBatchAsync_ProviderBatch_EachLineIsTheRequestALiveCallSends()
    {
        var options = new ChatAgentOptions { Instructions = "Be brief.", ChatOptions = new ChatOptions { MaxOutputTokens = 40, Temperature = 0.2f } };
        options.InitialMessages.Add(new ChatMessage(ChatRole.User, "example"));
        options.InitialMessages.Add(new ChatMessage(ChatRole.Assistant, "answer to example"));
        var template = Template(options);

        await Runner().RunBatchAsync(template, ["question 1"], q => q, r => r.Text, Lane());
        var batched = _server.Requests.Single();
        _server.ResetRecording();
        await new BatchRunner().RunBatchAsync(template, ["question 1"], q => q, r => r.Text);
        var live = _server.Requests.Single();

        Assert.Equal(Normalized(live.RawBody), Normalized(batched.RawBody));
        Assert.NotNull(batched.BatchId);
        var line = JsonDocument.Parse(Assert.Single(_server.Batches.Files, f => f.Purpose == "batch").Lines.Single()).RootElement;
        Assert.Equal("POST", line.GetProperty("method").GetString());
        Assert.Equal("/v1/chat/completions", line.GetProperty("url").GetString());
        Assert.Equal(batched.CustomId, line.GetProperty("custom_id").GetString());
    }

    [Fact]
    public async Task RunBatchAsync_ProviderBatch_TypedOutput_AsksForTheSchemaAndReadsTheReply()
    {
        _server.Responder = request => MockChatReply.Answer($$"""{"city":"{{request.LastUserText}}","score":3}""");

        var result = await Runner().RunBatchAsync(Template(), ["Paris", "Oslo"], q => q, BatchOutput.Json<CityScore>(), Lane());

        Assert.Equal([new CityScore("Paris", 3), new CityScore("Oslo", 3)], result.Outputs);
        Assert.All(_server.Requests, r => Assert.Contains("\"json_schema\"", r.RawBody, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunBatchAsync_ProviderBatch_ChunkSplitBySize_EveryFileUnderTheLimitAndEveryItemAnsweredOnce()
    {
        const long Limit = 20_000;
        _server.Batches.MaxOpenAIFileBytes = Limit;
        var client = new OpenAIProviderBatchClient(_server.CreateOpenAIClient(), new OpenAIProviderBatchOptions { MaxBytesPerBatch = Limit });
        var items = Enumerable.Range(0, 120).Select(i => $"question {i} {new string('x', 200)}").ToArray();

        var result = await Runner().RunBatchAsync(Template(), items, q => q, r => r.Text, Lane(p => p.Client = client));

        Assert.Equal(items.Select(q => "answer to " + q), result.Outputs);
        var inputs = _server.Batches.Files.Where(f => f.Purpose == "batch").ToList();
        Assert.InRange(inputs.Count, 3, 10);
        Assert.All(inputs, file => Assert.InRange(file.Bytes, 1, Limit));
        Assert.Equal(items.Length, inputs.Sum(f => f.Lines.Count));
        Assert.All(_server.Batches.Created, b => Assert.Equal(MockBatchState.Completed, b.State));
        Assert.Equal(items.Length, _server.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_ProviderBatch_ChunkSplitByRequests_UnderMaxRequestsPerBatch()
    {
        var items = Enumerable.Range(0, 110).Select(i => $"question {i}").ToArray();

        var result = await Runner().RunBatchAsync(Template(), items, q => q, r => r.Text, Lane(p => p.MaxRequestsPerBatch = 25));

        Assert.Equal(items.Select(q => "answer to " + q), result.Outputs);
        Assert.Equal([25, 25, 25, 25, 10], _server.Batches.Created.Select(b => b.RequestCount).OrderDescending());
    }

    [Fact]
    public async Task RunBatchAsync_ProviderBatch_MixedSucceededErroredAndExpiredLines_EachItemGetsItsOwnOutcome()
    {
        _server.Batches.AutoAdvanceInterval = null;
        _server.Responder = request => request.LastUserText switch
        {
            "question 2" => MockChatReply.Error(400, "This request is not valid."),
            "question 5" => MockChatReply.Error(500, "The server had an error."),
            _ => Answer(request),
        };
        var recorder = Recorder();
        var items = Enumerable.Range(0, 10).Select(i => $"question {i}").ToArray();
        _time.Hold();

        var run = Runner().RunBatchAsync(Template(), items, q => q, r => r.Text, Lane(p => p.Client = recorder));
        await recorder.WaitForSubmissionsAsync(1);
        var expired = _server.Batches.Expire(recorder.Submitted.Single(), afterLines: 7);
        _time.Release();
        var result = await run;

        var expiredItems = expired.ResultOrder.Skip(7).Select(IndexOf).ToHashSet();
        Assert.Equal(3, expiredItems.Count);
        foreach (var item in result.Items)
        {
            if (expiredItems.Contains(item.Index))
            {
                var error = Assert.IsType<ProviderBatchItemException>(item.Error);
                Assert.Equal((BatchItemStatus.Failed, ProviderBatchOutcome.Expired, ProviderBatchState.Expired), (item.Status, error.Outcome, error.BatchState));
                Assert.Equal(0m, item.Cost);
            }
            else if (item.Index is 2 or 5)
            {
                Assert.Equal(BatchItemStatus.Failed, item.Status);
                Assert.Equal(item.Index == 2 ? 400 : 500, Assert.IsType<System.ClientModel.ClientResultException>(item.Error).Status);
            }
            else
            {
                Assert.Equal(("answer to " + items[item.Index], BatchItemStatus.Succeeded), (item.Output, item.Status));
            }
        }

        Assert.Equal(1, result.Items.Sum(i => i.Attempts) / items.Length);
        Assert.Equal(7, _server.RequestCount);
        Assert.Single(_server.Batches.Created);
    }

    [Fact]
    public async Task RunBatchAsync_ProviderBatch_ResubmitFailed_TransientAndExpiredGoInTheNextBatch_BoundedByMaxAttempts()
    {
        _server.Responder = request => request.LastUserText == "question 3"
            ? MockChatReply.Error(503, "overloaded")
            : request.LastUserText == "question 1" && request.BatchId is { } id && _server.Batches.Created[0].Id == id
                ? MockChatReply.Error(500, "flaky once")
                : Answer(request);
        var items = Enumerable.Range(0, 6).Select(i => $"question {i}").ToArray();

        var result = await Runner().RunBatchAsync(Template(), items, q => q, r => r.Text, new BatchOptions
        {
            Execution = BatchExecution.ProviderBatch,
            MaxAttempts = 3,
            ProviderBatch = { ResubmitFailed = true },
        });

        Assert.Equal(("answer to question 1", 2), (result.Items[1].Output, result.Items[1].Attempts));
        Assert.Equal((BatchItemStatus.Failed, 3), (result.Items[3].Status, result.Items[3].Attempts));
        Assert.All(result.Items.Where(i => i.Index is not 1 and not 3), i => Assert.Equal((BatchItemStatus.Succeeded, 1), (i.Status, i.Attempts)));
        Assert.Equal([6, 2, 1], _server.Batches.Created.Select(b => b.RequestCount));
    }

    [Fact]
    public async Task RunBatchAsync_ProviderBatch_CapsRefuseItemsBeforeUpload_OnlyWhatFitsIsInTheFile()
    {
        var items = Enumerable.Range(0, 100).Select(i => $"question {i}").ToArray();

        var result = await Runner().RunBatchAsync(Template(), items, q => q, r => r.Text, Lane(configure: null, maxTotalTokens: 1_000));

        var uploaded = Assert.Single(_server.Batches.Files, f => f.Purpose == "batch").Lines.Count;
        Assert.InRange(uploaded, 5, 20);
        Assert.Equal(BatchStopReason.TokenLimitReached, result.StopReason);
        Assert.All(result.Items.Take(uploaded), i => Assert.Equal(BatchItemStatus.Succeeded, i.Status));
        Assert.All(result.Items.Skip(uploaded), i =>
        {
            Assert.Equal((BatchItemStatus.Skipped, BatchNotSentReason.BudgetExhausted), (i.Status, i.NotSentReason));
            Assert.IsType<BudgetExceededException>(i.Error);
        });
        Assert.InRange(result.Usage.TotalTokenCount!.Value, 1, 1_000);
        Assert.Equal(uploaded, _server.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_ProviderBatch_EveryLineCarriesAnOutputLimit_TheDefaultWhenTheTemplateSetsNone()
    {
        var unlimited = new ChatAgent(_server.CreateChatClient(), new ChatAgentOptions { Instructions = "Be brief." });
        var limited = Template();

        await Runner().RunBatchAsync(unlimited, ["q1", "q2"], q => q, r => r.Text, Lane(configure: null, maxTotalTokens: 100_000));
        await Runner().RunBatchAsync(unlimited, ["q3"], q => q, r => r.Text, Lane());
        await Runner().RunBatchAsync(limited, ["q4"], q => q, r => r.Text, Lane());

        Assert.Equal([1024, 1024, 1024, 50], _server.Requests.OrderBy(r => r.LastUserText).Select(r => r.MaxTokens));
    }

    [Fact]
    public async Task RunBatchAsync_ProviderBatch_CustomAgentThatStreams_ItsCallsGoInTheBatchUnderTheCapsAndReadWholeReplies()
    {
        var items = Enumerable.Range(0, 100).Select(i => $"question {i}").ToArray();
        var template = new StreamingAgent(StreamingAgent.Wire(_server.CreateChatClient()), new ChatOptions { MaxOutputTokens = 50 });

        var result = await Runner().RunBatchAsync(template, items, q => q, r => r.Text, Lane(configure: null, maxTotalTokens: 1_000));

        // The stream is the batched reply's updates: no live request, no streamed line, the caps applied before upload.
        var file = Assert.Single(_server.Batches.Files, f => f.Purpose == "batch");
        var uploaded = file.Lines.Count;
        Assert.InRange(uploaded, 5, 20);
        Assert.All(_server.Requests, r => Assert.Equal((Assert.Single(_server.Batches.Created).Id, false), (r.BatchId, r.IsStreaming)));
        Assert.Equal(BatchStopReason.TokenLimitReached, result.StopReason);
        Assert.Equal(items.Take(uploaded).Select(q => "answer to " + q), result.Items.Take(uploaded).Select(i => i.Output));
        Assert.All(result.Items.Take(uploaded), i => Assert.Equal((BatchItemStatus.Succeeded, 1), (i.Status, i.Attempts)));
        Assert.All(result.Items.Skip(uploaded), i => Assert.Equal((BatchItemStatus.Skipped, BatchNotSentReason.BudgetExhausted), (i.Status, i.NotSentReason)));
        Assert.InRange(result.Usage.TotalTokenCount!.Value, 1, 1_000);
    }

    [Fact]
    public async Task RunBatchAsync_ProviderBatch_Grouped_EachGroupIsOneLineAndEveryAnswerMapsBackToItsItem()
    {
        _server.Responder = request => MockChatReply.AnswerEach(request, input => "A:" + input) with { PromptTokens = 100, CompletionTokens = 40 };
        var items = Enumerable.Range(0, 10).Select(i => $"item-{i}").ToList();

        var result = await Runner().RunBatchAsync(Template(), items, q => q, r => r.Text, new BatchOptions
        {
            Execution = BatchExecution.ProviderBatch,
            MaxItemsPerRequest = 4,
            Pricing = new ModelPricing(1000m, 1000m),
        });

        Assert.Equal(items.Select(i => "A:" + i), result.Outputs);
        var batch = Assert.Single(_server.Batches.Created);
        Assert.Equal(3, batch.Succeeded);
        Assert.Equal([2, 4, 4], _server.Requests.Select(r => r.GroupedItems.Count).Order());
        Assert.Equal((300L, 120L), (result.Usage.InputTokenCount!.Value, result.Usage.OutputTokenCount!.Value));
        Assert.Equal(0.21m, result.Cost);
        Assert.Equal(result.Cost, result.Items.Sum(i => i.Cost));
    }

    [Fact]
    public async Task RunBatchAsync_ProviderBatch_InputMapThrowsForOneItem_ThatItemFailsAloneAndTheOthersGoInTheBatch()
    {
        var items = Enumerable.Range(0, 10).Select(i => $"question {i}").ToArray();

        var result = await Runner().RunBatchAsync(
            Template(), items, q => q == "question 4" ? throw new FormatException("not a question") : q, r => r.Text, Lane());

        Assert.Equal((BatchItemStatus.Failed, BatchNotSentReason.FailedBeforeSending), (result.Items[4].Status, result.Items[4].NotSentReason));
        Assert.IsType<FormatException>(result.Items[4].Error);
        Assert.Equal(items.Select(q => q == "question 4" ? null : "answer to " + q), result.Items.Select(i => i.Output));
        Assert.Equal(9, Assert.Single(_server.Batches.Created).Succeeded);
        Assert.Equal(BatchStopReason.Completed, result.StopReason);
    }

    [Fact]
    public async Task RunBatchAsync_ProviderBatch_MaxCostIsReservedAtBatchPrices_TwiceAsManyItemsFitAsAtTheFullPrice()
    {
        var items = Enumerable.Range(0, 200).Select(i => $"question {i}").ToArray();
        var pricing = new ModelPricing(1_000m, 1_000m);

        var halfPrice = await Runner().RunBatchAsync(Template(), items, q => q, r => r.Text, new BatchOptions { Execution = BatchExecution.ProviderBatch, Pricing = pricing, MaxCost = 2m });
        var admittedAtHalfPrice = _server.RequestCount;
        _server.ResetRecording();
        var fullPrice = await Runner().RunBatchAsync(Template(), items, q => q, r => r.Text, new BatchOptions
        {
            Execution = BatchExecution.ProviderBatch,
            Pricing = pricing with { ProviderBatchRate = 1m },
            MaxCost = 2m,
        });

        Assert.Equal((BatchStopReason.CostLimitReached, BatchStopReason.CostLimitReached), (halfPrice.StopReason, fullPrice.StopReason));
        Assert.InRange(admittedAtHalfPrice, (2 * _server.RequestCount) - 1, (2 * _server.RequestCount) + 1);
        Assert.Equal(halfPrice.SucceededCount, admittedAtHalfPrice);
        Assert.Equal(halfPrice.Items.Where(i => i.IsSuccess).Sum(i => i.Usage!.TotalTokenCount) * 500m / 1_000_000m, halfPrice.Cost);
        Assert.InRange(halfPrice.Cost!.Value, 0.01m, 2m);
    }

    [Fact]
    public async Task RunBatchAsync_ProviderBatch_CallerCancels_StopsWaitingAndWithTheOptionCancelsTheProviderBatch()
    {
        foreach (var cancelAtProvider in new[] { false, true })
        {
            var recorder = Recorder();
            _time.Hold();
            using var cts = new CancellationTokenSource();

            var run = Runner().RunBatchAsync(Template(), ["a", "b", "c"], q => q, r => r.Text, Lane(p =>
            {
                p.Client = recorder;
                p.CancelOnCancellation = cancelAtProvider;
            }), cts.Token);
            await recorder.WaitForSubmissionsAsync(1);
            await cts.CancelAsync();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
            _time.Release();
            var batch = _server.Batches.Get(recorder.Submitted.Single());
            Assert.Equal(cancelAtProvider ? 1 : 0, batch.CancelCount);
            Assert.Equal(cancelAtProvider ? MockBatchState.Cancelling : MockBatchState.Validating, batch.State);
        }

        Assert.Equal(0, _server.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_ProviderBatch_ToolRoundTrips_EachRoundInTheNextBatch_BoundedByMaxTurns()
    {
        _server.Responder = request => request.ToolResultCount == 0 || request.LastUserText.StartsWith("loop", StringComparison.Ordinal)
            ? MockChatReply.CallTools(new MockToolCall("get_weather", $$"""{"city":"{{request.LastUserText}}"}"""))
            : MockChatReply.Answer("sunny in " + request.LastUserText);
        var calls = 0;
        var weather = AIFunctionFactory.Create((string city) => { Interlocked.Increment(ref calls); return $"{city}: 21C"; }, "get_weather");
        var template = Template(new ChatAgentOptions { ChatOptions = new ChatOptions { Tools = [weather], MaxOutputTokens = 50 }, MaxTurns = 3 });
        string[] items = ["Paris", "Oslo", "loop"];

        var result = await Runner().RunBatchAsync(template, items, q => q, r => r.Text, Lane());

        Assert.Equal(["sunny in Paris", "sunny in Oslo"], result.Outputs.Take(2));
        Assert.Equal([2, 2, 3], result.Items.Select(i => i.Attempts));
        Assert.IsType<MaxTurnsExceededException>(result.Items[2].Error);
        Assert.Equal([3, 3, 1], _server.Batches.Created.Select(b => b.RequestCount));
        Assert.Equal(1 + 1 + 3, calls);
        var second = _server.Requests.Where(r => r.BatchId == _server.Batches.Created[1].Id && r.LastUserText == "Paris").Single();
        Assert.Equal(["user", "assistant", "tool"], second.Messages.Select(m => m.Role));
    }

    [Fact]
    public async Task RunBatchAsync_ProviderBatch_Progress_ReportsTheProvidersCountsAndAnEta()
    {
        _server.Batches.AutoAdvanceInterval = null;
        var reports = new List<BatchProgress>();
        var recorder = Recorder();
        var items = Enumerable.Range(0, 10).Select(i => $"question {i}").ToArray();
        _time.Hold();

        var run = Runner().RunBatchAsync(Template(), items, q => q, r => r.Text, new BatchOptions
        {
            Execution = BatchExecution.ProviderBatch,
            Progress = new SynchronousProgress(p => { lock (reports) { reports.Add(p); } }),
            ProviderBatch = { Client = recorder },
        });
        await recorder.WaitForSubmissionsAsync(1);
        var id = recorder.Submitted.Single();
        _server.Batches.Process(id, 4);
        _time.Release();
        await WaitUntilAsync(() => _server.Batches.Get(id).PollCount >= 1);
        _server.Batches.Complete(id);
        await run;

        BatchProgress[] seen;
        lock (reports)
        {
            seen = [.. reports];
        }

        var partway = seen.FirstOrDefault(p => p.ProviderBatch is { Done: 4 });
        Assert.True(partway is not null, string.Join("\n", seen.Select(p => p + " | " + p.ProviderBatch)));
        Assert.Equal((1, 10, 0), (partway.ProviderBatch!.Batches, partway.ProviderBatch.Requests, partway.Completed));
        Assert.Equal(partway.ProviderBatch.Elapsed * 6 / 4, partway.EstimatedRemaining);
        Assert.Equal(10, seen[^1].Completed);
    }

    [Fact]
    public async Task StreamBatchAsync_ProviderBatch_YieldsEachBatchsItemsAsThatBatchEnds()
    {
        var items = Enumerable.Range(0, 30).Select(i => $"question {i}").ToArray();
        var seen = new List<(int Index, int Batches)>();

        // A later batch's requests run only once the reader has had every earlier batch's items, so the batches whose
        // requests had run when the reader reads an item say when that item came, not how fast this machine is. (Counted
        // here, not read from the mock, whose lock a waiting batch holds.)
        using var firstTenRead = new ManualResetEventSlim();
        using var firstTwentyRead = new ManualResetEventSlim();
        var answered = 0;
        _server.Responder = request =>
        {
            var index = int.Parse(request.LastUserText["question ".Length..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True((index < 10 || firstTenRead.Wait(Signals<int>.Guard)) && (index < 20 || firstTwentyRead.Wait(Signals<int>.Guard)));
            Interlocked.Increment(ref answered);
            return Answer(request);
        };

        await foreach (var item in Runner().StreamBatchAsync(Template(), items.ToAsyncEnumerable(), q => q, r => r.Text, Lane(p =>
        {
            p.MaxRequestsPerBatch = 10;
            p.MaxItemsInFlight = 10;
        })))
        {
            Assert.Equal("answer to " + item.Item, item.Output);
            seen.Add((item.Index, Volatile.Read(ref answered) / 10));
            if (seen.Count == 10)
            {
                firstTenRead.Set();
            }
            else if (seen.Count == 20)
            {
                firstTwentyRead.Set();
            }
        }

        Assert.Equal(Enumerable.Range(0, 30), seen.Select(s => s.Index).Order());
        Assert.Equal([1, 2, 3], seen.Select(s => s.Batches).Distinct().Order());
        Assert.Equal(Enumerable.Repeat(1, 10).Concat(Enumerable.Repeat(2, 10)).Concat(Enumerable.Repeat(3, 10)), seen.Select(s => s.Batches));
        Assert.Equal(3, _server.Batches.Created.Count);
        Assert.All(_server.Batches.Created, b => Assert.Equal(MockBatchState.Completed, b.State));
    }

    [Fact]
    public async Task RunBatchAsync_ProviderBatch_ClientWithoutABatchApi_FailsEveryItemSayingHowToAddOne()
    {
        var plain = _server.CreateOpenAIClient().GetChatClient("gpt-4o-mini").AsBatchChatClient();

        var result = await Runner().RunBatchAsync(new ChatAgent(plain), ["a", "b"], q => q, r => r.Text, Lane());

        Assert.All(result.Items, i =>
        {
            Assert.Equal((BatchItemStatus.Failed, false), (i.Status, i.WasSent));
            Assert.Contains("AsBatchChatClient(model)", i.Error!.Message, StringComparison.Ordinal);
        });
        Assert.Equal(0, _server.RequestCount);
    }

    [Fact]
    public void Validate_ProviderBatchWithSequentialOrBadPolling_IsRefusedNamingTheSetting()
    {
        var sequential = new BatchOptions { Execution = BatchExecution.ProviderBatch, Sequential = true };
        var polling = new BatchOptions { ProviderBatch = { PollInterval = TimeSpan.FromMinutes(10), MaxPollInterval = TimeSpan.FromMinutes(1) } };
        var zero = new BatchOptions { ProviderBatch = { MaxItemsInFlight = 0 } };
        var store = new BatchOptions { ProviderBatch = { Store = new FileProviderBatchStore(Path.Combine(Path.GetTempPath(), "unused.jsonl")) } };

        Assert.Contains("Execution = ProviderBatch", Assert.Throws<ArgumentException>(sequential.Validate).Message, StringComparison.Ordinal);
        Assert.Equal("ProviderBatch.MaxPollInterval", Assert.Throws<ArgumentException>(polling.Validate).ParamName);
        Assert.Equal("ProviderBatch.MaxItemsInFlight", Assert.Throws<ArgumentOutOfRangeException>(zero.Validate).ParamName);
        Assert.Equal("ProviderBatch.RunId", Assert.Throws<ArgumentException>(store.Validate).ParamName);
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static MockChatReply Answer(MockChatRequest request) =>
        MockChatReply.Answer("answer to " + request.LastUserText) with { PromptTokens = 20 + (request.LastUserText.Length % 7), CompletionTokens = 5 };

    private BatchRunner Runner() => new(null, _time);

    private ChatAgent Template(ChatAgentOptions? options = null) =>
        new(_server.CreateChatClient(), options ?? new ChatAgentOptions { Instructions = "Be brief.", ChatOptions = new ChatOptions { MaxOutputTokens = 50 } });

    private static BatchOptions Lane(Action<ProviderBatchOptions>? configure = null, long? maxTotalTokens = null)
    {
        var options = new BatchOptions { Execution = BatchExecution.ProviderBatch, MaxTotalTokens = maxTotalTokens };
        configure?.Invoke(options.ProviderBatch);
        return options;
    }

    private RecordingBatchClient Recorder() => new(new OpenAIProviderBatchClient(_server.CreateOpenAIClient()));

    /// <summary>The item a custom id is for: AgentBatch writes <c>i{index}-{n}</c>.</summary>
    private static int IndexOf(string customId) => int.Parse(customId[1..customId.IndexOf('-', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Waits for a condition the mock's lifecycle makes true (a poll answered: the mock counts it as it answers), checking each millisecond; the guard keeps a broken test from hanging.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var guard = new CancellationTokenSource(Signals<int>.Guard);
        while (!condition())
        {
            await Task.Delay(1, guard.Token);
        }
    }

    private sealed class SynchronousProgress(Action<BatchProgress> report) : IProgress<BatchProgress>
    {
        public void Report(BatchProgress value) => report(value);
    }

    /// <summary>A request body with its keys in order, to compare two bodies written by the same client.</summary>
    private static string Normalized(string body) => JsonSerializer.Serialize(JsonDocument.Parse(body).RootElement);

    public sealed record CityScore(string City, int Score);
}
