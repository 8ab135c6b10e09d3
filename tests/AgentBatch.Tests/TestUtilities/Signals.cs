namespace AgentBatch.Tests;

/// <summary>Per-key one-shot signals for coordinating fakes and tests without sleeping.</summary>
internal sealed class Signals<TKey>
    where TKey : notnull
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<TKey, TaskCompletionSource> _signals = new();

    /// <summary>A generous guard so a broken test fails instead of hanging; not a timing assertion.</summary>
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    public TaskCompletionSource this[TKey key] => _signals.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public void Set(TKey key) => this[key].TrySetResult();

    public Task WaitAsync(TKey key) => this[key].Task.WaitAsync(Guard);

    public bool IsSet(TKey key) => _signals.TryGetValue(key, out var tcs) && tcs.Task.IsCompleted;
}
