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

    /// <summary>Gets or sets a value indicating whether created timers move the clock; off, the test moves it with <see cref="FakeTimeProvider.Advance"/>.</summary>
    public bool Advancing { get; set; } = true;

    public override long TimestampFrequency => Fake.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => Fake.LocalTimeZone;

    public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

    public override long GetTimestamp() => Fake.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = Fake.CreateTimer(callback, state, dueTime, period);
        DateTimeOffset due;
        lock (_gate)
        {
            TimersCreated++;
            due = Fake.GetUtcNow() + dueTime;
        }

        if (Advancing && dueTime > TimeSpan.Zero && dueTime != Timeout.InfiniteTimeSpan)
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
