namespace AgentBatch.Hosting;

/// <summary>Where a run's documents stand in an <see cref="IDocumentLeaseStore"/>, as the asking worker sees them.</summary>
/// <param name="Pending">Documents without a result that this worker may lease now.</param>
/// <param name="Waiting">Documents this worker gave back after a failure that was not theirs, waiting for their retry time (other workers may lease them).</param>
/// <param name="Leased">Documents leased to a worker whose lease has not run out.</param>
/// <param name="Recorded">Documents with a recorded result.</param>
public sealed record DocumentSetProgress(int Pending, int Waiting, int Leased, int Recorded)
{
    /// <summary>Gets a value indicating whether every document has a recorded result.</summary>
    public bool IsComplete => Pending == 0 && Waiting == 0 && Leased == 0;
}
