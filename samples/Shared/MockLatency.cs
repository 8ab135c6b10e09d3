using AgentBatch.Testing;

namespace AgentBatch.Samples;

/// <summary>Gives a scripted mock model a plausible, deterministic answer time, so the progress bar has something to show.</summary>
public static class MockLatency
{
    /// <summary>Wraps <paramref name="model"/> so each reply takes between half and one and a half times <paramref name="latency"/>, the same for the same request.</summary>
    /// <param name="model">The scripted model.</param>
    /// <param name="latency">The average answer time; zero to answer at once.</param>
    /// <returns>The wrapped model.</returns>
    public static Func<MockChatRequest, MockChatReply> Apply(Func<MockChatRequest, MockChatReply> model, TimeSpan latency)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (latency <= TimeSpan.Zero)
        {
            return model;
        }

        return request => model(request) with { Delay = latency * (0.5 + (StableHash(request.LastUserText, request.ToolResultCount) % 100 / 100.0)) };
    }

    // string.GetHashCode differs between runs; this does not.
    private static uint StableHash(string text, int salt)
    {
        var hash = 2166136261u ^ (uint)salt;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash;
    }
}
