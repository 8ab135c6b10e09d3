namespace AgentBatch.Internal;

/// <summary>An item's own time limit (<see cref="BatchOptions.ItemTimeout"/>), on the batch's clock, over the batch's in-flight token.</summary>
/// <remarks>Made only for an item that starts (never for one skipped first), and disposed when the item ends.</remarks>
internal sealed class ItemDeadline : IDisposable
{
    private readonly CancellationTokenSource _timeout;
    private readonly CancellationTokenSource _linked;

    private ItemDeadline(TimeSpan timeout, TimeProvider timeProvider, CancellationToken batchToken)
    {
        Timeout = timeout;
        _timeout = new CancellationTokenSource(timeout, timeProvider);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(batchToken, _timeout.Token);
    }

    public TimeSpan Timeout { get; }

    public CancellationToken Token => _linked.Token;

    public bool Expired => _timeout.IsCancellationRequested;

    /// <summary>Starts an item's deadline, or returns <see langword="null"/> when items have none.</summary>
    public static ItemDeadline? Start(TimeSpan? timeout, TimeProvider timeProvider, CancellationToken batchToken) =>
        timeout is { } due ? new ItemDeadline(due, timeProvider, batchToken) : null;

    public void Dispose()
    {
        _linked.Dispose();
        _timeout.Dispose();
    }
}
