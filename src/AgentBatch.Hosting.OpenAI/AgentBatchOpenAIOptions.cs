namespace AgentBatch.Hosting;

/// <summary>
/// The connection settings <c>AddOpenAIChatClient()</c> builds a batch's chat client from, bound from the batch's
/// configuration section: which endpoint and model to call, with which key.
/// </summary>
/// <remarks>
/// <para>
/// For the default batch these are <c>AgentBatch:Endpoint</c>, <c>AgentBatch:Model</c> and <c>AgentBatch:ApiKey</c>; for a
/// batch bound from <c>Batches:Reports</c>, <c>Batches:Reports:Endpoint</c> and so on. They are named options, named after
/// the batch (<c>IOptionsMonitor&lt;AgentBatchOpenAIOptions&gt;.Get(name)</c>), checked when the host starts; a bad value
/// stops it with a message naming the setting.
/// </para>
/// <para>
/// Keep <see cref="ApiKey"/> out of <c>appsettings.json</c>: set it with user secrets or the <c>AgentBatch__ApiKey</c>
/// environment variable. It is never logged and never in a message, and it is added to the batch's
/// <see cref="BatchOptions.Secrets"/> so that no error message AgentBatch keeps carries it.
/// </para>
/// </remarks>
public sealed class AgentBatchOpenAIOptions
{
    /// <summary>The model used when <see cref="Model"/> is not set.</summary>
    public const string DefaultModel = "gpt-4o-mini";

    /// <summary>Gets or sets the base address of an OpenAI-compatible endpoint; <see langword="null"/> for OpenAI's own.</summary>
    /// <value>The default value is <see langword="null"/>. Must be an absolute <c>http</c> or <c>https</c> address.</value>
    /// <remarks>Azure OpenAI, Ollama, vLLM and other OpenAI-compatible servers work through this setting (for example <c>http://localhost:11434/v1</c>).</remarks>
    public Uri? Endpoint { get; set; }

    /// <summary>Gets or sets the model the chat client is made for: every request names it unless the request names its own.</summary>
    /// <value>The default value is <c>gpt-4o-mini</c>.</value>
    public string Model { get; set; } = DefaultModel;

    /// <summary>Gets or sets the API key sent to the endpoint.</summary>
    /// <value>The default value is <see langword="null"/>. Required when <see cref="Endpoint"/> is not set (OpenAI itself); local servers take none.</value>
    public string? ApiKey { get; set; }
}
