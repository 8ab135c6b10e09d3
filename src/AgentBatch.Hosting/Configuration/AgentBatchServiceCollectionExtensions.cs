using AgentBatch;
using AgentBatch.Hosting;
using AgentBatch.Hosting.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers AgentBatch's batches, its document-set worker and its job manager in a service collection.</summary>
/// <remarks>
/// A batch is a <see cref="BatchOptions"/> bound from a configuration section and named after the batch, and the
/// <c>IChatClient</c> the app registers for it with Microsoft.Extensions.AI: <c>services.AddChatClient(...)</c> for the
/// default batch, <c>services.AddKeyedChatClient(name, ...)</c> for a named one (or <c>AddOpenAIChatClient()</c> on the
/// returned builder, from the AgentBatch.Hosting.OpenAI package). AgentBatch builds no client itself.
/// </remarks>
public static class AgentBatchServiceCollectionExtensions
{
    /// <summary>
    /// Registers the default batch: <see cref="BatchOptions"/> bound from the <c>AgentBatch</c> configuration section and
    /// validated when the host starts, <see cref="BatchRunner"/> and <see cref="IAgentBatchFactory"/>. Its agents call the
    /// unkeyed <c>IChatClient</c> (<c>services.AddChatClient(...)</c>).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Changes the batch options after they are bound from configuration; <see langword="null"/> for none.</param>
    /// <returns>The default batch's builder, for extensions such as <c>AddOpenAIChatClient()</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// <para>
    /// The options are <see cref="BatchOptions"/>' members under the section (<c>AgentBatch:MaxConcurrency</c>,
    /// <c>AgentBatch:Pricing:InputPerMillionTokens</c>, <c>AgentBatch:Secrets:0</c>, ...), registered as
    /// <c>IOptions&lt;BatchOptions&gt;</c> and checked by <see cref="BatchOptions"/>' own rules. A bad value stops the host
    /// with a message naming its path (<c>AgentBatch:MaxConcurrency must be between 1 and 10000; it is 0.</c>), and so does
    /// a key that is no setting (<c>AgentBatch:MaxConcurency is not a setting (did you mean MaxConcurrency?)</c>). Beside the
    /// options, the section may hold <c>Endpoint</c>, <c>Model</c> and <c>ApiKey</c> (read by AgentBatch.OpenAI) and
    /// <c>Worker</c> (the document worker's section).
    /// </para>
    /// <para>
    /// Code wins over configuration: <paramref name="configure"/>, or <c>services.Configure&lt;BatchOptions&gt;(...)</c>
    /// after this call. Calling this again adds only <paramref name="configure"/>. To bind the default batch from another
    /// section, call <see cref="AddAgentBatch(IServiceCollection, string, IConfiguration, Action{BatchOptions}?)"/> with
    /// <see cref="Options.Options.DefaultName"/>.
    /// </para>
    /// </remarks>
    public static AgentBatchBuilder AddAgentBatch(this IServiceCollection services, Action<BatchOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var registration = Find(services, Options.Options.DefaultName) ?? Register(
            services,
            new AgentBatchRegistration(Options.Options.DefaultName, AgentBatchRegistration.DefaultSectionPath, FromHostConfiguration(AgentBatchRegistration.DefaultSectionPath), isImplicit: true));
        return Configure(services, registration, configure);
    }

    /// <summary>
    /// Registers the batch named <paramref name="name"/>, its <see cref="BatchOptions"/> bound from
    /// <paramref name="configuration"/> (a section the caller names, such as <c>configuration.GetSection("Batches:Reports")</c>)
    /// and validated when the host starts. Its agents call the <c>IChatClient</c> keyed by <paramref name="name"/>
    /// (<c>services.AddKeyedChatClient(name, ...)</c>).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The batch's name: its options' name and its chat client's key; <see cref="Options.Options.DefaultName"/> (empty) for the default batch, which calls the unkeyed client.</param>
    /// <param name="configuration">The section the batch binds from.</param>
    /// <param name="configure">Changes the batch options after they are bound from configuration; <see langword="null"/> for none.</param>
    /// <returns>The batch's builder, for extensions such as <c>AddOpenAIChatClient()</c>.</returns>
    /// <exception cref="ArgumentNullException">An argument other than <paramref name="configure"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">The batch is registered already with another section.</exception>
    /// <remarks>
    /// The named options are <c>IOptionsMonitor&lt;BatchOptions&gt;.Get(name)</c>; <see cref="IAgentBatchFactory.Create(string)"/>
    /// returns them with the chat client and the runner. Settings, validation and messages are as for
    /// <see cref="AddAgentBatch(IServiceCollection, Action{BatchOptions}?)"/>, with paths under the section
    /// (<c>Batches:Reports:MaxConcurrency must be between 1 and 10000; it is 0.</c>).
    /// </remarks>
    public static AgentBatchBuilder AddAgentBatch(this IServiceCollection services, string name, IConfiguration configuration, Action<BatchOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(configuration);
        var path = configuration is IConfigurationSection section ? section.Path : "";
        return AddNamed(services, name, path, _ => configuration, configure);
    }

