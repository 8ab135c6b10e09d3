using System.Reflection;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AgentBatch.Tests.Scheduling;

public sealed class ArgumentValidationTests : IDisposable
{
    private readonly BatchRunner _runner = new();
    private readonly FakeChatClient _client = new();
    private readonly ChatAgent _template;

    public ArgumentValidationTests()
    {
        _template = new ChatAgent(_client);
    }

    public static TheoryData<string, Action<BatchOptions>, string> OutOfRangeCases => new()
    {
        { nameof(BatchOptions.MaxConcurrency), o => o.MaxConcurrency = 0, "MaxConcurrency must be between 1 and 10000; it is 0." },
        { nameof(BatchOptions.MaxConcurrency), o => o.MaxConcurrency = 10_001, "MaxConcurrency must be between 1 and 10000; it is 10001." },
        { nameof(BatchOptions.ItemTimeout), o => o.ItemTimeout = TimeSpan.Zero, "ItemTimeout must be longer than zero and at most 7.00:00:00; it is 00:00:00." },
        { nameof(BatchOptions.ItemTimeout), o => o.ItemTimeout = TimeSpan.FromDays(8), "ItemTimeout must be longer than zero and at most 7.00:00:00; it is 8.00:00:00." },
        { nameof(BatchOptions.MaxAttempts), o => o.MaxAttempts = 0, "MaxAttempts must be between 1 and 100; it is 0." },
        { nameof(BatchOptions.MaxAttempts), o => o.MaxAttempts = 101, "MaxAttempts must be between 1 and 100; it is 101." },
        { nameof(BatchOptions.AttemptTimeout), o => o.AttemptTimeout = TimeSpan.FromSeconds(-1), "AttemptTimeout must be longer than zero and at most 1.00:00:00; it is -00:00:01." },
        { nameof(BatchOptions.AttemptTimeout), o => o.AttemptTimeout = TimeSpan.FromDays(2), "AttemptTimeout must be longer than zero and at most 1.00:00:00; it is 2.00:00:00." },
        { nameof(BatchOptions.RetryBaseDelay), o => o.RetryBaseDelay = TimeSpan.FromMilliseconds(-1), "RetryBaseDelay must be between 00:00:00 and 1.00:00:00; it is -00:00:00.0010000." },
        { nameof(BatchOptions.RetryBaseDelay), o => o.RetryBaseDelay = TimeSpan.FromDays(2), "RetryBaseDelay must be between 00:00:00 and 1.00:00:00; it is 2.00:00:00." },
        { nameof(BatchOptions.MaxTotalTokens), o => o.MaxTotalTokens = 0, "MaxTotalTokens must be between 1 and 1000000000000000; it is 0." },
        { nameof(BatchOptions.MaxCost), o => o.MaxCost = -0.5m, "MaxCost must be between 0 and 1000000000; it is -0.5." },
        { nameof(BatchOptions.TokensPerMinute), o => o.TokensPerMinute = 0, "TokensPerMinute must be between 1 and 1000000000; it is 0." },
        { nameof(BatchOptions.RequestsPerMinute), o => o.RequestsPerMinute = -3, "RequestsPerMinute must be between 1 and 10000000; it is -3." },
        { nameof(BatchOptions.DefaultMaxOutputTokens), o => o.DefaultMaxOutputTokens = 0, "DefaultMaxOutputTokens must be between 1 and 10000000; it is 0." },
        { nameof(BatchOptions.MaxItemsPerRequest), o => o.MaxItemsPerRequest = 1_001, "MaxItemsPerRequest must be between 1 and 1000; it is 1001." },
        { nameof(BatchOptions.MaxInputTokens), o => o.MaxInputTokens = 0, "MaxInputTokens must be between 1 and 100000000; it is 0." },
    };

    public void Dispose() => _client.Dispose();

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

    [Fact]
    public void RunBatchAsync_InvalidOptions_ThrowsAtTheCallNamingTheProperty_AndRunsNothing()
    {
        var options = new BatchOptions { MaxConcurrency = 0 };

        Assert.Throws<ArgumentOutOfRangeException>("MaxConcurrency", () => { _ = _runner.RunBatchAsync(_template, ["a"], s => s, r => r.Text, options); });
        Assert.Throws<ArgumentOutOfRangeException>("MaxConcurrency", () => { _ = _runner.RunBatchAsync(_template, ["a"], s => s, r => r.Text, _ => false, options); });
        Assert.Throws<ArgumentOutOfRangeException>("MaxConcurrency", () => { _ = _runner.RunBatchAsync(_template.Clone, ["a"], s => s, r => r.Text, options); });

        Assert.Equal(0, _client.Calls);
    }

