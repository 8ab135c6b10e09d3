namespace AgentBatch.Internal;

/// <summary>
/// What bounds one item beyond the batch: its own time limit (<see cref="BatchOptions.ItemTimeout"/>, on the batch's
/// clock) and its own cancellation (<see cref="BatchInput.CancellationToken"/>), over the batch's in-flight token.
/// </summary>
/// <remarks>Made only for an item that starts (never for one skipped first), and disposed when the item ends.</remarks>
internal sealed class ItemDeadline : IDisposable
{
    private readonly CancellationTokenSource? _timeout;
    private readonly CancellationTokenSource _linked;
    private readonly CancellationToken _itemToken;

    private ItemDeadline(TimeSpan? timeout, TimeProvider timeProvider, CancellationToken batchToken, CancellationToken itemToken)
    {
        Timeout = timeout;
        _itemToken = itemToken;
        _timeout = timeout is { } due ? new CancellationTokenSource(due, timeProvider) : null;
        _linked = _timeout is null
            ? CancellationTokenSource.CreateLinkedTokenSource(batchToken, itemToken)
            : itemToken.CanBeCanceled
                ? CancellationTokenSource.CreateLinkedTokenSource(batchToken, _timeout.Token, itemToken)
                : CancellationTokenSource.CreateLinkedTokenSource(batchToken, _timeout.Token);
    }

    public TimeSpan? Timeout { get; }

    public CancellationToken Token => _linked.Token;

    /// <summary>Gets a value indicating whether the item's time limit passed.</summary>
    public bool Expired => _timeout?.IsCancellationRequested == true;

    /// <summary>Gets a value indicating whether the item's own token was cancelled.</summary>
    public bool ItemCanceled => _itemToken.IsCancellationRequested;

    /// <summary>Starts an item's bounds, or returns <see langword="null"/> when it has neither a time limit nor a token of its own.</summary>
    public static ItemDeadline? Start(TimeSpan? timeout, TimeProvider timeProvider, CancellationToken batchToken, CancellationToken itemToken = default) =>
        timeout is null && !itemToken.CanBeCanceled ? null : new ItemDeadline(timeout, timeProvider, batchToken, itemToken);

    public void Dispose()
    {
        _linked.Dispose();
        _timeout?.Dispose();
    }
}