    /// <summary>
    /// Registers the batch named <paramref name="name"/>, its <see cref="BatchOptions"/> bound from the section at
    /// <paramref name="sectionPath"/> of the host's configuration (for example <c>Batches:Reports</c>); see
    /// <see cref="AddAgentBatch(IServiceCollection, string, IConfiguration, Action{BatchOptions}?)"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The batch's name: its options' name and its chat client's key; <see cref="Options.Options.DefaultName"/> (empty) for the default batch.</param>
    /// <param name="sectionPath">The path of the section in the host's <see cref="IConfiguration"/>, read when the options are first used.</param>
    /// <param name="configure">Changes the batch options after they are bound from configuration; <see langword="null"/> for none.</param>
    /// <returns>The batch's builder, for extensions such as <c>AddOpenAIChatClient()</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/>, <paramref name="name"/> or <paramref name="sectionPath"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="sectionPath"/> is empty or white space.</exception>
    /// <exception cref="InvalidOperationException">The batch is registered already with another section.</exception>
    public static AgentBatchBuilder AddAgentBatch(this IServiceCollection services, string name, string sectionPath, Action<BatchOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(sectionPath);
        return AddNamed(services, name, sectionPath, FromHostConfiguration(sectionPath), configure);
    }

    /// <summary>
    /// Registers the default batch (see <see cref="AddAgentBatch(IServiceCollection, Action{BatchOptions}?)"/>) and the
    /// <see cref="DocumentSetWorker"/> hosted service, with <see cref="DocumentWorkerOptions"/> bound from the
    /// <c>AgentBatch:Worker</c> section and validated when the host starts.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Changes the worker options after they are bound from configuration; <see langword="null"/> for none.</param>
    /// <returns>The same services, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// The worker runs on the default batch, or on the batch <see cref="DocumentWorkerOptions.BatchName"/> names. A key of
    /// the worker's section that is no setting stops the host (<c>AgentBatch:Worker:InboxPth is not a setting (did you mean
    /// InboxPath?)</c>). Progress is checkpointed to an embedded SQLite file (<see cref="SqliteCheckpointStore"/>) unless
    /// another <see cref="IDocumentCheckpointStore"/> is registered before this call.
    /// </remarks>
    public static IServiceCollection AddAgentBatchWorker(this IServiceCollection services, Action<DocumentWorkerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddAgentBatch();
        var options = services.AddOptions<DocumentWorkerOptions>();
        if (!services.Any(d => d.ImplementationType == typeof(DocumentWorkerOptionsValidator)))
        {
            // Bound before any configure callback, so code wins over configuration.
            options.Configure<IConfiguration>(static (worker, configuration) => BindWorker(worker, configuration.GetSection(DocumentWorkerOptions.SectionName))).ValidateOnStart();
            services.AddSingleton<IOptionsChangeTokenSource<DocumentWorkerOptions>>(
                static sp => new ConfigurationChangeTokenSource<DocumentWorkerOptions>(sp.GetRequiredService<IConfiguration>().GetSection(DocumentWorkerOptions.SectionName)));
            options.PostConfigure<IServiceProvider>(static (worker, sp) => ResolvePaths(worker, sp.GetService<IHostEnvironment>()?.ContentRootPath));
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DocumentWorkerOptions>, DocumentWorkerOptionsValidator>());
        services.TryAddSingleton<IDocumentCheckpointStore>(sp =>
        {
            var worker = sp.GetRequiredService<IOptions<DocumentWorkerOptions>>().Value;
            var path = worker.CheckpointPath ?? Path.Combine(worker.OutputPath, ".agentbatch", "checkpoints.db");
            return new SqliteCheckpointStore(path, sp.GetService<TimeProvider>());
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, DocumentSetWorker>());
        return services;
    }

    /// <summary>
    /// Registers the default batch (see <see cref="AddAgentBatch(IServiceCollection, Action{BatchOptions}?)"/>) and an
    /// <see cref="IBatchJobManager"/> on it: a queue of tasks with priorities, retries, start and stop, status, results and export.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="templateFactory">Makes the agent every task's clone comes from; <see langword="null"/> for a <see cref="ChatAgent"/> over the default batch's <c>IChatClient</c>.</param>
    /// <returns>The same services, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    public static IServiceCollection AddAgentBatchJobs(this IServiceCollection services, Func<IServiceProvider, IBatchAgent>? templateFactory = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddAgentBatch();
        services.TryAddSingleton<IBatchJobManager>(sp =>
        {
            BatchRunner runner;
            BatchOptions batch;
            IBatchAgent template;
            if (templateFactory is null)
            {
                var configured = sp.GetRequiredService<IAgentBatchFactory>().Create(Options.Options.DefaultName);
                (runner, batch) = (configured.Runner, configured.Options);
                template = new ChatAgent(configured.ChatClient, new ChatAgentOptions { Name = "task" });
            }
            else
            {
                // A template of the caller's own needs no chat client from the container.
                (runner, batch) = (sp.GetRequiredService<BatchRunner>(), sp.GetRequiredService<IOptionsMonitor<BatchOptions>>().Get(Options.Options.DefaultName));
                template = templateFactory(sp);
            }

            return new BatchJobManager(runner, template, batch, sp.GetService<TimeProvider>(), sp.GetService<ILogger<BatchJobManager>>());
        });
        return services;
    }

