using System.Diagnostics.Metrics;
using AgentBatch.Internal;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using Microsoft.Extensions.AI;

namespace AgentBatch.Benchmarks;

/// <summary>What the <c>AgentBatch</c> meter costs one item, with no listener and with one listening to every instrument.</summary>
/// <remarks>Each benchmark runs in its own process, so the listener of one never reaches the other.</remarks>
[MemoryDiagnoser]
[SimpleJob(RuntimeMoniker.Net10_0, launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class TelemetryBenchmarks
{
    private static readonly UsageDetails Usage = new() { InputTokenCount = 42, OutputTokenCount = 1, TotalTokenCount = 43 };
    // Static: one benchmark per process, and a listener field would make the class disposable for no purpose.
    private static MeterListener? listener;
    private static long sink;

    [GlobalSetup(Target = nameof(ItemWithListener))]
    public void Listen()
    {
        listener = new MeterListener
        {
            InstrumentPublished = static (instrument, meterListener) =>
            {
                if (instrument.Meter.Name == "AgentBatch")
                {
                    meterListener.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>(static (_, value, _, _) => sink += value);
        listener.SetMeasurementEventCallback<double>(static (_, value, _, _) => sink += (long)value);
        listener.Start();
    }

    [GlobalCleanup]
    public void Stop() => listener?.Dispose();

    /// <summary>The meter's calls for one item, nobody listening: the default.</summary>
    [Benchmark(Baseline = true)]
    public void ItemWithoutListener() => RecordOneItem();

    /// <summary>The same calls with a listener on every instrument.</summary>
    [Benchmark]
    public void ItemWithListener() => RecordOneItem();

    private static void RecordOneItem()
    {
        AgentBatchMetrics.ItemsInFlight(1);
        AgentBatchMetrics.ItemCompleted(BatchItemStatus.Succeeded, TimeSpan.FromMilliseconds(3), Usage, 0.000012m);
        AgentBatchMetrics.ItemsInFlight(-1);
    }
}
