namespace AgentBatch.Internal;

/// <summary>A single-reader cursor over a batch's items, whether they come from an enumerable or an async stream.</summary>
internal abstract class ItemReader<TItem> : IAsyncDisposable
{
    /// <summary>Gets the number of items when the source knows it without being enumerated.</summary>
    public abstract int? KnownCount { get; }

    public abstract TItem Current { get; }

    public static ItemReader<TItem> From(IEnumerable<TItem> items) => new EnumerableReader(items);

    public static ItemReader<TItem> From(IAsyncEnumerable<TItem> items, CancellationToken cancellationToken) =>
        new AsyncEnumerableReader(items, cancellationToken);

    public abstract ValueTask<bool> MoveNextAsync();

    public abstract ValueTask DisposeAsync();

    private sealed class EnumerableReader : ItemReader<TItem>
    {
        private readonly IEnumerable<TItem> _items;
        private IEnumerator<TItem>? _enumerator;

        public EnumerableReader(IEnumerable<TItem> items)
        {
            _items = items;
            KnownCount = items.TryGetNonEnumeratedCount(out var count) ? count : null;
        }

        public override int? KnownCount { get; }

        public override TItem Current => _enumerator!.Current;

        public override ValueTask<bool> MoveNextAsync()
        {
            _enumerator ??= _items.GetEnumerator();
            return new ValueTask<bool>(_enumerator.MoveNext());
        }

        public override ValueTask DisposeAsync()
        {
            _enumerator?.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class AsyncEnumerableReader : ItemReader<TItem>
    {
        private readonly IAsyncEnumerator<TItem> _enumerator;

        public AsyncEnumerableReader(IAsyncEnumerable<TItem> items, CancellationToken cancellationToken)
        {
            _enumerator = items.GetAsyncEnumerator(cancellationToken);
        }

        public override int? KnownCount => null;

        public override TItem Current => _enumerator.Current;

        public override ValueTask<bool> MoveNextAsync() => _enumerator.MoveNextAsync();

        public override ValueTask DisposeAsync() => _enumerator.DisposeAsync();
    }
}
