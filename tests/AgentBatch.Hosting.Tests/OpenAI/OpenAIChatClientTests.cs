using AgentBatch.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AgentBatch.Hosting.Tests;

/// <summary>AgentBatch.OpenAI's opt-in client: built from the batch's Endpoint, Model and ApiKey, retries off, the key kept secret.</summary>
public sealed class OpenAIChatClientTests
{
    [Fact]
    public async Task AddOpenAIChatClient_TalksToTheConfiguredEndpointAndModel_WithoutItsOwnRetries()
    {
        using var server = MockChatServer.Start(_ => MockChatReply.Error(503, "overloaded"));
        using var provider = Build(new Dictionary<string, string?>
        {
            ["AgentBatch:Endpoint"] = server.Endpoint.ToString(),
            ["AgentBatch:Model"] = "local-model",
        });
        var client = provider.GetRequiredService<IChatClient>();

        await Assert.ThrowsAnyAsync<Exception>(() => client.GetResponseAsync("hello"));

        Assert.Equal(1, server.RequestCount);
        Assert.Equal("local-model", server.Requests[0].Model);
        Assert.Equal("local-model", client.GetService<ChatClientMetadata>()?.DefaultModelId);
    }

    [Fact]
    public async Task AddOpenAIChatClient_OnANamedBatch_RegistersAClientKeyedByItsNameFromItsOwnSection()
    {
        using var server = MockChatServer.Start();
        using var provider = Build(
            new Dictionary<string, string?>
            {
                ["Batches:Reports:Endpoint"] = server.Endpoint.ToString(),
                ["Batches:Reports:Model"] = "reports-model",
                ["Batches:Reports:ApiKey"] = "reports-key-zz",
            },
            services => services.AddAgentBatch("Reports", "Batches:Reports").AddOpenAIChatClient());
        var reports = provider.GetRequiredService<IAgentBatchFactory>().Create("Reports");

        var result = await reports.Runner.RunBatchAsync(new ChatAgent(reports.ChatClient), ["q"], q => q, r => r.Text, reports.Options);

        Assert.Equal("Echo: q", Assert.Single(result.Items).Output);
        Assert.Equal("reports-model", server.Requests[0].Model);
        Assert.Equal(["reports-key-zz"], reports.Options.Secrets);
        Assert.Null(provider.GetService<IChatClient>());
        Assert.Empty(provider.GetRequiredService<IOptions<BatchOptions>>().Value.Secrets);
    }

    [Fact]
    public void ApiKey_IsAddedToTheBatchSecrets()
    {
        using var provider = Build(new Dictionary<string, string?>
        {
            ["AgentBatch:ApiKey"] = "live-key-without-a-known-prefix",
            ["AgentBatch:Secrets:0"] = "another-token",
        });

        var batch = provider.GetRequiredService<IOptions<BatchOptions>>().Value;

        Assert.Equal(["another-token", "live-key-without-a-known-prefix"], batch.Secrets);
    }

    [Fact]
    public void Settings_BindFromTheBatchSection_AndCodeOverridesThem()
    {
        using var provider = Build(
            new Dictionary<string, string?> { ["AgentBatch:Model"] = "gpt-4.1-mini", ["AgentBatch:Endpoint"] = "http://localhost:11434/v1" },
            services => services.AddAgentBatch().AddOpenAIChatClient(o => o.Endpoint = new Uri("http://localhost:8000/v1")));

        var options = provider.GetRequiredService<IOptionsMonitor<AgentBatchOpenAIOptions>>().Get(Options.DefaultName);

        Assert.Equal(("gpt-4.1-mini", new Uri("http://localhost:8000/v1")), (options.Model, options.Endpoint));
        Assert.Single(provider.GetServices<IChatClient>());
    }

    [Theory]
    [InlineData("AgentBatch:Model", " ", "AgentBatch:Model must name a model, for example 'gpt-4o-mini'.")]
    [InlineData("AgentBatch:Endpoint", "localhost:11434", "AgentBatch:Endpoint must be an absolute http or https address; it is 'localhost:11434'.")]
    public async Task BadSetting_StopsTheHostAtStart_WithAMessageNamingIt(string setting, string value, string expected)
    {
        using var bed = new WorkerTestBed { ChatClient = BedChatClient.OpenAI };
        bed.Settings["AgentBatch:Endpoint"] = bed.Server.Endpoint.ToString();
        bed.Settings[setting] = value;
        using var host = bed.BuildHost();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal(expected, Assert.Single(error.Failures));
        Assert.Equal(0, bed.Server.RequestCount);
    }

    [Fact]
    public async Task NoApiKeyNoEndpoint_StopsTheHostNamingTheApiKeySetting()
    {
        using var bed = new WorkerTestBed { ChatClient = BedChatClient.OpenAI };
        using var host = bed.BuildHost();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("AgentBatch:ApiKey is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("AgentBatch__ApiKey", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NamedBatch_NoApiKeyNoEndpoint_NamesItsOwnSectionAndVariable()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new Microsoft.Extensions.Hosting.HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAgentBatch("Reports", "Batches:Reports").AddOpenAIChatClient();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.StartsWith(
            "Batches:Reports:ApiKey is required to call OpenAI: set it with user secrets or the Batches__Reports__ApiKey environment variable, or set Batches:Reports:Endpoint",
            Assert.Single(error.Failures),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidationMessages_NeverEchoTheApiKeyOrEndpointCredentials()
    {
        using var bed = new WorkerTestBed { ChatClient = BedChatClient.OpenAI };
        bed.Settings["AgentBatch:ApiKey"] = "sk-secret-in-config";
        bed.Settings["AgentBatch:Endpoint"] = "ftp://admin:hunter2@example.com/v1";
        using var host = bed.BuildHost();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("AgentBatch:Endpoint must be an absolute http or https address", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-secret", error.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings, Action<IServiceCollection>? register = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        if (register is null)
        {
            services.AddAgentBatch().AddOpenAIChatClient();
        }
        else
        {
            register(services);
        }

        return services.BuildServiceProvider();
    }
}
