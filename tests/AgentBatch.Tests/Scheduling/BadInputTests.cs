using AgentBatch.Testing;
using Microsoft.Extensions.AI;

namespace AgentBatch.Tests.Scheduling;

/// <summary>
/// Bad input, table-driven: each case gets a clear exception or a clear per-item error and leaves the other items alone.
/// An items source that throws midway is covered by <c>BatchRunnerBehaviorTests.RunBatchAsync_SourceThrowsMidway_FaultsButKeepsFinishedItems</c>.
/// (An input larger than the model's context needs the token counter from Budgets/ and is not covered here.)
/// </summary>
public sealed class BadInputTests : IDisposable
{
    private readonly MockChatServer _server = MockChatServer.Start();

    public void Dispose() => _server.Dispose();

    public static TheoryData<string, string> ItemCases => new()
    {
        { "null input from the input map", "returned null for batch item 1" },
        { "empty input from the input map", "returned an empty string for batch item 1" },
        { "whitespace input from the input map", "returned an empty string for batch item 1" },
        { "null element in items", "Batch item 1 is null" },
        { "template whose Clone throws", "clone refused for item 1" },
        { "template whose Clone returns null", "returned null for item 1" },
    };

    public static TheoryData<string, Action<BatchOptions>> OptionCases => new()
    {
        { nameof(BatchOptions.MaxAttempts), o => o.MaxAttempts = 0 },
        { nameof(BatchOptions.MaxAttempts), o => o.MaxAttempts = -3 },
        { nameof(BatchOptions.AttemptTimeout), o => o.AttemptTimeout = TimeSpan.Zero },
        { nameof(BatchOptions.AttemptTimeout), o => o.AttemptTimeout = TimeSpan.FromSeconds(-1) },
        { nameof(BatchOptions.RetryBaseDelay), o => o.RetryBaseDelay = TimeSpan.FromMilliseconds(-1) },
        { nameof(BatchOptions.RetryBaseDelay), o => o.RetryBaseDelay = TimeSpan.FromDays(2) },
        { nameof(BatchOptions.ItemTimeout), o => o.ItemTimeout = TimeSpan.FromSeconds(-1) },
        { nameof(BatchOptions.MaxConcurrency), o => o.MaxConcurrency = 0 },
    };

    [Theory]
    [MemberData(nameof(ItemCases))]
    public async Task RunBatchAsync_BadItem_FailsThatItemAloneWithAClearError(string scenario, string expectedMessage)
    {
        string?[] items = ["first", scenario == "null element in items" ? null : "second", "third"];
        Func<string?, BatchInput> inputMap = scenario switch
        {
            "null input from the input map" => s => s == "second" ? (string)null! : s!,
            "empty input from the input map" => s => s == "second" ? string.Empty : s!,
            "whitespace input from the input map" => s => s == "second" ? "  \t" : s!,
            _ => s => s!,
        };
        var template = new ChatAgent(_server.CreateChatClient());
        Func<int, IBatchAgent> factory = scenario switch
        {
            "template whose Clone throws" => new RefusingTemplate(template).Clone,
            "template whose Clone returns null" => new RefusingTemplate(template).CloneOrNull,
            _ => template.Clone,
        };

        var result = await new BatchRunner().RunBatchAsync(factory, items, inputMap, r => r.Text);

        Assert.Equal(BatchStopReason.Completed, result.StopReason);
        Assert.Equal(3, result.Items.Count);
        var bad = result.Items[1];
        Assert.Equal(BatchItemStatus.Failed, bad.Status);
        Assert.Contains(expectedMessage, bad.Error!.Message);
        Assert.Equal(0, bad.Attempts);
        Assert.Equal(["Echo: first", null, "Echo: third"], result.Outputs);
        Assert.Equal(2, _server.RequestCount);
    }

    [Theory]
    [MemberData(nameof(OptionCases))]
    public void Validate_OutOfRange_ThrowsNamingTheOption(string option, Action<BatchOptions> set)
    {
        var options = new BatchOptions();
        set(options);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);

        Assert.Equal(option, ex.ParamName);
    }

    [Fact]
    public void BatchOptions_CopyConstructor_CopiesResilienceSettings()
    {
        var pipeline = new Polly.ResiliencePipelineBuilder<ChatResponse>().Build();
        var original = new BatchOptions
        {
            MaxAttempts = 7,
            AttemptTimeout = TimeSpan.FromSeconds(9),
            RetryBaseDelay = TimeSpan.FromMilliseconds(250),
            AdaptiveConcurrency = false,
            ResiliencePipeline = pipeline,
        };

        var copy = new BatchOptions(original);

        Assert.Equal(7, copy.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(9), copy.AttemptTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(250), copy.RetryBaseDelay);
        Assert.False(copy.AdaptiveConcurrency);
        Assert.Same(pipeline, copy.ResiliencePipeline);
    }

    [Fact]
    public void BatchOptions_ResilienceDefaults_AreTheDocumentedValues()
    {
        var options = new BatchOptions();

        Assert.Equal(4, options.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(100), options.AttemptTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), options.RetryBaseDelay);
        Assert.True(options.AdaptiveConcurrency);
        Assert.Null(options.ResiliencePipeline);
    }

    private sealed class RefusingTemplate(ChatAgent inner) : IBatchAgent
    {
        public string Name => inner.Name;

        public IBatchAgent Clone(int index) => index == 1 ? throw new InvalidOperationException($"clone refused for item {index}") : inner.Clone(index);

        public IBatchAgent CloneOrNull(int index) => index == 1 ? null! : inner.Clone(index);

        public Task<ChatResponse> RunAsync(IReadOnlyList<ChatMessage> input, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("The template is never run.");
    }
}
