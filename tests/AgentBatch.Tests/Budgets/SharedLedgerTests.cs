using System.Collections.Concurrent;
using AgentBatch.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace AgentBatch.Tests.Budgets;

/// <summary>Several batches in one process sharing one key's limits and one spend cap, through one <see cref="RateLedger"/> and one <see cref="SpendLedger"/>.</summary>
public sealed class SharedLedgerTests
{
    // Each call is estimated at 150 input + 100 output = 250 tokens and really uses 150 + 50 = 200.
    private const int InputTokens = 150;
    private const int MaxOutput = 100;
    private const int RealTokens = 200;

    [Fact]
    public async Task RateLedger_SharedByTwoBatchesAtOnce_PacesThemTogetherUnderOneLimit()
    {
        // A 1,000-token minute takes four calls' estimates, whichever batch makes them; each batch alone would take four.
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var provider = new MockTokenRateLimit(1000, time);
        var servedAt = new ConcurrentQueue<DateTimeOffset>();
        using var server = MockChatServer.Start(provider.Wrap(_ =>
        {
            servedAt.Enqueue(time.GetUtcNow());
            return MockChatReply.Answer("ok") with { PromptTokens = InputTokens, CompletionTokens = RealTokens - InputTokens };
        }));
        using var ledger = RateLedger.Create(tokensPerMinute: 1000, requestsPerMinute: null, time);
        var completed = 0;
        var waves = new Signals<int>();
        var progress = new InlineProgress(_ =>
        {
            var done = Interlocked.Increment(ref completed);
            if (done % 4 == 0)
            {
                waves.Set(done);
            }
        });
        var runner = new BatchRunner(null, time);
        Task<BatchResult<string>> Run(string name) => runner.RunBatchAsync(CreateTemplate(server), Enumerable.Range(0, 6).Select(i => $"{name}{i}"), s => s, r => r.Text, new BatchOptions
        {
            MaxConcurrency = 6,
            RateLedger = ledger,
            TokenCounter = new FixedTokenCounter(InputTokens),
            Progress = progress,
        });

        var batches = new[] { Run("a"), Run("b") };
        await waves.WaitAsync(4);
        Assert.Equal(4, server.RequestCount);
        time.Advance(TimeSpan.FromSeconds(61));
        await waves.WaitAsync(8);
        Assert.Equal(8, server.RequestCount);
        time.Advance(TimeSpan.FromSeconds(61));
        var results = await Task.WhenAll(batches).WaitAsync(Signals<int>.Guard);

        Assert.All(results, r => Assert.Equal(6, r.SucceededCount));
        Assert.Equal(0, provider.RejectedCount);
        Assert.All(servedAt.GroupBy(at => at), minute => Assert.InRange(minute.Count() * RealTokens, 1, 1000));
    }

    [Fact]
    public async Task RateLedger_OwnedByItsCaller_OutlivesTheBatchesThatUseIt()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var answered = 0;
        var requests = new Signals<int>();
        using var server = MockChatServer.Start(_ =>
        {
            requests.Set(Interlocked.Increment(ref answered));
            return MockChatReply.Answer("ok") with { PromptTokens = InputTokens, CompletionTokens = RealTokens - InputTokens };
        });
        using var ledger = RateLedger.Create(tokensPerMinute: null, requestsPerMinute: 3, time);
        var options = new BatchOptions { RateLedger = ledger, TokenCounter = new FixedTokenCounter(InputTokens) };
        var runner = new BatchRunner(null, time);

        var first = await runner.RunBatchAsync(CreateTemplate(server), ["a", "b"], s => s, r => r.Text, options);
        var second = runner.RunBatchAsync(CreateTemplate(server), ["c", "d"], s => s, r => r.Text, options);

