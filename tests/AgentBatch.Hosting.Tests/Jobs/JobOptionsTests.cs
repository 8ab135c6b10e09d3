using AgentBatch.Testing;

namespace AgentBatch.Hosting.Tests;

public sealed class JobOptionsTests
{
    [Theory]
    [InlineData(-1)]
    [InlineData(BatchTaskOptions.MaxRetriesLimit + 1)]
    public void BatchTaskOptions_MaxRetriesOutOfRange_ThrowsNamingTheProperty(int value)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new BatchTaskOptions { MaxRetries = value });

        Assert.Equal(nameof(BatchTaskOptions.MaxRetries), ex.ParamName);
    }

    [Fact]
    public void BatchJobStartOptions_OutOfRange_ThrowsNamingTheProperty()
    {
        Assert.Equal(nameof(BatchJobStartOptions.MaxConcurrency), Assert.Throws<ArgumentOutOfRangeException>(() => new BatchJobStartOptions { MaxConcurrency = 0 }).ParamName);
        Assert.Equal(nameof(BatchJobStartOptions.TaskTimeout), Assert.Throws<ArgumentOutOfRangeException>(() => new BatchJobStartOptions { TaskTimeout = TimeSpan.Zero }).ParamName);
    }

    [Fact]
    public async Task Start_SequentialDefaults_RunsOneTaskAtATime()
    {
        using var server = MockChatServer.Start(_ => MockChatReply.Answer("ok"));
        await using var manager = new BatchJobManager(new BatchRunner(), new ChatAgent(server.CreateChatClient()), new BatchOptions { Sequential = true });
        manager.SubmitMany(["a", "b", "c"]);

        manager.Start();
        await manager.WaitForIdleAsync().WaitAsync(Eventually.Guard);

        Assert.Equal(3, manager.GetStatus().Completed);
        Assert.Equal(1, server.MaxConcurrentRequests);
    }

    [Fact]
    public async Task Start_MaxConcurrencyContradictingSequentialDefaults_ThrowsAndStartsNothing()
    {
        using var server = MockChatServer.Start(_ => MockChatReply.Answer("ok"));
        await using var manager = new BatchJobManager(new BatchRunner(), new ChatAgent(server.CreateChatClient()), new BatchOptions { Sequential = true });
        manager.Submit("a");

        var ex = Assert.Throws<ArgumentException>(() => manager.Start(new BatchJobStartOptions { MaxConcurrency = 4 }));

        Assert.Equal(nameof(BatchOptions.Sequential), ex.ParamName);
        Assert.Contains("MaxConcurrency = 4 contradicts it", ex.Message, StringComparison.Ordinal);
        Assert.False(manager.IsRunning);
    }
}
