using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using Microsoft.Extensions.AI;

namespace AgentBatch.Benchmarks;

/// <summary>BenchmarkDotNet view of orchestration alone: clone + run + result bookkeeping per item, allocations included.</summary>
[MemoryDiagnoser]
[SimpleJob(RuntimeMoniker.Net10_0, launchCount: 1, warmupCount: 3, iterationCount: 8)]
public class OrchestrationBenchmarks
{
    private const int Items = 10_000;
    private readonly string[] _inputs = Enumerable.Range(0, Items).Select(i => $"Review {i}: fine.").ToArray();
    private readonly ChatAgent _answersAtOnce = new(new InstantChatClient(), new ChatAgentOptions { Instructions = "Classify." });
    private readonly ChatAgent _answersLater = new(new InstantChatClient(yields: true), new ChatAgentOptions { Instructions = "Classify." });
    private readonly BatchRunner _runner = new();

    [Params(false, true)]
    public bool Caps { get; set; }

    /// <summary>Gets or sets a value indicating whether the model answers after a thread-pool hop, as a network call does.</summary>
    [Params(false, true)]
    public bool Yields { get; set; }

    [Benchmark(OperationsPerInvoke = Items)]
    public async Task<int> RunBatch()
    {
        var options = new BatchOptions { MaxConcurrency = 32 };
        if (Caps)
        {
            options.MaxTotalTokens = 1_000_000_000_000_000;
        }

        var result = await _runner.RunBatchAsync(Yields ? _answersLater : _answersAtOnce, _inputs, static s => s, static r => r.Text, options);
        return result.SucceededCount;
    }
}
