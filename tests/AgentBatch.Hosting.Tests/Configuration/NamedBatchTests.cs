using AgentBatch.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AgentBatch.Hosting.Tests;

/// <summary>Several batches in one host, each bound from a section the caller names, each with its own options and chat client.</summary>
public sealed class NamedBatchTests : IDisposable
{
    private readonly MockChatServer _reports = MockChatServer.Start(r => MockChatReply.Answer("report: " + r.LastUserText));
    private readonly MockChatServer _triage = MockChatServer.Start(r => MockChatReply.Answer("triage: " + r.LastUserText));
    private readonly MockChatServer _default = MockChatServer.Start();

    [Fact]
    public void AddAgentBatch_DefaultAndTwoNamedBatches_EachBindsItsOwnSectionAndGetsItsOwnClient()
    {
        using var provider = Build(new Dictionary<string, string?>
        {
            ["AgentBatch:MaxConcurrency"] = "2",
            ["Batches:Reports:MaxConcurrency"] = "8",
            ["Batches:Reports:MaxCost"] = "5",
            ["Batches:Triage:MaxConcurrency"] = "32",
        });

        var factory = provider.GetRequiredService<IAgentBatchFactory>();
        var monitor = provider.GetRequiredService<IOptionsMonitor<BatchOptions>>();
        var reports = factory.Create("Reports");
        var triage = factory.Create("Triage");
        var defaults = factory.Create(Options.DefaultName);

        Assert.Equal(["", "Reports", "Triage"], factory.Names.Order(StringComparer.Ordinal));
        Assert.Equal<(int?, int?, int?)>((2, 8, 32), (defaults.Options.MaxConcurrency, reports.Options.MaxConcurrency, triage.Options.MaxConcurrency));
        Assert.Equal(5m, reports.Options.MaxCost);
        Assert.Null(triage.Options.MaxCost);
        Assert.Equal(8, monitor.Get("Reports").MaxConcurrency);
        Assert.Equal(2, provider.GetRequiredService<IOptions<BatchOptions>>().Value.MaxConcurrency);
        Assert.Same(provider.GetRequiredKeyedService<IChatClient>("Reports"), reports.ChatClient);
        Assert.Same(provider.GetRequiredService<IChatClient>(), defaults.ChatClient);
        Assert.Same(provider.GetRequiredService<BatchRunner>(), reports.Runner);
        Assert.NotSame(factory.Create("Reports").Options, reports.Options);
    }

    [Fact]
    public async Task NamedBatch_RunsOnItsOwnClient()
    {
        using var provider = Build([]);
        var reports = provider.GetRequiredService<IAgentBatchFactory>().Create("Reports");

        var result = await reports.Runner.RunBatchAsync(new ChatAgent(reports.ChatClient), ["q1", "q2"], q => q, r => r.Text, reports.Options);

        Assert.Equal(["report: q1", "report: q2"], result.Items.Select(i => i.Output));
        Assert.Equal((2, 0, 0), (_reports.RequestCount, _triage.RequestCount, _default.RequestCount));
    }

