using AgentBatch.Testing;
using Microsoft.Extensions.AI;

namespace AgentBatch.Benchmarks;

/// <summary>Section 8: the same items live and through the provider batch lane, against one mock that speaks both.</summary>
public sealed partial class BenchmarkHarness
{
    private async Task ProviderBatchAsync(CancellationToken cancellationToken)
    {
        var count = _quick ? 200 : 1_000;
        var repetitions = _quick ? 2 : 5;
        _log.WriteLine(string.Create(Invariant, $"8. provider batch lane: {count} items live and as an OpenAI batch, against the mock's chat completions and Batch API, {repetitions} interleaved runs"));
        using var server = MockChatServer.Start(static request => MockChatReply.Answer(request.LastUserText.Length % 2 == 0 ? "positive" : "negative"));
        server.UsageTokenCounter = SharpTokenCounter.Default;

        // The mock moves a batch on every millisecond and the lane polls as often: what is left is the lane's own work
        // (recording each request, the JSONL file, upload, polls, download, reading each result) and the mock's.
        server.Batches.AutoAdvanceInterval = TimeSpan.FromMilliseconds(1);
        var template = new ChatAgent(server.CreateChatClient("gpt-4o-mini"), new ChatAgentOptions { Instructions = Instructions, ChatOptions = new ChatOptions { MaxOutputTokens = 16 } });
        var inputs = Inputs(count);
        var lane = new BatchOptions
        {
            Execution = BatchExecution.ProviderBatch,
            ProviderBatch = { PollInterval = TimeSpan.FromMilliseconds(1), MaxPollInterval = TimeSpan.FromMilliseconds(1) },
        };
        var live = new BatchOptions { MaxConcurrency = 32 };

        // Warm both paths up once.
        await new BatchRunner().RunBatchAsync(template, inputs.Take(50), static s => s, static r => r.Text, live, cancellationToken);
        await new BatchRunner().RunBatchAsync(template, inputs.Take(50), static s => s, static r => r.Text, lane, cancellationToken);

        var liveCosts = new List<RunCost>();
        var laneCosts = new List<RunCost>();
        decimal? liveCost = null;
        decimal? laneCost = null;
        for (var run = 0; run < repetitions; run++)
        {
            foreach (var batched in run % 2 == 0 ? new[] { false, true } : [true, false])
            {
                var meter = RunCost.Start();
                var result = await new BatchRunner().RunBatchAsync(template, inputs, static s => s, static r => r.Text, batched ? lane : live, cancellationToken);
                var cost = meter.Stop();
                Check(result.SucceededCount == count, "an item failed");
                (batched ? laneCosts : liveCosts).Add(cost);
                if (batched)
                {
                    laneCost = result.Cost;
                }
                else
                {
                    liveCost = result.Cost;
                }
            }
        }

        var ratio = (double)(laneCost!.Value / liveCost!.Value);
        _log.WriteLine(string.Create(Invariant, $"  cost at list prices: batch ${laneCost:F6}, live ${liveCost:F6}"));
        Add(
            string.Create(Invariant, $"provider batch lane: cost of the same {count:N0} items at gpt-4o-mini list prices (baseline: live calls)"),
            string.Create(Invariant, $"${laneCost:F6}"),
            string.Create(Invariant, $"${liveCost:F6}"),
            string.Create(Invariant, $"{ratio:F3}x"),
            "0.50x",
            Math.Abs(ratio - 0.5) < 0.0005);

        var laneCpu = Median(laneCosts.Select(c => c.CpuMs * 1000 / count));
        var liveCpu = Median(liveCosts.Select(c => c.CpuMs * 1000 / count));
        var laneBytes = Median(laneCosts.Select(c => (double)c.AllocatedBytes / count));
        var liveBytes = Median(liveCosts.Select(c => (double)c.AllocatedBytes / count));
        var laneWall = Median(laneCosts.Select(c => c.WallMs * 1000 / count));
        var liveWall = Median(liveCosts.Select(c => c.WallMs * 1000 / count));
        _log.WriteLine(string.Create(Invariant, $"  wall per item: batch {laneWall:F0} us, live {liveWall:F0} us (the mock's batch moving every ms)"));
        await LaneOrchestrationAsync(cancellationToken);
        Add(
            "provider batch lane: process CPU and bytes per item, record + submit + poll + collect, mock included (baseline: live calls through the same mock)",
            string.Create(Invariant, $"{laneCpu:F0} us, {laneBytes:F0} B"),
            string.Create(Invariant, $"{liveCpu:F0} us, {liveBytes:F0} B"),
            string.Create(Invariant, $"{laneCpu / liveCpu:F2}x"),
            "-",
            null);
    }

    /// <summary>The lane's own work per item, with no HTTP and no mock: an in-memory provider, against live calls to the in-memory model.</summary>
    private async Task LaneOrchestrationAsync(CancellationToken cancellationToken)
    {
        var count = _quick ? 5_000 : 50_000;
        var repetitions = _quick ? 2 : 5;
        var provider = new InstantBatchClient();
        var live = new ChatAgent(new InstantChatClient(yields: true), new ChatAgentOptions { Instructions = Instructions, ChatOptions = new ChatOptions { ModelId = "gpt-4o-mini" } });
        var lane = new BatchOptions
        {
            Execution = BatchExecution.ProviderBatch,
            ProviderBatch = { Client = provider, PollInterval = TimeSpan.FromMilliseconds(1), MaxPollInterval = TimeSpan.FromMilliseconds(1), MaxItemsInFlight = 50_000 },
        };
        var inputs = Inputs(count);
        await new BatchRunner().RunBatchAsync(live, inputs[..2000], static s => s, static r => r.Text, new BatchOptions { MaxConcurrency = 32 }, cancellationToken);
        await new BatchRunner().RunBatchAsync(live, inputs[..2000], static s => s, static r => r.Text, lane, cancellationToken);
        var laneCosts = new List<RunCost>();
        var liveCosts = new List<RunCost>();
        for (var run = 0; run < repetitions; run++)
        {
            foreach (var batched in run % 2 == 0 ? new[] { false, true } : [true, false])
            {
                var meter = RunCost.Start();
                var result = await new BatchRunner().RunBatchAsync(live, inputs, static s => s, static r => r.Text, batched ? lane : new BatchOptions { MaxConcurrency = 32 }, cancellationToken);
                (batched ? laneCosts : liveCosts).Add(meter.Stop());
                Check(result.SucceededCount == count, "an item failed");
            }
        }

        var laneCpu = Median(laneCosts.Select(c => c.CpuMs * 1000 / count));
        var liveCpu = Median(liveCosts.Select(c => c.CpuMs * 1000 / count));
        Add(
            string.Create(Invariant, $"provider batch lane: the lane's own CPU and bytes per item, in-memory provider, N={count} (baseline: live calls to the in-memory model answering asynchronously)"),
            string.Create(Invariant, $"{laneCpu:F1} us, {Median(laneCosts.Select(c => (double)c.AllocatedBytes / count)):F0} B"),
            string.Create(Invariant, $"{liveCpu:F1} us, {Median(liveCosts.Select(c => (double)c.AllocatedBytes / count)):F0} B"),
            string.Create(Invariant, $"+{laneCpu - liveCpu:F1} us"),
            "-",
            null);
    }
}
