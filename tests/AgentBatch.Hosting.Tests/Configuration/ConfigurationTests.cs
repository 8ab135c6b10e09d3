using AgentBatch.Testing;
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
    [InlineData("AgentBatch:MaxAttempts", "-1", "AgentBatch:MaxAttempts must be between 1 and 100")]
    [InlineData("AgentBatch:AttemptTimeout", "00:00:00", "AgentBatch:AttemptTimeout must be longer than zero")]
    [InlineData("AgentBatch:MaxTotalTokens", "0", "AgentBatch:MaxTotalTokens must be at least 1")]
    [InlineData("AgentBatch:MaxCost", "-5", "AgentBatch:MaxCost cannot be negative")]
    [InlineData("AgentBatch:InputPricePerMillionTokens", "0.15", "must be set together")]
    [InlineData("AgentBatch:Model", " ", "AgentBatch:Model must name a model")]
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

    [Fact]
    public async Task NoApiKeyNoEndpoint_AndNoChatClientOfYourOwn_StopsTheHostNamingTheApiKeySetting()
    {
        using var bed = new WorkerTestBed { UseMockChatClient = false };
        using var host = bed.BuildHost();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("AgentBatch:ApiKey is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("AgentBatch__ApiKey", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChatClientOfYourOwn_RegisteredAfterAddAgentBatch_IsUsedAndNeedsNoApiKey()
    {
        using var bed = new WorkerTestBed { UseMockChatClient = false };
        bed.AddFolderSet("own", new Dictionary<string, string> { ["a.txt"] = "a" });

        await bed.RunUntilIdleAsync(services => services.AddSingleton(bed.Server.CreateChatClient()));

        Assert.Equal(1, bed.Server.RequestCount);
    }

    [Fact]
    public async Task ValidationMessages_NeverEchoTheApiKeyOrEndpointCredentials()
    {
        using var bed = new WorkerTestBed { UseMockChatClient = false };
        bed.Settings["AgentBatch:ApiKey"] = "sk-secret-in-config";
        bed.Settings["AgentBatch:Endpoint"] = "ftp://admin:hunter2@example.com/v1";
        using var host = bed.BuildHost();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("AgentBatch:Endpoint must be an absolute http or https address", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-secret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_BindFromConfiguration_AndCodeOverridesThem()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AgentBatch:Model"] = "gpt-4.1-mini",
            ["AgentBatch:ApiKey"] = "sk-test",
            ["AgentBatch:MaxConcurrency"] = "12",
            ["AgentBatch:TokensPerMinute"] = "90000",
            ["AgentBatch:InputPricePerMillionTokens"] = "0.4",
            ["AgentBatch:OutputPricePerMillionTokens"] = "1.6",
            ["AgentBatch:Worker:InboxPath"] = "/data/in",
            ["AgentBatch:Worker:OutputPath"] = "/data/out",
            ["AgentBatch:Worker:Profiles:triage:Instructions"] = "Triage the ticket.",
            ["AgentBatch:Worker:Profiles:triage:Output"] = "Json",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddAgentBatchWorker(worker => worker.WriteCsv = true);
        services.AddAgentBatch(options => options.MaxConcurrency = 3);
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<AgentBatchHostingOptions>>().Value;
        var worker = provider.GetRequiredService<IOptions<DocumentWorkerOptions>>().Value;
        var batch = options.ToBatchOptions();

        Assert.Equal(("gpt-4.1-mini", 3, 90_000), (options.Model, batch.MaxConcurrency!.Value, batch.TokensPerMinute!.Value));
        Assert.Equal(new ModelPricing(0.4m, 1.6m), batch.Pricing);
        Assert.Equal(("/data/in", true), (worker.InboxPath, worker.WriteCsv));
        Assert.Equal(DocumentOutputFormat.Json, worker.Profiles["TRIAGE"].Output);
        Assert.IsType<BatchRunner>(provider.GetRequiredService<BatchRunner>());
        Assert.Single(provider.GetServices<IChatClient>());
    }

    [Fact]
    public async Task BuiltInChatClient_TalksToTheConfiguredEndpointAndModel_WithoutItsOwnRetries()
    {
        using var server = MockChatServer.Start(_ => MockChatReply.Error(503, "overloaded"));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AgentBatch:Endpoint"] = server.Endpoint.ToString(),
            ["AgentBatch:Model"] = "local-model",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddAgentBatch();
        using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IChatClient>();

        await Assert.ThrowsAnyAsync<Exception>(() => client.GetResponseAsync("hello"));

        Assert.Equal(1, server.RequestCount);
        Assert.Equal("local-model", server.Requests[0].Model);
    }
}