    [Fact]
    public async Task NamedBatch_BadSetting_StopsTheHostNamingItsOwnSectionPath()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Batches:Reports:MaxConcurrency"] = "0",
            ["Batches:Triage:MaxAtempts"] = "2",
        });
        builder.Services.AddAgentBatch("Reports", builder.Configuration.GetSection("Batches:Reports"));
        builder.Services.AddAgentBatch("Triage", "Batches:Triage");
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<AggregateException>(() => host.StartAsync());

        var messages = error.InnerExceptions.Cast<OptionsValidationException>().SelectMany(e => e.Failures).Order(StringComparer.Ordinal);
        Assert.Equal(
            [
                "Batches:Reports:MaxConcurrency must be between 1 and 10000; it is 0.",
                "Batches:Triage:MaxAtempts is not a setting (did you mean MaxAttempts?)",
            ],
            messages);
    }

    [Fact]
    public void Create_UnknownName_Throws()
    {
        using var provider = Build([]);

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IAgentBatchFactory>().Create("Invoices"));

        Assert.Contains("No batch named 'Invoices' is registered", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_NamedBatchWithoutAKeyedClient_ThrowsSayingHowToRegisterOne()
    {
        var services = new ServiceCollection().AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddChatClient(_default.CreateChatClient());
        services.AddAgentBatch("Reports", "Batches:Reports");
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IAgentBatchFactory>().Create("Reports"));

        Assert.Equal(
            "The batch 'Reports' (configuration section Batches:Reports) has no chat client: register one keyed by the batch's name with "
            + "services.AddKeyedChatClient(\"Reports\", ...), or call .AddOpenAIChatClient() (AgentBatch.OpenAI package) on services.AddAgentBatch(\"Reports\", ...).",
            error.Message);
    }

    [Fact]
    public void AddAgentBatch_SameNameTwoSections_Throws()
    {
        var services = new ServiceCollection();
        services.AddAgentBatch("Reports", "Batches:Reports");

        var error = Assert.Throws<InvalidOperationException>(() => services.AddAgentBatch("Reports", "Other:Reports"));

        Assert.Equal("The batch 'Reports' is bound to the configuration section 'Batches:Reports' already; it cannot also be bound to 'Other:Reports'.", error.Message);
    }

    [Fact]
    public void AddAgentBatch_DefaultBatchFromANamedSection_AfterTheWorkerRegisteredIt_BindsThatSection()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AgentBatch:MaxConcurrency"] = "2",
            ["Batches:Default:MaxConcurrency"] = "6",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddAgentBatchWorker();
        var builder = services.AddAgentBatch(Options.DefaultName, configuration.GetSection("Batches:Default"), batch => batch.MaxAttempts = 1);
        using var provider = services.BuildServiceProvider();

        var batch = provider.GetRequiredService<IOptions<BatchOptions>>().Value;

        Assert.Equal<(string, int?, int)>(("Batches:Default", 6, 1), (builder.SectionPath, batch.MaxConcurrency, batch.MaxAttempts));
    }

    [Fact]
    public async Task Worker_WithBatchName_RunsOnThatBatchsOptionsAndClient()
    {
        using var bed = new WorkerTestBed { ChatClient = BedChatClient.None };
        bed.Settings["AgentBatch:Worker:BatchName"] = "Reports";
        bed.Settings["Batches:Reports:MaxConcurrency"] = "1";
        bed.AddFolderSet("named", new Dictionary<string, string> { ["a.txt"] = "a", ["b.txt"] = "b", ["c.txt"] = "c" });

        await bed.RunUntilIdleAsync(services =>
        {
            services.AddAgentBatch("Reports", "Batches:Reports");
            services.AddKeyedChatClient("Reports", _reports.CreateChatClient());
        });

        Assert.Equal((3, 0, 1), (_reports.RequestCount, bed.Server.RequestCount, _reports.MaxConcurrentRequests));
        Assert.All(bed.Results("named"), r => Assert.StartsWith("report: ", r.Output!.Value.GetString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Worker_WithAnUnregisteredBatchName_StopsTheHostNamingTheSetting()
    {
        using var bed = new WorkerTestBed();
        bed.Settings["AgentBatch:Worker:BatchName"] = "Reprots";
        using var host = bed.BuildHost();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.StartsWith("AgentBatch:Worker:BatchName names no registered batch ('Reprots')", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _reports.Dispose();
        _triage.Dispose();
        _default.Dispose();
    }

    private ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddAgentBatch();
        services.AddChatClient(_default.CreateChatClient());
        services.AddAgentBatch("Reports", configuration.GetSection("Batches:Reports"));
        services.AddKeyedChatClient("Reports", _reports.CreateChatClient());
        services.AddAgentBatch("Triage", "Batches:Triage");
        services.AddKeyedChatClient("Triage", _triage.CreateChatClient());
        return services.BuildServiceProvider();
    }
}
