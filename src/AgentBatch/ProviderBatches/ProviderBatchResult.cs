using Microsoft.Extensions.AI;

namespace AgentBatch;

/// <summary>The result of one request of an ended provider batch: the reply a live call would have returned, or the error it would have thrown.</summary>
public sealed class ProviderBatchResult
{
    private ProviderBatchResult(string customId, ProviderBatchOutcome outcome, ChatResponse? response, Exception? error)
    {
        ArgumentNullException.ThrowIfNull(customId);
        CustomId = customId;
        Outcome = outcome;
        Response = response;
        Error = error;
    }

    /// <summary>Gets the request's custom id.</summary>
    public string CustomId { get; }

    /// <summary>Gets how the request ended.</summary>
    public ProviderBatchOutcome Outcome { get; }

    /// <summary>Gets the reply, with its usage and model, when the request <see cref="ProviderBatchOutcome.Succeeded"/>.</summary>
    public ChatResponse? Response { get; }

    /// <summary>Gets the error when the request <see cref="ProviderBatchOutcome.Errored"/>: the exception the provider's client throws for that error on a live call, so that it is classified, retried and redacted the same way.</summary>
    public Exception? Error { get; }

    /// <summary>A request the provider answered.</summary>
    /// <param name="customId">The request's custom id.</param>
    /// <param name="response">The reply.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static ProviderBatchResult Succeeded(string customId, ChatResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return new(customId, ProviderBatchOutcome.Succeeded, response, null);
    }

    /// <summary>A request the provider answered with an error.</summary>
    /// <param name="customId">The request's custom id.</param>
    /// <param name="error">The error, as the provider's client throws it for a live call.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static ProviderBatchResult Errored(string customId, Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new(customId, ProviderBatchOutcome.Errored, null, error);
    }

    /// <summary>A request that never ran: it expired or was cancelled with its batch.</summary>
    /// <param name="customId">The request's custom id.</param>
    /// <param name="outcome"><see cref="ProviderBatchOutcome.Expired"/> or <see cref="ProviderBatchOutcome.Canceled"/>.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="customId"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="outcome"/> is neither expired nor cancelled.</exception>
    public static ProviderBatchResult NotRun(string customId, ProviderBatchOutcome outcome) =>
        outcome is ProviderBatchOutcome.Expired or ProviderBatchOutcome.Canceled
            ? new(customId, outcome, null, null)
            : throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "A request that never ran expired or was cancelled.");
}
