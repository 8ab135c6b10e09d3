using Microsoft.Extensions.Time.Testing;

namespace AgentBatch.Tests;

/// <summary>A <see cref="FakeTimeProvider"/> that reports each timer created, so a test can advance time once a wait has begun.</summary>
internal sealed class TimerRecordingTimeProvider : TimeProvider
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<TimeSpan, TaskCompletionSource> _created = new();

    public FakeTimeProvider Fake { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public override long TimestampFrequency => Fake.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => Fake.LocalTimeZone;

    /// <summary>Completes once a timer due after exactly <paramref name="dueTime"/> has been created.</summary>
    public Task TimerCreatedAsync(TimeSpan dueTime) => Tcs(dueTime).Task.WaitAsync(Signals<int>.Guard);

    public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

    public override long GetTimestamp() => Fake.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = Fake.CreateTimer(callback, state, dueTime, period);
        Tcs(dueTime).TrySetResult();
        return timer;
    }

    private TaskCompletionSource Tcs(TimeSpan dueTime) =>
        _created.GetOrAdd(dueTime, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
