using System.ClientModel;
using System.ClientModel.Primitives;
using AgentBatch;
using AgentBatch.Hosting;
using AgentBatch.Hosting.Internal;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenAI;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers AgentBatch, its document-set worker and its job manager in a service collection.</summary>
public static class AgentBatchServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="BatchRunner"/>, <see cref="AgentBatchHostingOptions"/> and <see cref="BatchOptions"/>, both bound
    /// from the <c>AgentBatch</c> configuration section and validated when the host starts, and an
    /// <see cref="IChatClient"/> for the configured endpoint unless one is registered already.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Changes the connection settings after they are bound from configuration; <see langword="null"/> for none.</param>
    /// <param name="configureBatch">Changes the batch options after they are bound from configuration; <see langword="null"/> for none.</param>
    /// <returns>The same services, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// <para>
    /// The batch options are the <see cref="BatchOptions"/> members under the section itself
    /// (<c>AgentBatch:MaxConcurrency</c>, <c>AgentBatch:MaxAttempts</c>, <c>AgentBatch:Pricing:InputPerMillionTokens</c>, ...),
    /// checked by <see cref="BatchOptions"/>' own rules; a bad one stops the host with a message naming its path
    /// (<c>AgentBatch:MaxConcurrency must be between 1 and 10000; it is 0.</c>). They are registered as
    /// <c>IOptions&lt;BatchOptions&gt;</c>; <see cref="AgentBatchHostingOptions.ApiKey"/>, when set, is added to their
    /// <see cref="BatchOptions.Secrets"/>. Code wins over configuration: <paramref name="configureBatch"/>, or
    /// <c>services.Configure&lt;BatchOptions&gt;(...)</c> after this call.
    /// </para>
    /// <para>
    /// The chat client is the OpenAI .NET client (for <see cref="AgentBatchHostingOptions.Endpoint"/>, or OpenAI itself)
    /// with its own retries turned off, since <see cref="BatchRunner"/> retries, and its network timeout set to
    /// <see cref="BatchOptions.AttemptTimeout"/>. Register your own <see cref="IChatClient"/> (Azure OpenAI, a
    /// <c>ChatClientBuilder</c> pipeline) before or after this call to use it instead; the endpoint settings are then not
    /// required.
    /// </para>
    /// </remarks>
    public static IServiceCollection AddAgentBatch(
        this IServiceCollection services, Action<AgentBatchHostingOptions>? configure = null, Action<BatchOptions>? configureBatch = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<AgentBatchHostingOptions>();
        var batch = services.AddOptions<BatchOptions>();
        if (!services.Any(d => d.ServiceType == typeof(AgentBatchRegistration)))
        {
            // Bound before any configure callback, so code wins over configuration.
            options.BindConfiguration(AgentBatchHostingOptions.SectionName).ValidateOnStart();
            batch.Configure<IConfiguration>(BatchOptionsBinding.Bind).ValidateOnStart();
            services.AddSingleton<IOptionsChangeTokenSource<BatchOptions>>(
                sp => new ConfigurationChangeTokenSource<BatchOptions>(Microsoft.Extensions.Options.Options.DefaultName, sp.GetRequiredService<IConfiguration>()));
            batch.PostConfigure<IOptions<AgentBatchHostingOptions>>(AddApiKeyToSecrets);
            var builtIn = ServiceDescriptor.Singleton<IChatClient>(CreateChatClient);
            services.AddSingleton(new AgentBatchRegistration());
            services.TryAdd(builtIn);
            services.AddSingleton<IValidateOptions<AgentBatchHostingOptions>>(
                new AgentBatchHostingOptionsValidator(() => services.LastOrDefault(d => d.ServiceType == typeof(IChatClient) && !d.IsKeyedService) == builtIn));
            services.AddSingleton<IValidateOptions<BatchOptions>, BatchOptionsValidator>();
            services.TryAddSingleton(TimeProvider.System);
            services.TryAddSingleton(sp => new BatchRunner(sp.GetService<ILoggerFactory>(), sp.GetService<TimeProvider>()));
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        if (configureBatch is not null)
        {
            batch.Configure(configureBatch);
        }

        return services;
    }

    /// <summary>
    /// Registers AgentBatch (see <see cref="AddAgentBatch"/>) and the <see cref="DocumentSetWorker"/> hosted service, with
    /// <see cref="DocumentWorkerOptions"/> bound from the <c>AgentBatch:Worker</c> section and validated when the host starts.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Changes the worker options after they are bound from configuration; <see langword="null"/> for none.</param>
    /// <returns>The same services, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// Progress is checkpointed to an embedded SQLite file (<see cref="SqliteCheckpointStore"/>) unless another
    /// <see cref="IDocumentCheckpointStore"/> is registered before this call.
    /// </remarks>
    public static IServiceCollection AddAgentBatchWorker(this IServiceCollection services, Action<DocumentWorkerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddAgentBatch();
        var options = services.AddOptions<DocumentWorkerOptions>();
        if (!services.Any(d => d.ImplementationType == typeof(DocumentWorkerOptionsValidator)))
        {
            options.BindConfiguration(DocumentWorkerOptions.SectionName).ValidateOnStart();
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
    /// Registers AgentBatch (see <see cref="AddAgentBatch"/>) and an <see cref="IBatchJobManager"/>: a queue of tasks
    /// with priorities, retries, start and stop, status, results and export.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="templateFactory">Makes the agent every task's clone comes from; <see langword="null"/> for a <see cref="ChatAgent"/> over the registered <see cref="IChatClient"/>.</param>
    /// <returns>The same services, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    public static IServiceCollection AddAgentBatchJobs(this IServiceCollection services, Func<IServiceProvider, IBatchAgent>? templateFactory = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddAgentBatch();
        services.TryAddSingleton<IBatchJobManager>(sp =>
        {
            var hosting = sp.GetRequiredService<IOptions<AgentBatchHostingOptions>>().Value;
            var batch = sp.GetRequiredService<IOptions<BatchOptions>>().Value;
            var template = templateFactory?.Invoke(sp) ?? new ChatAgent(
                sp.GetRequiredService<IChatClient>(), new ChatAgentOptions { Name = "task", ChatOptions = new ChatOptions { ModelId = hosting.Model } });
            return new BatchJobManager(
                sp.GetRequiredService<BatchRunner>(), template, batch, sp.GetService<TimeProvider>(), sp.GetService<ILogger<BatchJobManager>>());
        });
        return services;
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

    /// <summary>Adds the API key to the secrets every error message is cleaned of, so the key never reaches a result, a log or a file.</summary>
    private static void AddApiKeyToSecrets(BatchOptions batch, IOptions<AgentBatchHostingOptions> hosting)
    {
        string? key;
        try
        {
            key = hosting.Value.ApiKey;
        }
        catch (OptionsValidationException)
        {
            // The host does not start; the connection settings' own validation reports why.
            return;
        }

        if (!string.IsNullOrWhiteSpace(key) && !batch.Secrets.Contains(key))
        {
            batch.Secrets.Add(key);
        }
    }

    private static IChatClient CreateChatClient(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<AgentBatchHostingOptions>>().Value;
        var batch = services.GetRequiredService<IOptions<BatchOptions>>().Value;
        var clientOptions = new OpenAIClientOptions
        {
            // BatchRunner retries and counts attempts; the client's own retries would multiply them.
            RetryPolicy = new ClientRetryPolicy(0),

            // The client's timeout is the attempt's: none when attempts have no limit, not the client's own 100 seconds.
            NetworkTimeout = batch.AttemptTimeout ?? Timeout.InfiniteTimeSpan,
        };
        if (options.Endpoint is { } endpoint)
        {
            clientOptions.Endpoint = endpoint;
        }

        // Local OpenAI-compatible servers take any key; the client insists on one.
        var key = string.IsNullOrWhiteSpace(options.ApiKey) ? "no-key" : options.ApiKey;
        return new OpenAIClient(new ApiKeyCredential(key), clientOptions).GetChatClient(options.Model).AsBatchChatClient();
    }
}