    [Fact]
    public void StreamBatchAsync_InvalidOptions_ThrowsAtTheCallNotAtFirstEnumeration()
    {
        var items = new[] { "a" }.ToAsyncEnumerable();
        var options = new BatchOptions { AttemptTimeout = TimeSpan.Zero };

        Assert.Throws<ArgumentOutOfRangeException>("AttemptTimeout", () => _runner.StreamBatchAsync(_template, items, s => s, r => r.Text, options));
        Assert.Throws<ArgumentOutOfRangeException>("AttemptTimeout", () => _runner.StreamBatchAsync(_template, items, s => s, r => r.Text, _ => false, options));
        Assert.Throws<ArgumentOutOfRangeException>("AttemptTimeout", () => _runner.StreamBatchAsync(_template.Clone, items, s => s, r => r.Text, options));

        Assert.Equal(0, _client.Calls);
    }

    [Fact]
    public async Task RunBatchAsync_OptionsChangedAfterAValidRun_AreCheckedAgainOnTheNextRun()
    {
        var options = new BatchOptions();
        await _runner.RunBatchAsync(_template, ["a"], s => s, r => r.Text, options);

        options.MaxAttempts = 0;

        Assert.Throws<ArgumentOutOfRangeException>("MaxAttempts", () => { _ = _runner.RunBatchAsync(_template, ["a"], s => s, r => r.Text, options); });
    }

    [Fact]
    public void BatchOptions_Setters_AcceptAnyValue()
    {
        var options = new BatchOptions
        {
            MaxConcurrency = 0,
            ItemTimeout = TimeSpan.FromSeconds(-1),
            MaxAttempts = -3,
            AttemptTimeout = TimeSpan.Zero,
            RetryBaseDelay = TimeSpan.FromDays(5),
            MaxTotalTokens = 0,
            MaxCost = -1m,
            TokensPerMinute = 0,
            RequestsPerMinute = 0,
            DefaultMaxOutputTokens = 0,
            MaxItemsPerRequest = 0,
            MaxTokensPerRequest = 0,
            MaxInputTokens = 0,
        };

        Assert.Equal((0, -3, 0), (options.MaxConcurrency, options.MaxAttempts, options.MaxItemsPerRequest));
    }

    [Fact]
    public void BatchOptions_Defaults_AreDocumentedValuesAndValid()
    {
        var options = new BatchOptions();

        Assert.Equal(BatchOptions.DefaultMaxConcurrency, options.MaxConcurrency);
        Assert.Equal(BatchErrorHandling.Collect, options.ErrorHandling);
        Assert.False(options.Sequential);
        Assert.Null(options.ItemTimeout);
        Assert.Equal(BatchOptions.DefaultEstimatedOutputTokens, options.DefaultMaxOutputTokens);
        Assert.Equal(1, options.MaxItemsPerRequest);
        Assert.Empty(options.Secrets);
        options.Validate();
    }

    [Theory]
    [MemberData(nameof(OutOfRangeCases))]
    public void Validate_OneSettingOutOfRange_ThrowsArgumentOutOfRangeNamingItsRangeAndValue(string property, Action<BatchOptions> set, string message)
    {
        var options = new BatchOptions();
        set(options);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);

