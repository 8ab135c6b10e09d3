using System.Diagnostics;

namespace AgentBatch.Benchmarks;

/// <summary>What one run cost the process: wall-clock time, CPU time (all threads, the in-process server's too) and bytes allocated.</summary>
/// <param name="WallMs">Wall-clock milliseconds.</param>
/// <param name="CpuMs">Process CPU milliseconds, user and kernel, over every thread.</param>
/// <param name="AllocatedBytes">Bytes allocated by every thread of the process.</param>
internal readonly record struct RunCost(double WallMs, double CpuMs, long AllocatedBytes)
{
    /// <summary>Starts measuring a run.</summary>
    public static Meter Start() => new(Stopwatch.GetTimestamp(), Environment.CpuUsage.TotalTime, GC.GetTotalAllocatedBytes(precise: true));

    /// <summary>The readings at the start of a run.</summary>
    internal readonly record struct Meter(long Timestamp, TimeSpan Cpu, long Allocated)
    {
        /// <summary>Ends the run and returns what it cost.</summary>
        public RunCost Stop() => new(
            Stopwatch.GetElapsedTime(Timestamp).TotalMilliseconds,
            (Environment.CpuUsage.TotalTime - Cpu).TotalMilliseconds,
            GC.GetTotalAllocatedBytes(precise: true) - Allocated);
    }
}
