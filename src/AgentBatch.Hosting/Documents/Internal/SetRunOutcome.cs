namespace AgentBatch.Hosting.Internal;

/// <summary>How one pass over a set's documents ended.</summary>
/// <param name="Stopped">The host is stopping: what did not finish runs on the next start.</param>
/// <param name="Pending">The documents that ended without a final result (an outage, a refused key, a spent cap) and stay pending.</param>
/// <param name="Reason">Why the first of them did not finish, for the log: the batch's error type or the reason it was not sent.</param>
/// <param name="Error">The error that stopped the batch, when one did.</param>
internal sealed record SetRunOutcome(bool Stopped, int Pending, string? Reason, Exception? Error)
{
    public static readonly SetRunOutcome Finished = new(Stopped: false, Pending: 0, Reason: null, Error: null);

    public static readonly SetRunOutcome Interrupted = new(Stopped: true, Pending: 0, Reason: null, Error: null);

    /// <summary>Gets a value indicating whether every document read in the pass has its final result.</summary>
    public bool IsFinished => !Stopped && Pending == 0 && Error is null;
}
