namespace AgentBatch;

/// <summary>One request's charge in a <see cref="RateLedger"/>: its estimate until <see cref="Reconcile"/> replaces it with what the server reported.</summary>
/// <remarks>Disposing a lease does not give its charge back: requests stay in the window for a minute whatever became of them.</remarks>
public abstract class RateLease : IDisposable
{
    /// <summary>Replaces the tokens this request is charged with what it really used: the reported usage, or 0 when the provider said it did not run it.</summary>
    /// <param name="tokens">The tokens used (clamped at zero).</param>
    /// <remarks>Called at most once. The provider may count a request's tokens when it answers, so a ledger charges them from that moment.</remarks>
    public abstract void Reconcile(long tokens);

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what the lease holds other than its charge.</summary>
    /// <param name="disposing"><see langword="true"/> when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
    }
}