    private static AgentBatchBuilder AddNamed(
        IServiceCollection services, string name, string sectionPath, Func<IServiceProvider, IConfiguration> section, Action<BatchOptions>? configure)
    {
        var registration = Find(services, name);
        if (registration is null)
        {
            registration = Register(services, new AgentBatchRegistration(name, sectionPath, section, isImplicit: false));
        }
        else if (registration.IsImplicit)
        {
            // AddAgentBatch() or the worker registered the default batch on the default section; the caller names another.
            registration.BindTo(sectionPath, section);
        }
        else if (!string.Equals(registration.SectionPath, sectionPath, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"{Capitalize(registration.DisplayName)} is bound to the configuration section '{registration.SectionPath}' already; it cannot also be bound to '{sectionPath}'.");
        }

        return Configure(services, registration, configure);
    }

    private static AgentBatchRegistration Register(IServiceCollection services, AgentBatchRegistration registration)
    {
        var name = registration.Name;
        services.AddSingleton(registration);

        // Bound before any configure callback, so code wins over configuration.
        services.AddOptions<BatchOptions>(name)
            .Configure<IServiceProvider>((batch, sp) => BatchOptionsBinding.Bind(batch, registration.Section(sp), registration))
            .ValidateOnStart();
        services.AddSingleton<IOptionsChangeTokenSource<BatchOptions>>(sp => new ConfigurationChangeTokenSource<BatchOptions>(name, registration.Section(sp)));
        services.AddSingleton<IValidateOptions<BatchOptions>>(new BatchOptionsValidator(registration));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new BatchRunner(sp.GetService<ILoggerFactory>(), sp.GetService<TimeProvider>()));
        services.TryAddSingleton<IAgentBatchFactory, AgentBatchFactory>();
        return registration;
    }

    private static AgentBatchBuilder Configure(IServiceCollection services, AgentBatchRegistration registration, Action<BatchOptions>? configure)
    {
        if (configure is not null)
        {
            services.Configure(registration.Name, configure);
        }

        return new AgentBatchBuilder(services, registration);
    }

    private static AgentBatchRegistration? Find(IServiceCollection services, string name) =>
        services.Select(d => d.IsKeyedService ? null : d.ImplementationInstance).OfType<AgentBatchRegistration>().FirstOrDefault(r => r.Name == name);

    private static Func<IServiceProvider, IConfiguration> FromHostConfiguration(string sectionPath) =>
        sp => sp.GetRequiredService<IConfiguration>().GetSection(sectionPath);

    private static string Capitalize(string text) => char.ToUpperInvariant(text[0]) + text[1..];

    /// <summary>Binds the worker's settings, refusing a key that is no setting.</summary>
    private static void BindWorker(DocumentWorkerOptions worker, IConfigurationSection section)
    {
        var unknown = ConfigurationKeys.FindUnknown(section, section.Path, typeof(DocumentWorkerOptions), []);
        if (unknown.Count > 0)
        {
            throw new OptionsValidationException(Options.Options.DefaultName, typeof(DocumentWorkerOptions), unknown);
        }

        section.Bind(worker);
    }

    /// <summary>Makes relative folders relative to the host's content root, as configuration files are.</summary>
    private static void ResolvePaths(DocumentWorkerOptions worker, string? contentRoot)
    {
        if (contentRoot is null)
        {
            return;
        }

        worker.InboxPath = Resolve(worker.InboxPath)!;
        worker.OutputPath = Resolve(worker.OutputPath)!;
        worker.ProcessedPath = Resolve(worker.ProcessedPath);
        worker.CheckpointPath = Resolve(worker.CheckpointPath);

        string? Resolve(string? path) => string.IsNullOrWhiteSpace(path) ? path : Path.GetFullPath(path, contentRoot);
    }
}
