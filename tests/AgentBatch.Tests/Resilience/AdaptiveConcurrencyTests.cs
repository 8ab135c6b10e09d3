using System.Collections.Concurrent;
using AgentBatch.Testing;
using Microsoft.Extensions.AI;
using Xunit.Abstractions;

namespace AgentBatch.Tests.Resilience;

/// <summary>Adaptive concurrency against an endpoint that rate-limits whenever more than a few requests are in flight.</summary>
public sealed class AdaptiveConcurrencyTests(ITestOutputHelper output) : IDisposable
{
    private const int ServerCapacity = 4;
    private const int ItemCount = 300;
    private readonly MockChatServer _server = MockChatServer.Start();
    private readonly ConcurrentQueue<(int Sequence, int InFlight, bool RateLimited)> _arrivals = new();

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task RunBatchAsync_TooHighMaxConcurrency_ConvergesToWhatTheServerAccepts()
    {
        var result = await RunAsync(adaptive: true, ItemCount);

        Assert.Equal(ItemCount, result.SucceededCount);
        Assert.Equal(_server.RequestCount, result.Items.Sum(i => i.Attempts));
        Assert.True(_server.RequestCount < 2 * ItemCount, $"{_server.RequestCount} requests for {ItemCount} items.");

        var arrivals = _arrivals.OrderBy(a => a.Sequence).ToList();
        var lastThird = arrivals.Skip(arrivals.Count * 2 / 3).ToList();
        var rejectedShare = lastThird.Count(a => a.RateLimited) / (double)lastThird.Count;
        var medianInFlight = lastThird.Select(a => a.InFlight).Order().ElementAt(lastThird.Count / 2);
        output.WriteLine($"requests {arrivals.Count}, 429 share in last third {rejectedShare:P0}, median in flight {medianInFlight}");

        // Started at 32 in flight against a server that takes 4: by the last third the window has come down to about 4.
        Assert.True(rejectedShare < 0.25, $"{rejectedShare:P0} of the last third of requests were rate-limited.");
        Assert.InRange(medianInFlight, 1, ServerCapacity + 1);
    }

    [Fact]
    public async Task RunBatchAsync_AdaptiveConcurrencyOff_KeepsGettingRateLimited()
    {
        // The control for the test above, on fewer items: the same server and options, adaptation off.
        var result = await RunAsync(adaptive: false, itemCount: 120);

        Assert.Equal(120, result.SucceededCount);
        var arrivals = _arrivals.OrderBy(a => a.Sequence).ToList();
        var lastThird = arrivals.Skip(arrivals.Count * 2 / 3).ToList();
        var rejectedShare = lastThird.Count(a => a.RateLimited) / (double)lastThird.Count;
        output.WriteLine($"requests {arrivals.Count}, 429 share in last third {rejectedShare:P0}");
        Assert.True(rejectedShare > 0.5, $"{rejectedShare:P0}");
    }

    private Task<BatchResult<string>> RunAsync(bool adaptive, int itemCount)
    {
        _server.Responder = request =>
        {
            var inFlight = _server.ConcurrentRequests;
            var limited = inFlight > ServerCapacity;
            _arrivals.Enqueue((request.Sequence, inFlight, limited));
            return limited
                ? MockChatReply.RateLimited(TimeSpan.FromMilliseconds(20))
                : MockChatReply.Answer("ok " + request.LastUserText) with { Delay = TimeSpan.FromMilliseconds(30) };
        };
        var options = new BatchOptions { MaxConcurrency = 32, MaxAttempts = 100, AdaptiveConcurrency = adaptive };
        var items = Enumerable.Range(0, itemCount).Select(i => $"item {i}");
        return new BatchRunner().RunBatchAsync(new ChatAgent(_server.CreateChatClient()), items, s => s, r => r.Text, options);
    }
}
