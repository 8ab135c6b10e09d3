using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AgentBatch.Hosting.Tests;

public sealed class ConfigurationTests
{
    [Theory]
    [InlineData("AgentBatch:MaxConcurrency", "0", "AgentBatch:MaxConcurrency must be between 1 and 10000; it is 0.")]
    [InlineData("AgentBatch:MaxConcurrency", "10001", "AgentBatch:MaxConcurrency must be between 1 and 10000; it is 10001.")]
    [InlineData("AgentBatch:MaxAttempts", "-1", "AgentBatch:MaxAttempts must be between 1 and 100; it is -1.")]
    [InlineData("AgentBatch:AttemptTimeout", "00:00:00", "AgentBatch:AttemptTimeout must be longer than zero and at most 1.00:00:00; it is 00:00:00.")]
    [InlineData("AgentBatch:ItemTimeout", "-00:00:01", "AgentBatch:ItemTimeout must be longer than zero and at most 7.00:00:00; it is -00:00:01.")]
    [InlineData("AgentBatch:RetryBaseDelay", "2.00:00:00", "AgentBatch:RetryBaseDelay must be between 00:00:00 and 1.00:00:00; it is 2.00:00:00.")]
    [InlineData("AgentBatch:MaxTotalTokens", "0", "AgentBatch:MaxTotalTokens must be between 1 and 1000000000000000; it is 0.")]
    [InlineData("AgentBatch:MaxCost", "-5", "AgentBatch:MaxCost must be between 0 and 1000000000; it is -5.")]
    [InlineData("AgentBatch:TokensPerMinute", "0", "AgentBatch:TokensPerMinute must be between 1 and 1000000000; it is 0.")]
    [InlineData("AgentBatch:RequestsPerMinute", "0", "AgentBatch:RequestsPerMinute must be between 1 and 10000000; it is 0.")]
    [InlineData("AgentBatch:DefaultMaxOutputTokens", "0", "AgentBatch:DefaultMaxOutputTokens must be between 1 and 10000000; it is 0.")]
    [InlineData("AgentBatch:MaxItemsPerRequest", "0", "AgentBatch:MaxItemsPerRequest must be between 1 and 1000; it is 0.")]
    [InlineData("AgentBatch:MaxInputTokens", "0", "AgentBatch:MaxInputTokens must be between 1 and 100000000; it is 0.")]
    [InlineData("AgentBatch:MaxTokensPerRequest", "500", "AgentBatch:MaxTokensPerRequest applies only to grouped requests; it is 500 while AgentBatch:MaxItemsPerRequest is 1")]
    [InlineData("AgentBatch:Sequential", "true", "AgentBatch:Sequential runs one item at a time; AgentBatch:MaxConcurrency = 4 contradicts it; set one or the other.")]
    [InlineData("AgentBatch:Pricing:InputPerMillionTokens", "0.15", "AgentBatch:Pricing:InputPerMillionTokens and AgentBatch:Pricing:OutputPerMillionTokens must be set together.")]
    [InlineData("AgentBatch:InputPricePerMillionTokens", "0.15", "AgentBatch:InputPricePerMillionTokens is no longer read: set AgentBatch:Pricing:InputPerMillionTokens instead.")]
    [InlineData("AgentBatch:Worker:InboxPath", "", "AgentBatch:Worker:InboxPath is required")]
    [InlineData("AgentBatch:Worker:OutputPath", "inbox/results", "AgentBatch:Worker:OutputPath cannot be a folder of the inbox")]
    [InlineData("AgentBatch:Worker:ProcessedPath", "inbox/done", "AgentBatch:Worker:ProcessedPath cannot be a folder of the inbox")]
    [InlineData("AgentBatch:Worker:PollInterval", "-00:00:01", "AgentBatch:Worker:PollInterval must be longer than zero")]
    [InlineData("AgentBatch:Worker:SetRetryDelay", "00:00:00", "AgentBatch:Worker:SetRetryDelay must be longer than zero")]
    [InlineData("AgentBatch:Worker:MaxDocumentBytes", "0", "AgentBatch:Worker:MaxDocumentBytes must be at least 1")]
    [InlineData("AgentBatch:Worker:Profiles:brief:PromptTemplate", "Summarize {name}", "AgentBatch:Worker:Profiles:brief:PromptTemplate must contain {text}")]
    [InlineData("AgentBatch:Worker:Profiles:brief:Temperature", "3", "AgentBatch:Worker:Profiles:brief:Temperature must be between 0 and 2")]
    public async Task BadSetting_StopsTheHostAtStart_WithAMessageNamingIt(string setting, string value, string expected)
    {
        using var bed = new WorkerTestBed();
        bed.Settings[setting] = value;
        using var host = bed.BuildHost();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(0, bed.Server.RequestCount);
    }

