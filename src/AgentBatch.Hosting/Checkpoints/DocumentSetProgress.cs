namespace AgentBatch.Hosting;

/// <summary>Where a run's documents stand in an <see cref="IDocumentLeaseStore"/>.</summary>
/// <param name="Pending">Documents without a result that may be leased now.</param>
/// <param name="Waiting">Documents without a result that were given back after a failure that was not theirs and wait for their retry time.</param>
/// <param name="Leased">Documents leased to a worker whose lease has not run out.</param>
/// <param name="Recorded">Documents with a recorded result.</param>
public sealed record DocumentSetProgress(int Pending, int Waiting, int Leased, int Recorded)
{
    /// <summary>Gets a value indicating whether every document has a recorded result.</summary>
    public bool IsComplete => Pending == 0 && Waiting == 0 && Leased == 0;
}
