namespace AgentBatch.Hosting;

/// <summary>
/// The connection settings <c>services.AddAgentBatch()</c> binds from the <c>AgentBatch</c> configuration section: which
/// endpoint and model to call, with which key.
/// </summary>
/// <remarks>
/// <para>
/// The limits every batch runs under are a <see cref="BatchOptions"/> bound from the same section
/// (<c>AgentBatch:MaxConcurrency</c>, <c>AgentBatch:Pricing:InputPerMillionTokens</c>, ...) and registered as
/// <c>IOptions&lt;BatchOptions&gt;</c>.
/// </para>
/// <para>
/// Values are checked when the host starts; a bad value stops it with a message naming the setting
/// (for example <c>AgentBatch:MaxConcurrency</c>). Keep <see cref="ApiKey"/> out of <c>appsettings.json</c>: set it with
/// user secrets or the <c>AgentBatch__ApiKey</c> environment variable. It is never logged, and it is added to
/// <see cref="BatchOptions.Secrets"/> so that no error message AgentBatch keeps carries it.
/// </para>
/// </remarks>
public sealed class AgentBatchHostingOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "AgentBatch";

    /// <summary>The model used when <see cref="Model"/> is not set.</summary>
    public const string DefaultModel = "gpt-4o-mini";

    /// <summary>Gets or sets the base address of an OpenAI-compatible endpoint; <see langword="null"/> for OpenAI's own.</summary>
    /// <value>The default value is <see langword="null"/>. Must be an absolute <c>http</c> or <c>https</c> address.</value>
    /// <remarks>Azure OpenAI, Ollama, vLLM and other OpenAI-compatible servers work through this setting (for example <c>http://localhost:11434/v1</c>).</remarks>
    public Uri? Endpoint { get; set; }

    /// <summary>Gets or sets the model every request names.</summary>
    /// <value>The default value is <c>gpt-4o-mini</c>.</value>
    public string Model { get; set; } = DefaultModel;

    /// <summary>Gets or sets the API key sent to the endpoint.</summary>
    /// <value>The default value is <see langword="null"/>. Required when <see cref="Endpoint"/> is not set and no <c>IChatClient</c> of your own is registered.</value>
    public string? ApiKey { get; set; }
}