    [Theory]
    [InlineData("-0.15", "0.6", "AgentBatch:Pricing:InputPerMillionTokens cannot be negative; it is -0.15.")]
    [InlineData("0.15", "-1", "AgentBatch:Pricing:OutputPerMillionTokens cannot be negative; it is -1.")]
    public async Task NegativePrice_StopsTheHostAtStart_NamingThePricingKey(string input, string output, string expected)
    {
        using var bed = new WorkerTestBed();
        bed.Settings["AgentBatch:Pricing:InputPerMillionTokens"] = input;
        bed.Settings["AgentBatch:Pricing:OutputPerMillionTokens"] = output;
        using var host = bed.BuildHost();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal(expected, Assert.Single(error.Failures));
        Assert.Equal(0, bed.Server.RequestCount);
    }

    [Fact]
    public async Task SeveralBadBatchSettings_StopTheHostWithOneMessageNamingEach()
    {
        using var bed = new WorkerTestBed();
        bed.Settings["AgentBatch:MaxConcurrency"] = "0";
        bed.Settings["AgentBatch:MaxAttempts"] = "0";
        bed.Settings["AgentBatch:MaxCost"] = "-1";
        using var host = bed.BuildHost();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal(
            [
                "AgentBatch:MaxConcurrency must be between 1 and 10000; it is 0.",
                "AgentBatch:MaxAttempts must be between 1 and 100; it is 0.",
                "AgentBatch:MaxCost must be between 0 and 1000000000; it is -1.",
            ],
            error.Failures);
    }

