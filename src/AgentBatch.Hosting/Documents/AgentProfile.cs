namespace AgentBatch.Hosting;

/// <summary>What the worker asks of the model for each document of a set: instructions, prompt, model options, output.</summary>
/// <remarks>Profiles are named in configuration under <c>AgentBatch:Worker:Profiles</c>; a set picks one in its <c>set.json</c>.</remarks>
public sealed class AgentProfile
{
    /// <summary>The prompt used when <see cref="PromptTemplate"/> is not set.</summary>
    public const string DefaultPromptTemplate = "Document: {name}\n\n{text}";

    /// <summary>Gets or sets the system instructions every document's agent starts with.</summary>
    /// <value>The default value is <see langword="null"/>: no system message.</value>
    public string? Instructions { get; set; }

    /// <summary>Gets or sets the prompt sent for each document; <c>{name}</c> and <c>{text}</c> are replaced by the document's name and text.</summary>
    /// <value>The default value is <see cref="DefaultPromptTemplate"/>.</value>
    public string PromptTemplate { get; set; } = DefaultPromptTemplate;

    /// <summary>Gets or sets the model to request instead of the chat client's own, for clients that honour a per-request model.</summary>
    /// <value>The default value is <see langword="null"/>: the model the batch's chat client was made for (<c>AgentBatch:Model</c> with AgentBatch.OpenAI).</value>
    public string? Model { get; set; }

    /// <summary>Gets or sets the sampling temperature.</summary>
    /// <value>The default value is <see langword="null"/>: the model's default.</value>
    public float? Temperature { get; set; }

    /// <summary>Gets or sets the most output tokens per document.</summary>
    /// <value>The default value is <see langword="null"/>: the model's default.</value>
    public int? MaxOutputTokens { get; set; }

    /// <summary>Gets or sets what each document's output is.</summary>
    /// <value>The default value is <see cref="DocumentOutputFormat.Text"/>.</value>
    /// <remarks><see cref="DocumentOutputFormat.Json"/> also asks the model for a JSON reply.</remarks>
    public DocumentOutputFormat Output { get; set; } = DocumentOutputFormat.Text;
}
