using Microsoft.Extensions.Configuration;

namespace AgentBatch.Hosting.Internal;

/// <summary>One batch <c>AddAgentBatch</c> registered: its name, the configuration section it binds from, and the keys that section may hold.</summary>
/// <remarks>
/// Changed only while services are registered (one thread), read once the provider is built. A registration made
/// implicitly (<c>AddAgentBatch()</c>, <c>AddAgentBatchWorker()</c>) binds the default batch from <c>AgentBatch</c>
/// until an explicit <c>AddAgentBatch(name, section)</c> names another section for it.
/// </remarks>
internal sealed class AgentBatchRegistration
{
    /// <summary>The section the default batch binds from unless the caller names another.</summary>
    public const string DefaultSectionPath = "AgentBatch";

    /// <summary>
    /// Keys a batch section may hold beside <see cref="BatchOptions"/>' members: the connection settings a chat-client
    /// extension reads (AgentBatch.OpenAI), the document worker's section and the shared store's
    /// (AgentBatch.Hosting.PostgreSql). Accepted whether or not anything reads them, so an app can keep a real endpoint's
    /// settings in its configuration while it runs on a mock.
    /// </summary>
    public static readonly IReadOnlyList<string> ReservedKeys = ["Endpoint", "Model", "ApiKey", "Worker", "PostgreSql"];

    private readonly HashSet<string> _knownKeys = new(ReservedKeys, StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<Type> _boundOptions = [];

    public AgentBatchRegistration(string name, string sectionPath, Func<IServiceProvider, IConfiguration> section, bool isImplicit)
    {
        Name = name;
        SectionPath = sectionPath;
        Section = section;
        IsImplicit = isImplicit;
    }

    /// <summary>Gets the batch's name: its options' name and its chat client's key; empty for the default batch.</summary>
    public string Name { get; }

    /// <summary>Gets the path of the section, as messages name it (<c>AgentBatch</c>, <c>Batches:Reports</c>); empty for a configuration root.</summary>
    public string SectionPath { get; private set; }

    /// <summary>Gets the function that finds the section in the built provider.</summary>
    public Func<IServiceProvider, IConfiguration> Section { get; private set; }

    /// <summary>Gets a value indicating whether the default section was chosen for the caller.</summary>
    public bool IsImplicit { get; private set; }

    /// <summary>Gets the keys the section may hold beside <see cref="BatchOptions"/>' members.</summary>
    public IReadOnlyCollection<string> KnownKeys => _knownKeys;

    /// <summary>Gets the display name used in messages: <c>the default batch</c> or <c>the batch 'Reports'</c>.</summary>
    public string DisplayName => Name.Length == 0 ? "the default batch" : $"the batch '{Name}'";

    /// <summary>Binds the batch to the section the caller names.</summary>
    public void BindTo(string sectionPath, Func<IServiceProvider, IConfiguration> section)
    {
        SectionPath = sectionPath;
        Section = section;
        IsImplicit = false;
    }

    /// <summary>Records that <typeparamref name="TOptions"/> binds from the section too, so its members are known keys; <see langword="false"/> if it already did.</summary>
    public bool AddBoundOptions<TOptions>()
    {
        if (!_boundOptions.Add(typeof(TOptions)))
        {
            return false;
        }

        foreach (var property in typeof(TOptions).GetProperties())
        {
            _knownKeys.Add(property.Name);
        }

        return true;
    }

    /// <summary>Writes <paramref name="key"/> as a path under the section: <c>AgentBatch:MaxConcurrency</c>.</summary>
    public string PathOf(string key) => ConfigurationKeys.Join(SectionPath, key);
}
