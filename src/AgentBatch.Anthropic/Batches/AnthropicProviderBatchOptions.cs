namespace AgentBatch;

/// <summary>Options of <see cref="AnthropicProviderBatchClient"/>: the limits of one message batch, and the output limit of calls that set none.</summary>
public sealed class AnthropicProviderBatchOptions
{
    /// <summary>The default value of <see cref="MaxRequestsPerBatch"/>: Anthropic's 100,000 requests per batch.</summary>
    public const int DefaultMaxRequestsPerBatch = 100_000;

    /// <summary>The default value of <see cref="MaxBytesPerBatch"/>: Anthropic's 256 MB per batch.</summary>
    public const long DefaultMaxBytesPerBatch = 256L * 1024 * 1024;

    /// <summary>Gets or sets the most requests one message batch holds.</summary>
    /// <value>The default value is 100,000.</value>
    public int MaxRequestsPerBatch { get; set; } = DefaultMaxRequestsPerBatch;

    /// <summary>Gets or sets the most bytes one batch's create request holds.</summary>
    /// <value>The default value is 256 MB.</value>
    public long MaxBytesPerBatch { get; set; } = DefaultMaxBytesPerBatch;

    /// <summary>Gets or sets the <c>max_tokens</c> of a call whose options set no <c>MaxOutputTokens</c> (Anthropic requires one); <see langword="null"/> for the Anthropic chat client's own default.</summary>
    /// <value>The default value is <see langword="null"/>. Use the same value as the live chat client the batch runs on, so a batched call is the live call.</value>
    public int? DefaultMaxOutputTokens { get; set; }
}
