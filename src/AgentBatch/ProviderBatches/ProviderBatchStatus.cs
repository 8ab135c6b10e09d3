namespace AgentBatch;

/// <summary>A provider batch as the provider reports it: its id, state and request counts.</summary>
/// <remarks>
/// The counts map both providers: OpenAI's <c>request_counts</c> (<c>completed</c> is <see cref="Succeeded"/>, <c>failed</c>
/// is <see cref="Errored"/> plus <see cref="Expired"/> once the batch has expired) and Anthropic's (<c>succeeded</c>,
/// <c>errored</c>, <c>expired</c>, <c>canceled</c>, <c>processing</c>).
/// </remarks>
public sealed class ProviderBatchStatus
{
    /// <summary>Initializes a new instance of the <see cref="ProviderBatchStatus"/> class.</summary>
    /// <param name="id">The provider's batch id.</param>
    /// <param name="state">Where the batch is.</param>
    /// <exception cref="ArgumentNullException"><paramref name="id"/> is <see langword="null"/>.</exception>
    public ProviderBatchStatus(string id, ProviderBatchState state)
    {
        ArgumentNullException.ThrowIfNull(id);
        Id = id;
        State = state;
    }

    /// <summary>Gets the provider's batch id.</summary>
    public string Id { get; }

    /// <summary>Gets where the batch is.</summary>
    public ProviderBatchState State { get; }

    /// <summary>Gets the number of requests in the batch, or <see langword="null"/> while the provider has not counted them yet (OpenAI while validating).</summary>
    public int? RequestCount { get; init; }

    /// <summary>Gets the number of requests that succeeded so far.</summary>
    public int Succeeded { get; init; }

    /// <summary>Gets the number of requests that ended with an error so far.</summary>
    public int Errored { get; init; }

    /// <summary>Gets the number of requests that expired.</summary>
    public int Expired { get; init; }

    /// <summary>Gets the number of requests that were cancelled before they ran.</summary>
    public int Canceled { get; init; }

    /// <summary>Gets the number of requests that have ended, however they ended.</summary>
    public int Done => Succeeded + Errored + Expired + Canceled;

    /// <summary>Gets when the provider created the batch, when it says.</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>Gets why a <see cref="ProviderBatchState.Failed"/> batch failed, as the provider said it (codes and messages, no request content).</summary>
    public string? Error { get; init; }

    /// <summary>Gets a value indicating whether the batch has ended, so that its results can be read.</summary>
    public bool HasEnded => State is ProviderBatchState.Completed or ProviderBatchState.Expired or ProviderBatchState.Cancelled or ProviderBatchState.Failed;

    /// <inheritdoc />
    public override string ToString() =>
        $"{Id} {State}: {Done}/{RequestCount?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} done ({Succeeded} succeeded, {Errored} errored, {Expired} expired, {Canceled} canceled)";
}
