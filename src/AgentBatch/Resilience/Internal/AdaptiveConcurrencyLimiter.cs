namespace AgentBatch.Internal;

/// <summary>
/// Moves a batch's <see cref="ConcurrencyWindow"/>: lowered when the provider answers 429 and raised again as calls
/// succeed (additive increase, multiplicative decrease), never above the configured maximum.
/// </summary>
/// <remarks>
/// <para>
/// Model calls report their outcome through <see cref="OnSuccess"/> and <see cref="OnRateLimited"/>; the window holds
/// back the next items while more are in flight than the limit allows. Items already in flight are never interrupted.
/// </para>
/// <para>
/// A burst of 429s from calls that were all sent under the same limit halves it once, not once per call: each call
/// carries the <see cref="Epoch"/> it started in, and only a 429 from the current epoch lowers the limit again.
/// </para>
/// <para>All members are thread-safe.</para>
/// </remarks>
internal sealed class AdaptiveConcurrencyLimiter
{
    private readonly Lock _gate = new();
    private readonly ConcurrencyWindow _window;
    private readonly int _max;
    private int _limit;
    private int _successes;
    private int _epoch;

    /// <summary>Initializes a new instance of the <see cref="AdaptiveConcurrencyLimiter"/> class over <paramref name="window"/>, whose limit is the maximum.</summary>
    public AdaptiveConcurrencyLimiter(ConcurrencyWindow window)
    {
        _window = window;
        _max = window.Limit;
        _limit = _max;
    }

    /// <summary>Raised, outside the lock, with the previous and the new limit whenever it changes.</summary>
    public event Action<int, int>? LimitChanged;

    /// <summary>Gets the number of items currently allowed in flight.</summary>
    public int CurrentLimit => Volatile.Read(ref _limit);

    /// <summary>Gets the current limit's generation, to pass back to <see cref="OnRateLimited"/>.</summary>
    public int Epoch => Volatile.Read(ref _epoch);

    /// <summary>Records a call that got an answer: after a full window of them, one more item may run.</summary>
    public void OnSuccess()
    {
        // At the maximum there is nothing to count: the common case takes no lock. A stale read only skips one success,
        // and a 429 resets the count anyway.
        if (Volatile.Read(ref _limit) >= _max)
        {
            return;
        }

        var previous = 0;
        var changed = 0;
        lock (_gate)
        {
            if (_limit < _max && ++_successes >= _limit)
            {
                previous = _limit;
                changed = _limit + 1;
                Volatile.Write(ref _limit, changed);
                _successes = 0;
                _window.Limit = changed;
            }
        }

        if (changed != 0)
        {
            LimitChanged?.Invoke(previous, changed);
        }
    }

    /// <summary>Records a 429 for a call sent in <paramref name="epoch"/>: the limit halves, once per epoch.</summary>
    public void OnRateLimited(int epoch)
    {
        var previous = 0;
        var changed = 0;
        lock (_gate)
        {
            _successes = 0;
            if (epoch == _epoch && _limit > 1)
            {
                previous = _limit;
                changed = Math.Max(1, _limit / 2);
                Volatile.Write(ref _limit, changed);
                _epoch++;
                _window.Limit = changed;
            }
        }

        if (changed != 0)
        {
            LimitChanged?.Invoke(previous, changed);
        }
    }
}
