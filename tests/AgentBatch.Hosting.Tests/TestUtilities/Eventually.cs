namespace AgentBatch.Hosting.Tests;

/// <summary>Waits for a condition that another thread or process makes true, checked often, with a generous guard.</summary>
/// <remarks>For state only observable by looking (a child process's files, a server's counters); not a timing assertion.</remarks>
internal static class Eventually
{
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    public static async Task TrueAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Guard;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Gave up waiting until {what}.");
            }

            await Task.Delay(5);
        }
    }
}
