namespace AgentBatch;

/// <summary>One model call as a provider batch carries it: its <c>custom_id</c>, its model, and the body a live call would send.</summary>
/// <remarks>
/// A <see cref="ProviderBatchClient"/> makes it (<see cref="ProviderBatchClient.CreateRequestAsync"/>) from the call's
/// messages and options. The body never holds the custom id, so the same call made again (after a restart) has the same
/// body: AgentBatch recognises a call it has already submitted by its body alone.
/// </remarks>
public sealed class ProviderBatchRequest
{
    /// <summary>Initializes a new instance of the <see cref="ProviderBatchRequest"/> class.</summary>
    /// <param name="customId">The request's id within its batch: 1 to 64 letters, digits, <c>_</c> or <c>-</c>.</param>
    /// <param name="modelId">The model the request asks for; one OpenAI batch holds requests of one model.</param>
    /// <param name="body">The request body, as compact JSON on one line (OpenAI's <c>body</c>, Anthropic's <c>params</c>).</param>
    /// <param name="size">The bytes the request adds to a batch, its envelope and custom id included; at least the body's length.</param>
    /// <exception cref="ArgumentNullException"><paramref name="customId"/> or <paramref name="modelId"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="customId"/> is not a valid custom id, or <paramref name="size"/> is smaller than the body.</exception>
    public ProviderBatchRequest(string customId, string modelId, ReadOnlyMemory<byte> body, long size)
    {
        ArgumentNullException.ThrowIfNull(customId);
        ArgumentNullException.ThrowIfNull(modelId);
        if (!ProviderBatchClient.IsValidCustomId(customId))
        {
            throw new ArgumentException($"'{customId}' is not a custom id both providers accept: 1 to 64 letters, digits, '_' or '-'.", nameof(customId));
        }

        var length = body.Length;
        if (size < length)
        {
            throw new ArgumentException($"The size ({size}) cannot be smaller than the body ({length} bytes).", nameof(size));
        }

        CustomId = customId;
        ModelId = modelId;
        Body = body;
        Size = size;
    }

    /// <summary>Gets the request's id within its batch.</summary>
    public string CustomId { get; }

    /// <summary>Gets the model the request asks for.</summary>
    public string ModelId { get; }

    /// <summary>Gets the request body, compact UTF-8 JSON without the custom id.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>Gets the bytes the request adds to a batch, for splitting batches under <see cref="ProviderBatchLimits.MaxBytes"/>.</summary>
    public long Size { get; }
}
