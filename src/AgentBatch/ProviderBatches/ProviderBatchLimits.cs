namespace AgentBatch;

/// <summary>The most one provider batch may hold: requests, and bytes of its requests.</summary>
/// <param name="MaxRequests">The most requests in one batch (OpenAI 50,000 per input file; Anthropic 100,000).</param>
/// <param name="MaxBytes">The most bytes of requests in one batch (OpenAI 200 MB per input file; Anthropic 256 MB), as <see cref="ProviderBatchRequest.Size"/> counts them.</param>
public sealed record ProviderBatchLimits(int MaxRequests, long MaxBytes)
{
    /// <summary>Gets the most requests in one batch.</summary>
    /// <value>At least 1.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int MaxRequests
    {
        get;
        init => field = AtLeastOne(value, nameof(MaxRequests));
    } = AtLeastOne(MaxRequests, nameof(MaxRequests));

    /// <summary>Gets the most bytes of requests in one batch.</summary>
    /// <value>At least 1.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public long MaxBytes
    {
        get;
        init => field = AtLeastOne(value, nameof(MaxBytes));
    } = AtLeastOne(MaxBytes, nameof(MaxBytes));

    private static T AtLeastOne<T>(T value, string name)
        where T : System.Numerics.INumber<T>
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, T.One, name);
        return value;
    }
}
