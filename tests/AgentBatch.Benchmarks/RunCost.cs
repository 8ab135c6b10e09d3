using System.Diagnostics;

namespace AgentBatch.Benchmarks;

/// <summary>What one run cost the process: wall-clock time, CPU time (all threads, the in-process server's too) and bytes allocated.</summary>
/// <param name="WallMs">Wall-clock milliseconds.</param>
/// <param name="CpuMs">Process CPU milliseconds, user and kernel, over every thread.</param>
/// <param name="UserCpuMs">The user-mode part of <paramref name="CpuMs"/>: the kernel part is mostly the loopback network, the same for both contenders.</param>
/// <param name="AllocatedBytes">Bytes allocated by every thread of the process.</param>
internal readonly record struct RunCost(double WallMs, double CpuMs, double UserCpuMs, long AllocatedBytes)
{
    /// <summary>Starts measuring a run.</summary>
    public static Meter Start()
    {
        var cpu = Environment.CpuUsage;
        return new(Stopwatch.GetTimestamp(), cpu.TotalTime, cpu.UserTime, GC.GetTotalAllocatedBytes(precise: true));
    }

    /// <summary>The readings at the start of a run.</summary>
    internal readonly record struct Meter(long Timestamp, TimeSpan Cpu, TimeSpan UserCpu, long Allocated)
    {
        /// <summary>Ends the run and returns what it cost.</summary>
        public RunCost Stop()
        {
            var wall = Stopwatch.GetElapsedTime(Timestamp);
            var cpu = Environment.CpuUsage;
            return new(
                wall.TotalMilliseconds,
                (cpu.TotalTime - Cpu).TotalMilliseconds,
                (cpu.UserTime - UserCpu).TotalMilliseconds,
                GC.GetTotalAllocatedBytes(precise: true) - Allocated);
        }
    }
}