        Assert.Equal(property, ex.ParamName);
        Assert.Equal($"{message} (Parameter '{property}')", ex.Message);
    }

    [Fact]
    public void Validate_LimitsOfEachRange_AreValid()
    {
        new BatchOptions
        {
            MaxConcurrency = 10_000,
            ItemTimeout = TimeSpan.FromDays(7),
            MaxAttempts = 100,
            AttemptTimeout = TimeSpan.FromTicks(1),
            RetryBaseDelay = TimeSpan.Zero,
            MaxTotalTokens = 1,
            MaxCost = 0m,
            TokensPerMinute = 1,
            RequestsPerMinute = 10_000_000,
            DefaultMaxOutputTokens = 1,
            MaxItemsPerRequest = 1_000,
            MaxTokensPerRequest = 1,
            MaxInputTokens = 100_000_000,
        }.Validate();
        new BatchOptions { MaxConcurrency = null, ItemTimeout = null, AttemptTimeout = null }.Validate();
    }

    [Fact]
    public void Validate_SeveralBadSettings_ThrowsOneArgumentExceptionNamingThemAll()
    {
        var options = new BatchOptions { MaxConcurrency = 0, MaxAttempts = 0, MaxCost = -2m, Sequential = true };

        var ex = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal("MaxConcurrency", ex.ParamName);
        Assert.StartsWith("4 settings are invalid: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("MaxConcurrency must be between 1 and 10000; it is 0.", ex.Message, StringComparison.Ordinal);
        Assert.Contains("MaxAttempts must be between 1 and 100; it is 0.", ex.Message, StringComparison.Ordinal);
        Assert.Contains("MaxCost must be between 0 and 1000000000; it is -2.", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Sequential runs one item at a time; MaxConcurrency = 0 contradicts it", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(null)]
    public void Validate_SequentialWithMaxConcurrencySetToAnythingButOne_ThrowsNamingBoth(int? maxConcurrency)
    {
        var options = new BatchOptions { Sequential = true, MaxConcurrency = maxConcurrency };

        var ex = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal("Sequential", ex.ParamName);
        var shown = maxConcurrency?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null";
        Assert.StartsWith($"Sequential runs one item at a time; MaxConcurrency = {shown} contradicts it; set one or the other.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SequentialWithDefaultOrOneMaxConcurrency_IsValid()
    {
        new BatchOptions { Sequential = true }.Validate();
        new BatchOptions { Sequential = true, MaxConcurrency = 1 }.Validate();
        new BatchOptions(new BatchOptions()) { Sequential = true }.Validate();
    }

    [Fact]
    public void CopyConstructor_KeepsWhetherMaxConcurrencyWasSet()
    {
        var chosen = new BatchOptions { MaxConcurrency = 8 };

        Assert.Throws<ArgumentException>("Sequential", new BatchOptions(chosen) { Sequential = true }.Validate);
    }

    [Fact]
    public void Validate_MaxTokensPerRequestWithoutGrouping_ThrowsNamingIt()
    {
        var ex = Assert.Throws<ArgumentException>(new BatchOptions { MaxTokensPerRequest = 4_000 }.Validate);

        Assert.Equal("MaxTokensPerRequest", ex.ParamName);
        Assert.Contains("MaxTokensPerRequest applies only to grouped requests; it is 4000 while MaxItemsPerRequest is 1", ex.Message, StringComparison.Ordinal);
        new BatchOptions { MaxTokensPerRequest = 4_000, MaxItemsPerRequest = 2 }.Validate();
    }

    [Fact]
    public void Validate_EmptySecret_ThrowsWithoutEchoingTheOtherSecrets()
    {
        var options = new BatchOptions { Secrets = { "sk-real-secret-value", " " } };

        var ex = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal("Secrets", ex.ParamName);
        Assert.Contains("index 1", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("real-secret", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CopyConstructor_CopiesSecretsIntoItsOwnList()
    {
        var original = new BatchOptions { Secrets = { "key-1" } };

        var copy = new BatchOptions(original);
        copy.Secrets.Add("key-2");

        Assert.Equal(["key-1", "key-2"], copy.Secrets);
        Assert.Equal(["key-1"], original.Secrets);
    }

    [Fact]
    public void Bind_FromConfiguration_RoundTripsEveryBindableMember()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AgentBatch:MaxConcurrency"] = "1",
            ["AgentBatch:Sequential"] = "true",
            ["AgentBatch:ErrorHandling"] = "Throw",
            ["AgentBatch:ItemTimeout"] = "00:02:00",
            ["AgentBatch:MaxAttempts"] = "7",
            ["AgentBatch:AttemptTimeout"] = "00:00:30",
            ["AgentBatch:RetryBaseDelay"] = "00:00:00.250",
            ["AgentBatch:AdaptiveConcurrency"] = "false",
            ["AgentBatch:MaxTotalTokens"] = "5000000000",
            ["AgentBatch:MaxCost"] = "12.5",
            ["AgentBatch:Pricing:InputPerMillionTokens"] = "0.15",
            ["AgentBatch:Pricing:OutputPerMillionTokens"] = "0.6",
            ["AgentBatch:TokensPerMinute"] = "90000",
            ["AgentBatch:RequestsPerMinute"] = "500",
            ["AgentBatch:DefaultMaxOutputTokens"] = "256",
            ["AgentBatch:MaxItemsPerRequest"] = "10",
            ["AgentBatch:MaxTokensPerRequest"] = "6000",
            ["AgentBatch:MaxInputTokens"] = "120000",
            ["AgentBatch:OutputRepairAttempts"] = "3",
            ["AgentBatch:Secrets:0"] = "token-one",
            ["AgentBatch:Secrets:1"] = "token-two",
        }).Build();
        var options = new BatchOptions();

        configuration.GetSection("AgentBatch").Bind(options);

        options.Validate();
        Assert.Equal((1, true, BatchErrorHandling.Throw), (options.MaxConcurrency, options.Sequential, options.ErrorHandling));
        Assert.Equal((TimeSpan.FromMinutes(2), 7, TimeSpan.FromSeconds(30)), (options.ItemTimeout, options.MaxAttempts, options.AttemptTimeout));
        Assert.Equal((TimeSpan.FromMilliseconds(250), false), (options.RetryBaseDelay, options.AdaptiveConcurrency));
        Assert.Equal((5_000_000_000L, 12.5m), (options.MaxTotalTokens, options.MaxCost));
        Assert.Equal(new ModelPricing(0.15m, 0.6m), options.Pricing);
        Assert.Equal((90_000, 500, 256), (options.TokensPerMinute, options.RequestsPerMinute, options.DefaultMaxOutputTokens));
        Assert.Equal((10, 6_000, 120_000), (options.MaxItemsPerRequest, options.MaxTokensPerRequest, options.MaxInputTokens));
        Assert.Equal(["token-one", "token-two"], options.Secrets);
        Assert.Equal(3, options.OutputRepairAttempts);

        // The provider batch lane's settings, bound apart: its Execution contradicts Sequential above.
        var lane = new BatchOptions();
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Execution"] = "ProviderBatch",
            ["Pricing:InputPerMillionTokens"] = "2",
            ["Pricing:OutputPerMillionTokens"] = "8",
            ["Pricing:ProviderBatchRate"] = "0.4",
            ["ProviderBatch:RunId"] = "nightly",
            ["ProviderBatch:MaxItemsInFlight"] = "500",
            ["ProviderBatch:MaxRequestsPerBatch"] = "100",
            ["ProviderBatch:MaxBytesPerBatch"] = "1000000",
            ["ProviderBatch:PollInterval"] = "00:00:05",
            ["ProviderBatch:MaxPollInterval"] = "00:10:00",
            ["ProviderBatch:ResubmitFailed"] = "true",
            ["ProviderBatch:CancelOnCancellation"] = "true",
        }).Build().Bind(lane);
        lane.Validate();
        Assert.Equal((BatchExecution.ProviderBatch, new ModelPricing(2m, 8m) { ProviderBatchRate = 0.4m }), (lane.Execution, lane.Pricing));
        var batches = lane.ProviderBatch;
        Assert.Equal(("nightly", 500, 100, 1_000_000L), (batches.RunId, batches.MaxItemsInFlight, batches.MaxRequestsPerBatch, batches.MaxBytesPerBatch));
        Assert.Equal((TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(10), true, true), (batches.PollInterval, batches.MaxPollInterval, batches.ResubmitFailed, batches.CancelOnCancellation));

        // Every member configuration can set was set above to a value other than its default: a new member needs a line here.
        var defaults = new BatchOptions();
        string[] notBindable = [nameof(BatchOptions.Progress), nameof(BatchOptions.ResiliencePipeline), nameof(BatchOptions.TokenCounter), nameof(BatchOptions.SpendLedger), nameof(BatchOptions.RateLedger)];
        foreach (var property in typeof(BatchOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => !notBindable.Contains(p.Name)))
        {
            var initial = property.GetValue(defaults);
            Assert.False(IsDefault(property.GetValue(options), initial) && IsDefault(property.GetValue(lane), initial), $"{property.Name} was not bound");
        }

        var laneDefaults = new ProviderBatchOptions();
        string[] setInCode = [nameof(ProviderBatchOptions.Client), nameof(ProviderBatchOptions.Store)];
        foreach (var property in typeof(ProviderBatchOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => !setInCode.Contains(p.Name)))
        {
            Assert.False(Equals(property.GetValue(batches), property.GetValue(laneDefaults)), $"ProviderBatch.{property.Name} was not bound");
        }

        static bool IsDefault(object? bound, object? initial) =>
            bound is System.Collections.IEnumerable list && initial is System.Collections.IEnumerable empty
                ? list.Cast<object>().SequenceEqual(empty.Cast<object>())
                : bound is ProviderBatchOptions ? false : Equals(bound, initial);
    }

    [Fact]
    public void BindConfiguration_ThroughTheOptionsPattern_BindsAndValidates()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Batch:MaxConcurrency"] = "4",
            ["Batch:Pricing:InputPerMillionTokens"] = "1",
            ["Batch:Pricing:OutputPerMillionTokens"] = "2",
        }).Build();
        using var provider = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddOptions<BatchOptions>().BindConfiguration("Batch").Validate(o => { o.Validate(); return true; }).Services
            .BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<BatchOptions>>().Value;

        Assert.Equal((4, new ModelPricing(1m, 2m)), (options.MaxConcurrency, options.Pricing));
    }

    [Fact]
    public void Bind_NegativePrice_IsRefusedNamingThePrice()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AgentBatch:Pricing:InputPerMillionTokens"] = "0.15",
            ["AgentBatch:Pricing:OutputPerMillionTokens"] = "-0.6",
        }).Build();

        // The reflection binder calls the record's constructor by reflection, which wraps what it throws.
        var ex = Assert.ThrowsAny<Exception>(() => configuration.GetSection("AgentBatch").Bind(new BatchOptions()));

        var refusal = Assert.IsType<ArgumentOutOfRangeException>(ex as ArgumentOutOfRangeException ?? ex.InnerException);
        Assert.Equal("OutputPerMillionTokens", refusal.ParamName);
    }

    [Fact]
    public void Bind_NegativePriceIntoExistingPricing_IsRefusedNamingThePrice()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AgentBatch:Pricing:InputPerMillionTokens"] = "-1",
        }).Build();
        var options = new BatchOptions { Pricing = new ModelPricing(1m, 2m) };

        var ex = Assert.ThrowsAny<Exception>(() => configuration.GetSection("AgentBatch").Bind(options));

        Assert.Equal("InputPerMillionTokens", Assert.IsType<ArgumentOutOfRangeException>(ex as ArgumentOutOfRangeException ?? ex.InnerException).ParamName);
    }

    [Fact]
    public void ModelPricing_NegativePriceOnAnyPath_ThrowsNamingTheProperty()
    {
        var pricing = new ModelPricing(1m, 2m);

        Assert.Throws<ArgumentOutOfRangeException>("InputPerMillionTokens", () => new ModelPricing(-1m, 2m));
        Assert.Throws<ArgumentOutOfRangeException>("OutputPerMillionTokens", () => new ModelPricing(1m, -0.01m));
        Assert.Throws<ArgumentOutOfRangeException>("InputPerMillionTokens", () => pricing with { InputPerMillionTokens = -1m });
        Assert.Throws<ArgumentOutOfRangeException>("OutputPerMillionTokens", () => pricing with { OutputPerMillionTokens = -1m });
        Assert.Equal(new ModelPricing(0m, 2m), pricing with { InputPerMillionTokens = 0m });
        Assert.Contains("InputPerMillionTokens cannot be negative; it is -1.", Assert.Throws<ArgumentOutOfRangeException>(() => new ModelPricing(-1m, 0m)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ChatAgentOptions_Setters_AcceptAnyValue_AndDefaultsAreValid()
    {
        var options = new ChatAgentOptions { MaxTurns = 0, Name = " " };

        Assert.Equal((0, " "), (options.MaxTurns, options.Name));
        new ChatAgentOptions().Validate();
        new ChatAgentOptions { MaxTurns = 1_000, Name = "a" }.Validate();
    }

    [Theory]
    [InlineData(0, "MaxTurns must be between 1 and 1000; it is 0.")]
    [InlineData(1_001, "MaxTurns must be between 1 and 1000; it is 1001.")]
    public void ChatAgentOptions_Validate_MaxTurnsOutOfRange_ThrowsNamingMaxTurns(int maxTurns, string message)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(new ChatAgentOptions { MaxTurns = maxTurns }.Validate);

        Assert.Equal("MaxTurns", ex.ParamName);
        Assert.StartsWith(message, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void ChatAgentOptions_Validate_NoName_ThrowsNamingName(string? name)
    {
        var ex = Assert.Throws<ArgumentException>(new ChatAgentOptions { Name = name! }.Validate);

        Assert.Equal("Name", ex.ParamName);
        Assert.StartsWith("Name is required", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ChatAgentOptions_Validate_SeveralBadSettings_NamesThemAll()
    {
        var ex = Assert.Throws<ArgumentException>(new ChatAgentOptions { Name = "", MaxTurns = -1 }.Validate);

        Assert.Equal("Name", ex.ParamName);
        Assert.Contains("Name is required", ex.Message, StringComparison.Ordinal);
        Assert.Contains("MaxTurns must be between 1 and 1000; it is -1.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ChatAgent_NullClient_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => new ChatAgent(null!));
    }

    [Fact]
    public async Task ChatAgent_RunAsync_NullInput_Throws()
    {
        await Assert.ThrowsAsync<ArgumentNullException>("input", () => _template.RunAsync(null!));
    }
}
