namespace AgentBatch;

/// <summary>Options of <see cref="OpenAIProviderBatchClient"/>: the endpoint batched requests go to, and the limits of one batch.</summary>
public sealed class OpenAIProviderBatchOptions
{
    /// <summary>The default value of <see cref="Endpoint"/>: OpenAI's chat completions.</summary>
    public const string DefaultEndpoint = "/v1/chat/completions";

    /// <summary>The default value of <see cref="MaxRequestsPerBatch"/>: OpenAI's 50,000 requests per input file.</summary>
    public const int DefaultMaxRequestsPerBatch = 50_000;

    /// <summary>The default value of <see cref="MaxBytesPerBatch"/>: OpenAI's 200 MB per input file.</summary>
    public const long DefaultMaxBytesPerBatch = 200L * 1024 * 1024;

    /// <summary>Gets or sets the endpoint each request line names and the batch is created for.</summary>
    /// <value>The default value is <c>/v1/chat/completions</c>; Azure OpenAI's batches use <c>/chat/completions</c>.</value>
    public string Endpoint { get; set; } = DefaultEndpoint;

    /// <summary>Gets or sets the most requests one batch (one input file) holds.</summary>
    /// <value>The default value is 50,000.</value>
    public int MaxRequestsPerBatch { get; set; } = DefaultMaxRequestsPerBatch;

    /// <summary>Gets or sets the most bytes one input file holds.</summary>
    /// <value>The default value is 200 MB.</value>
    public long MaxBytesPerBatch { get; set; } = DefaultMaxBytesPerBatch;
}
