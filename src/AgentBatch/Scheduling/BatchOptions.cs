namespace AgentBatch;

/// <summary>Options for one batch run: concurrency, error handling, progress, timeouts.</summary>
/// <remarks>Budget, rate-limit and retry settings are documented with their members. An instance may be reused across batches.</remarks>
public sealed class BatchOptions
{
    /// <summary>The default value of <see cref="MaxConcurrency"/>.</summary>
    public const int DefaultMaxConcurrency = 16;

    private int? _maxConcurrency = DefaultMaxConcurrency;
    private TimeSpan? _itemTimeout;

    /// <summary>Initializes a new instance of the <see cref="BatchOptions"/> class with default values.</summary>
    public BatchOptions()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BatchOptions"/> class as a copy of <paramref name="other"/>.</summary>
    /// <param name="other">The options to copy.</param>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is <see langword="null"/>.</exception>
    public BatchOptions(BatchOptions other)
    {
        ArgumentNullException.ThrowIfNull(other);
        _maxConcurrency = other._maxConcurrency;
        _itemTimeout = other._itemTimeout;
        Sequential = other.Sequential;
        ErrorHandling = other.ErrorHandling;
        Progress = other.Progress;
    }

    /// <summary>Gets or sets the most items in flight at once (the "batch size"); <see langword="null"/> for no limit.</summary>
    /// <value>The default value is 16.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    /// <remarks>
    /// The window slides: a new item starts as soon as one finishes. 16 suits most hosted model endpoints' default
    /// rate limits; raise it for high-throughput deployments or local servers.
    /// </remarks>
    public int? MaxConcurrency
    {
        get => _maxConcurrency;
        set
        {
            if (value is { } limit)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1, nameof(MaxConcurrency));
            }

            _maxConcurrency = value;
        }
    }

    /// <summary>Gets or sets a value indicating whether items run one at a time, in input order.</summary>
    /// <value>The default value is <see langword="false"/>. When <see langword="true"/>, <see cref="MaxConcurrency"/> is ignored.</value>
    public bool Sequential { get; set; }

    /// <summary>Gets or sets what the batch does when an item fails.</summary>
    /// <value>The default value is <see cref="BatchErrorHandling.Collect"/>.</value>
    public BatchErrorHandling ErrorHandling { get; set; } = BatchErrorHandling.Collect;

    /// <summary>Gets or sets the receiver of a <see cref="BatchProgress"/> snapshot after each item completes.</summary>
    /// <value>The default value is <see langword="null"/>: no progress reports.</value>
    /// <remarks>Reports are made one at a time, in completion order, from the thread that completed the item.</remarks>
    public IProgress<BatchProgress>? Progress { get; set; }

    /// <summary>Gets or sets the most time one item may take, all its model calls included; <see langword="null"/> for no limit.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    /// <remarks>An item that runs out of time ends <see cref="BatchItemStatus.Failed"/> with a <see cref="TimeoutException"/>; the batch goes on.</remarks>
    public TimeSpan? ItemTimeout
    {
        get => _itemTimeout;
        set
        {
            if (value is { } timeout)
            {
                ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero, nameof(ItemTimeout));
            }

            _itemTimeout = value;
        }
    }

    /// <summary>Gets the number of items allowed in flight at once, <see langword="null"/> for no limit.</summary>
    internal int? EffectiveConcurrency => Sequential ? 1 : _maxConcurrency;
}