    [Fact]
    public void NoBatchSettings_BindTheBatchOptionsDefaults()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["AgentBatch:Endpoint"] = "http://localhost:11434/v1" }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddAgentBatch();
        using var provider = services.BuildServiceProvider();

        var batch = provider.GetRequiredService<IOptions<BatchOptions>>().Value;

        var defaults = new BatchOptions();
        Assert.Equal((defaults.MaxConcurrency, defaults.MaxAttempts, defaults.AttemptTimeout, defaults.RetryBaseDelay), (batch.MaxConcurrency, batch.MaxAttempts, batch.AttemptTimeout, batch.RetryBaseDelay));
        Assert.Equal((16, 4, TimeSpan.FromSeconds(100), TimeSpan.FromSeconds(1)), (batch.MaxConcurrency!.Value, batch.MaxAttempts, batch.AttemptTimeout!.Value, batch.RetryBaseDelay));
        Assert.Equal((true, false, 1), (batch.AdaptiveConcurrency, batch.Sequential, batch.MaxItemsPerRequest));
        Assert.Null(batch.ItemTimeout);
        Assert.Null(batch.MaxTotalTokens);
        Assert.Null(batch.MaxCost);
        Assert.Null(batch.Pricing);
        Assert.Null(batch.TokensPerMinute);
        Assert.Null(batch.MaxInputTokens);
        Assert.Empty(batch.Secrets);
    }

    [Theory]
    [InlineData("AgentBatch:MaxConcurency", "AgentBatch:MaxConcurency is not a setting (did you mean MaxConcurrency?)")]
    [InlineData("AgentBatch:maxattempt", "AgentBatch:maxattempt is not a setting (did you mean MaxAttempts?)")]
    [InlineData("AgentBatch:Modle", "AgentBatch:Modle is not a setting (did you mean Model?)")]
    [InlineData("AgentBatch:Colour", "AgentBatch:Colour is not a setting.")]
    [InlineData("AgentBatch:Pricing:InputPerMilionTokens", "AgentBatch:Pricing:InputPerMilionTokens is not a setting (did you mean InputPerMillionTokens?)")]
    [InlineData("AgentBatch:Worker:InboxPth", "AgentBatch:Worker:InboxPth is not a setting (did you mean InboxPath?)")]
    [InlineData("AgentBatch:Worker:Profiles:brief:Instruction", "AgentBatch:Worker:Profiles:brief:Instruction is not a setting (did you mean Instructions?)")]
    public async Task UnknownKey_StopsTheHostAtStart_NamingItsPathAndTheSettingMeant(string key, string expected)
    {
        using var bed = new WorkerTestBed();
        bed.Settings[key] = "1";
        using var host = bed.BuildHost();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal(expected, Assert.Single(error.Failures));
        Assert.Equal(0, bed.Server.RequestCount);
    }

    [Fact]
    public async Task HostingKeys_AndEveryBatchOptionsMember_AreNotReportedAsUnknown()
    {
        using var bed = new WorkerTestBed();
        bed.Settings["AgentBatch:Endpoint"] = "http://localhost:11434/v1";
        bed.Settings["AgentBatch:Model"] = "llama3.2";
        bed.Settings["AgentBatch:ApiKey"] = "unused-here";
        bed.Settings["AgentBatch:maxattempts"] = "3";
        bed.Settings["AgentBatch:Secrets:0"] = "token-one";
        bed.Settings["AgentBatch:Pricing:InputPerMillionTokens"] = "0";
        bed.Settings["AgentBatch:Pricing:OutputPerMillionTokens"] = "0";
        bed.Settings["AgentBatch:Worker:Profiles:default:Output"] = "Text";
        bed.Settings["AgentBatch:Worker:BatchName"] = "";
        bed.AddFolderSet("known", new Dictionary<string, string> { ["a.txt"] = "a" });

        await bed.RunUntilIdleAsync();

        Assert.Equal(1, bed.Server.RequestCount);
    }

    [Fact]
    public async Task NoChatClient_StopsTheHostAtStart_SayingHowToRegisterOne()
    {
        using var bed = new WorkerTestBed { ChatClient = BedChatClient.None };
        using var host = bed.BuildHost();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains("The default batch (configuration section AgentBatch) has no chat client", error.Message, StringComparison.Ordinal);
        Assert.Contains("services.AddChatClient(", error.Message, StringComparison.Ordinal);
        Assert.Contains("AddOpenAIChatClient()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChatClientOfYourOwn_RegisteredAfterTheWorker_IsUsed()
    {
        using var bed = new WorkerTestBed { ChatClient = BedChatClient.None };
        bed.AddFolderSet("own", new Dictionary<string, string> { ["a.txt"] = "a" });

        await bed.RunUntilIdleAsync(services => services.AddChatClient(bed.Server.CreateChatClient()).UseLogging());

        Assert.Equal(1, bed.Server.RequestCount);
    }

    [Fact]
    public void Settings_BindFromConfiguration_AndCodeOverridesThem()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AgentBatch:MaxConcurrency"] = "12",
            ["AgentBatch:TokensPerMinute"] = "90000",
            ["AgentBatch:MaxAttempts"] = "6",
            ["AgentBatch:Pricing:InputPerMillionTokens"] = "0.4",
            ["AgentBatch:Pricing:OutputPerMillionTokens"] = "1.6",
            ["AgentBatch:Worker:InboxPath"] = "/data/in",
            ["AgentBatch:Worker:OutputPath"] = "/data/out",
            ["AgentBatch:Worker:Profiles:triage:Instructions"] = "Triage the ticket.",
            ["AgentBatch:Worker:Profiles:triage:Output"] = "Json",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddAgentBatchWorker(worker => worker.WriteCsv = true);
        services.AddAgentBatch(batch => batch.MaxConcurrency = 3);
        services.Configure<BatchOptions>(batch => batch.MaxAttempts = 2);
        using var provider = services.BuildServiceProvider();

        var worker = provider.GetRequiredService<IOptions<DocumentWorkerOptions>>().Value;
        var batch = provider.GetRequiredService<IOptions<BatchOptions>>().Value;

        Assert.Equal((3, 90_000, 2), (batch.MaxConcurrency!.Value, batch.TokensPerMinute!.Value, batch.MaxAttempts));
        Assert.Equal(new ModelPricing(0.4m, 1.6m), batch.Pricing);
        Assert.Equal(("/data/in", true), (worker.InboxPath, worker.WriteCsv));
        Assert.Equal(DocumentOutputFormat.Json, worker.Profiles["TRIAGE"].Output);
        Assert.IsType<BatchRunner>(provider.GetRequiredService<BatchRunner>());
        Assert.Equal([""], provider.GetRequiredService<IAgentBatchFactory>().Names);
    }

    [Fact]
    public void CorePackages_DoNotDependOnOpenAI()
    {
        var references = new[] { typeof(BatchRunner).Assembly, typeof(DocumentSetWorker).Assembly }
            .SelectMany(a => a.GetReferencedAssemblies())
            .Select(a => a.Name!)
            .ToList();

        Assert.DoesNotContain(references, name => name.StartsWith("OpenAI", StringComparison.Ordinal) || name == "Microsoft.Extensions.AI.OpenAI");
        Assert.DoesNotContain("Microsoft.Extensions.Hosting", references);
    }
}
