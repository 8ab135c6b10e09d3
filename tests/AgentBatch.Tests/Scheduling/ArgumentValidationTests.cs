using Microsoft.Extensions.AI;

namespace AgentBatch.Tests.Scheduling;

public sealed class ArgumentValidationTests
{
    private readonly BatchRunner _runner = new();
    private readonly ChatAgent _template = new(new FakeChatClient());

    [Fact]
    public async Task RunBatchAsync_NullArguments_Throw()
    {
        await Assert.ThrowsAsync<ArgumentNullException>("template", () => _runner.RunBatchAsync<string, string>((IBatchAgent)null!, ["a"], s => s, r => r.Text));
        await Assert.ThrowsAsync<ArgumentNullException>("agentFactory", () => _runner.RunBatchAsync<string, string>((Func<int, IBatchAgent>)null!, ["a"], s => s, r => r.Text));
        await Assert.ThrowsAsync<ArgumentNullException>("items", () => _runner.RunBatchAsync<string, string>(_template, null!, s => s, r => r.Text));
        await Assert.ThrowsAsync<ArgumentNullException>("inputMap", () => _runner.RunBatchAsync<string, string>(_template, ["a"], null!, r => r.Text));
        await Assert.ThrowsAsync<ArgumentNullException>("outputMap", () => _runner.RunBatchAsync<string, string>(_template, ["a"], s => s, null!));
        await Assert.ThrowsAsync<ArgumentNullException>("stopCondition", () => _runner.RunBatchAsync(_template, ["a"], s => s, r => r.Text, stopCondition: null!));
    }

    [Fact]
    public void StreamBatchAsync_NullArguments_ThrowAtTheCall()
    {
        var items = new[] { "a" }.ToAsyncEnumerable();
        Assert.Throws<ArgumentNullException>("template", () => _runner.StreamBatchAsync<string, string>((IBatchAgent)null!, items, s => s, r => r.Text));
        Assert.Throws<ArgumentNullException>("items", () => _runner.StreamBatchAsync<string, string>(_template, null!, s => s, r => r.Text));
        Assert.Throws<ArgumentNullException>("inputMap", () => _runner.StreamBatchAsync<string, string>(_template, items, null!, r => r.Text));
        Assert.Throws<ArgumentNullException>("outputMap", () => _runner.StreamBatchAsync<string, string>(_template, items, s => s, null!));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void BatchOptions_MaxConcurrencyBelowOne_Throws(int value)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new BatchOptions { MaxConcurrency = value });
        Assert.Contains("MaxConcurrency", ex.Message);
    }

    [Fact]
    public void BatchOptions_Defaults_AreDocumentedValues()
    {
        var options = new BatchOptions();
        Assert.Equal(BatchOptions.DefaultMaxConcurrency, options.MaxConcurrency);
        Assert.Equal(BatchErrorHandling.Collect, options.ErrorHandling);
        Assert.False(options.Sequential);
        Assert.Null(options.ItemTimeout);
    }

    [Fact]
    public void BatchOptions_NonPositiveItemTimeout_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchOptions { ItemTimeout = TimeSpan.Zero });
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchOptions { ItemTimeout = TimeSpan.FromSeconds(-1) });
    }

    [Fact]
    public void ChatAgentOptions_InvalidValues_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ChatAgentOptions { MaxTurns = 0 });
        Assert.Throws<ArgumentException>(() => new ChatAgentOptions { Name = " " });
        Assert.Throws<ArgumentNullException>(() => new ChatAgent(null!));
    }

    [Fact]
    public async Task ChatAgent_RunAsync_NullInput_Throws()
    {
        await Assert.ThrowsAsync<ArgumentNullException>("input", () => _template.RunAsync(null!));
    }
}
