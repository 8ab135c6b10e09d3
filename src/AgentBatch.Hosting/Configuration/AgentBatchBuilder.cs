using AgentBatch.Hosting.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AgentBatch.Hosting;

/// <summary>
/// One batch registered with <c>services.AddAgentBatch(...)</c>: its name, its configuration section and the services,
/// for the extensions that add to it (for example <c>AddOpenAIChatClient()</c> from the AgentBatch.OpenAI package).
/// </summary>
/// <remarks>
/// A batch is a <see cref="BatchOptions"/> named after it (<c>IOptionsMonitor&lt;BatchOptions&gt;.Get(name)</c>) and the
/// <c>IChatClient</c> the app registers for it: keyed by its name (<c>services.AddKeyedChatClient(name, ...)</c>), or
/// unkeyed for the default batch (<c>services.AddChatClient(...)</c>). <see cref="IAgentBatchFactory"/> gives both, with the
/// <see cref="BatchRunner"/>.
/// </remarks>
public sealed class AgentBatchBuilder
{
    private readonly AgentBatchRegistration _registration;

    internal AgentBatchBuilder(IServiceCollection services, AgentBatchRegistration registration)
    {
        Services = services;
        _registration = registration;
    }

    /// <summary>Gets the batch's name: the name of its options and the key of its chat client; <see cref="Options.DefaultName"/> (empty) for the default batch.</summary>
    public string Name => _registration.Name;

    /// <summary>Gets the services the batch is registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Gets the path of the configuration section the batch binds from, as messages name it: <c>AgentBatch</c> for the default batch unless the caller names another, <c>Batches:Reports</c>, ...</summary>
    public string SectionPath => _registration.SectionPath;

    /// <summary>
    /// Registers <typeparamref name="TOptions"/> as options named after the batch, bound from the batch's configuration
    /// section and reloaded with it, and their members as keys that section may hold.
    /// </summary>
    /// <typeparam name="TOptions">The options type, for example the connection settings of a chat-client extension.</typeparam>
    /// <returns>The options builder, to add validation or configure callbacks; calling this again for the same type binds nothing more.</returns>
    /// <remarks>
    /// The section's keys are checked against <see cref="BatchOptions"/>' members and the members of every type bound
    /// this way: any other key stops the host at start-up as not a setting.
    /// </remarks>
    public OptionsBuilder<TOptions> BindOptions<TOptions>()
        where TOptions : class
    {
        var registration = _registration;
        var options = Services.AddOptions<TOptions>(registration.Name);
        if (registration.AddBoundOptions<TOptions>())
        {
            options.Configure<IServiceProvider>((value, services) => registration.Section(services).Bind(value));
            Services.AddSingleton<IOptionsChangeTokenSource<TOptions>>(
                services => new ConfigurationChangeTokenSource<TOptions>(registration.Name, registration.Section(services)));
        }

        return options;
    }
}
