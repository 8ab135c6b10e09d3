using Microsoft.Extensions.Time.Testing;

namespace AgentBatch.Tests;

/// <summary>
/// A <see cref="FakeTimeProvider"/> whose time moves only when something waits on it: each timer created moves the clock
/// on to that timer's due time (from another thread, never inside the call that created it), so a batch waiting for a
/// provider whose batches move on the same clock runs to its end at once, in the order the waits fall due.
/// </summary>
internal sealed class AdvancingTimeProvider : TimeProvider
{
    private readonly Lock _gate = new();

    public FakeTimeProvider Fake { get; } = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));

    /// <summary>Gets the number of timers created so far.</summary>
    public int TimersCreated { get; private set; }

    private readonly List<DateTimeOffset> _held = [];
    private bool _advancing = true;

    /// <summary>Stops the clock: timers created from now on wait until <see cref="Release"/>.</summary>
    public void Hold()
    {
        lock (_gate)
        {
            _advancing = false;
        }
    }

    /// <summary>Lets the clock move again, at once to the latest due time of the timers created while it was held.</summary>
    public void Release()
    {
        DateTimeOffset? latest;
        lock (_gate)
        {
            _advancing = true;
            latest = _held.Count == 0 ? null : _held.Max();
            _held.Clear();
        }

        if (latest is { } due)
        {
            MoveTo(due);
        }
    }

    public override long TimestampFrequency => Fake.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => Fake.LocalTimeZone;

    public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

    public override long GetTimestamp() => Fake.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = Fake.CreateTimer(callback, state, dueTime, period);
        if (dueTime <= TimeSpan.Zero || dueTime == Timeout.InfiniteTimeSpan)
        {
            return timer;
        }

        bool advancing;
        DateTimeOffset due;
        lock (_gate)
        {
            TimersCreated++;
            due = Fake.GetUtcNow() + dueTime;
            advancing = _advancing;
            if (!advancing)
            {
                _held.Add(due);
            }
        }

        if (advancing)
        {
            ThreadPool.QueueUserWorkItem(_ => MoveTo(due));
        }

        return timer;
    }

    private void MoveTo(DateTimeOffset due)
    {
        // Outside any lock: the timers that fall due run their callbacks inside SetUtcNow, and may create timers.
        if (due <= Fake.GetUtcNow())
        {
            return;
        }

        try
        {
            Fake.SetUtcNow(due);
        }
        catch (ArgumentOutOfRangeException)
        {
            // Another wait moved the clock past this one meanwhile.
        }
    }
}
