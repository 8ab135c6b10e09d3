using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AgentBatch.Hosting.Internal;

/// <summary>Finds each registered batch's options and chat client in the container.</summary>
internal sealed class AgentBatchFactory : IAgentBatchFactory
{
    private readonly IServiceProvider _services;
    private readonly BatchRunner _runner;
    private readonly IOptionsMonitor<BatchOptions> _options;
    private readonly Dictionary<string, AgentBatchRegistration> _registrations;

    public AgentBatchFactory(IServiceProvider services, BatchRunner runner, IOptionsMonitor<BatchOptions> options, IEnumerable<AgentBatchRegistration> registrations)
    {
        _services = services;
        _runner = runner;
        _options = options;
        _registrations = registrations.ToDictionary(r => r.Name, StringComparer.Ordinal);
    }

    public IReadOnlyCollection<string> Names => _registrations.Keys;

    public ConfiguredBatch Create(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!_registrations.TryGetValue(name, out var registration))
        {
            throw new InvalidOperationException(
                $"No batch named '{name}' is registered: call services.AddAgentBatch(\"{name}\", configuration.GetSection(\"...\")) first.");
        }

        var client = name == Options.DefaultName ? _services.GetService<IChatClient>() : _services.GetKeyedService<IChatClient>(name);
        if (client is null)
        {
            var section = registration.SectionPath.Length == 0 ? "" : $" (configuration section {registration.SectionPath})";
            throw new InvalidOperationException(name == Options.DefaultName
                ? $"The default batch{section} has no chat client: register an IChatClient with services.AddChatClient(...), "
                    + "or call services.AddAgentBatch().AddOpenAIChatClient() from the AgentBatch.OpenAI package."
                : $"The batch '{name}'{section} has no chat client: register one keyed by the batch's name with services.AddKeyedChatClient(\"{name}\", ...), "
                    + $"or call .AddOpenAIChatClient() (AgentBatch.OpenAI package) on services.AddAgentBatch(\"{name}\", ...).");
        }

        return new ConfiguredBatch(name, _runner, client, new BatchOptions(_options.Get(name)));
    }
}