        // One request of the minute is left after the first batch: the second batch's other request waits for the next minute.
        Assert.Equal(2, first.SucceededCount);
        await requests.WaitAsync(3);
        Assert.False(second.IsCompleted);
        Assert.False(requests.IsSet(4));
        time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(2, (await second.WaitAsync(Signals<int>.Guard)).SucceededCount);
        Assert.Equal(4, server.RequestCount);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(32)]
    public async Task SpendLedger_SharedByTwoBatchesAtOnce_TheirSpendTogetherNeverExceedsItsCap(int concurrency)
    {
        const long Cap = (RealTokens * 25) + 100;
        using var server = MockChatServer.Start(_ => MockChatReply.Answer("ok") with { PromptTokens = InputTokens, CompletionTokens = RealTokens - InputTokens });
        var ledger = SpendLedger.Create(Cap, maxCost: null);
        var runner = new BatchRunner();
        Task<BatchResult<string>> Run(string name) => runner.RunBatchAsync(CreateTemplate(server), Enumerable.Range(0, 40).Select(i => $"{name}{i}"), s => s, r => r.Text, new BatchOptions
        {
            MaxConcurrency = concurrency,
            SpendLedger = ledger,
            TokenCounter = new FixedTokenCounter(InputTokens),
        });

        var results = await Task.WhenAll(Run("a"), Run("b"));

        var spent = results.Sum(r => r.Usage.TotalTokenCount ?? 0);
        Assert.InRange(spent, 0, Cap);
        Assert.Equal(spent, ledger.SpentTokens);
        Assert.All(results, r => Assert.Equal(BatchStopReason.TokenLimitReached, r.StopReason));
        Assert.Equal(results.Sum(r => r.SucceededCount), server.RequestCount);

        // The cap pays for 25 calls at their real usage; together the batches use most of it.
        Assert.InRange(results.Sum(r => r.SucceededCount), 18, 25);
        Assert.All(results.SelectMany(r => r.Items).Where(i => i.Status == BatchItemStatus.Skipped), i => Assert.IsType<BudgetExceededException>(i.Error));
    }

    [Fact]
    public async Task SpendLedger_AcrossBatchesRunOneAfterTheOther_KeepsWhatTheFirstSpent()
    {
        using var server = MockChatServer.Start(_ => MockChatReply.Answer("ok") with { PromptTokens = InputTokens, CompletionTokens = RealTokens - InputTokens });
        var ledger = SpendLedger.Create((RealTokens * 4) + InputTokens + MaxOutput, maxCost: null);
        var options = new BatchOptions { SpendLedger = ledger, TokenCounter = new FixedTokenCounter(InputTokens), MaxConcurrency = 1 };

        var first = await new BatchRunner().RunBatchAsync(CreateTemplate(server), ["a", "b", "c"], s => s, r => r.Text, options);
        var second = await new BatchRunner().RunBatchAsync(CreateTemplate(server), ["d", "e", "f"], s => s, r => r.Text, options);

        Assert.Equal(3, first.SucceededCount);
        Assert.Equal(2, second.SucceededCount);
        Assert.Equal(BatchStopReason.TokenLimitReached, second.StopReason);
        Assert.Equal(RealTokens * 5, ledger.SpentTokens);
    }

    [Fact]
    public void Validate_LedgerWithTheLimitsItCarries_IsRefusedNamingBoth()
    {
        using var rate = RateLedger.Create(1000, null);
        var spend = SpendLedger.Create(1000, null);

        var spendError = Assert.Throws<ArgumentException>(new BatchOptions { SpendLedger = spend, MaxCost = 1m }.Validate);
        var rateError = Assert.Throws<ArgumentException>(new BatchOptions { RateLedger = rate, RequestsPerMinute = 60 }.Validate);

        Assert.Equal("SpendLedger", spendError.ParamName);
        Assert.StartsWith("SpendLedger carries its own caps; MaxCost = 1 contradicts it", spendError.Message, StringComparison.Ordinal);
        Assert.Equal("RateLedger", rateError.ParamName);
        Assert.StartsWith("RateLedger carries its own limits; RequestsPerMinute = 60 contradicts it", rateError.Message, StringComparison.Ordinal);
        new BatchOptions { SpendLedger = spend, RateLedger = rate }.Validate();
        Assert.Same(rate, new BatchOptions(new BatchOptions { RateLedger = rate }).RateLedger);
        Assert.Same(spend, new BatchOptions(new BatchOptions { SpendLedger = spend }).SpendLedger);
    }

    [Fact]
    public void Create_WithoutLimitsOrOutOfRange_Throws()
    {
        Assert.Throws<ArgumentException>(() => RateLedger.Create(null, null));
        Assert.Equal("tokensPerMinute", Assert.Throws<ArgumentOutOfRangeException>(() => RateLedger.Create(0, null)).ParamName);
        Assert.Equal("requestsPerMinute", Assert.Throws<ArgumentOutOfRangeException>(() => RateLedger.Create(null, -1)).ParamName);
        Assert.Throws<ArgumentException>(() => SpendLedger.Create(null, null));
        Assert.Equal("maxTotalTokens", Assert.Throws<ArgumentOutOfRangeException>(() => SpendLedger.Create(0, null)).ParamName);
        Assert.Equal("maxCost", Assert.Throws<ArgumentOutOfRangeException>(() => SpendLedger.Create(null, -0.01m)).ParamName);
    }

    private static ChatAgent CreateTemplate(MockChatServer server) =>
        new(server.CreateChatClient(), new ChatAgentOptions { ChatOptions = new ChatOptions { MaxOutputTokens = MaxOutput } });

    private sealed class InlineProgress(Action<BatchProgress> report) : IProgress<BatchProgress>
    {
        public void Report(BatchProgress value) => report(value);
    }
}
