namespace AgentBatch;

/// <summary>What the provider reports of the batches a run is waiting for: their requests, how many have ended, and when the rest should.</summary>
/// <remarks>Part of <see cref="BatchProgress"/> (<see cref="BatchProgress.ProviderBatch"/>) in the provider batch lane, reported after each poll.</remarks>
public sealed class ProviderBatchProgress
{
    internal ProviderBatchProgress(int batches, int requests, int done, int failed, TimeSpan elapsed)
    {
        Batches = batches;
        Requests = requests;
        Done = done;
        Failed = failed;
        Elapsed = elapsed;
    }

    /// <summary>Gets the number of provider batches submitted and not yet answered.</summary>
    public int Batches { get; }

    /// <summary>Gets the number of requests in those batches.</summary>
    public int Requests { get; }

    /// <summary>Gets the number of those requests the provider has ended, however they ended.</summary>
    public int Done { get; }

    /// <summary>Gets the number of those requests that errored, expired or were cancelled.</summary>
    public int Failed { get; }

    /// <summary>Gets the time since the oldest of those batches was submitted.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Gets when the rest of the requests should end, from the provider's pace so far, or <see langword="null"/> before the first has ended.</summary>
    public TimeSpan? EstimatedRemaining =>
        Done > 0 && Requests > 0
            ? TimeSpan.FromTicks((long)((double)Elapsed.Ticks / Done * Math.Max(0, Requests - Done)))
            : null;

    /// <inheritdoc />
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Batches} provider batch(es): {Done}/{Requests} requests done, {Failed} failed");
}
