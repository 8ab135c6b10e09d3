using System.ClientModel;
using System.ClientModel.Primitives;
using AgentBatch;
using AgentBatch.Hosting;
using AgentBatch.Hosting.Internal;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OpenAI;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Gives a batch registered with <c>AddAgentBatch</c> an OpenAI chat client built from its configuration.</summary>
public static class OpenAIAgentBatchBuilderExtensions
{
    /// <summary>
    /// Registers the batch's chat client: the OpenAI .NET client for <see cref="AgentBatchOpenAIOptions.Endpoint"/> (or OpenAI
    /// itself) and <see cref="AgentBatchOpenAIOptions.Model"/>, with <see cref="AgentBatchOpenAIOptions.ApiKey"/>, all bound
    /// from the batch's configuration section (<c>AgentBatch:Endpoint</c>, <c>AgentBatch:Model</c>, <c>AgentBatch:ApiKey</c>
    /// for the default batch) and validated when the host starts.
    /// </summary>
    /// <param name="builder">The batch, from <c>services.AddAgentBatch(...)</c>.</param>
    /// <param name="configure">Changes the connection settings after they are bound from configuration; <see langword="null"/> for none.</param>
    /// <returns>The chat client's builder, as <c>services.AddChatClient(...)</c> returns it, to add layers (<c>UseLogging()</c>, <c>UseOpenTelemetry()</c>, ...).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// <para>
    /// The default batch's client is registered unkeyed, as <c>services.AddChatClient(...)</c> does; a named batch's is
    /// keyed by the batch's name, as <c>services.AddKeyedChatClient(name, ...)</c> does. A client registered that way
    /// after this call replaces it.
    /// </para>
    /// <para>
    /// The client's own retries are off (<c>RetryPolicy = new ClientRetryPolicy(0)</c>), since <see cref="BatchRunner"/>
    /// retries and counts attempts, and its network timeout is the batch's <see cref="BatchOptions.AttemptTimeout"/>. The key
    /// is added to the batch's <see cref="BatchOptions.Secrets"/>; it is never logged and no validation message echoes it.
    /// </para>
    /// </remarks>
    public static ChatClientBuilder AddOpenAIChatClient(this AgentBatchBuilder builder, Action<AgentBatchOpenAIOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var name = builder.Name;
        var services = builder.Services;
        var options = builder.BindOptions<AgentBatchOpenAIOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        if (!services.Any(d => d.ImplementationInstance is AgentBatchOpenAIOptionsValidator validator && validator.BatchName == name))
        {
            services.AddSingleton<IValidateOptions<AgentBatchOpenAIOptions>>(new AgentBatchOpenAIOptionsValidator(builder));
            services.AddOptions<BatchOptions>(name).PostConfigure<IOptionsMonitor<AgentBatchOpenAIOptions>>((batch, connection) => AddApiKeyToSecrets(batch, connection, name));
        }

        return name == Options.Options.DefaultName
            ? services.AddChatClient(sp => CreateChatClient(sp, name))
            : services.AddKeyedChatClient(name, sp => CreateChatClient(sp, name));
    }

    /// <summary>Adds the API key to the secrets every error message is cleaned of, so the key never reaches a result, a log or a file.</summary>
    private static void AddApiKeyToSecrets(BatchOptions batch, IOptionsMonitor<AgentBatchOpenAIOptions> connection, string name)
    {
        string? key;
        try
        {
            key = connection.Get(name).ApiKey;
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

    private static IChatClient CreateChatClient(IServiceProvider services, string name)
    {
        var options = services.GetRequiredService<IOptionsMonitor<AgentBatchOpenAIOptions>>().Get(name);
        var batch = services.GetRequiredService<IOptionsMonitor<BatchOptions>>().Get(name);
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
        // The same client's Batch API goes with it, for sets and batches run with Execution = ProviderBatch.
        return new OpenAIClient(new ApiKeyCredential(key), clientOptions).AsBatchChatClient(options.Model);
    }
}
