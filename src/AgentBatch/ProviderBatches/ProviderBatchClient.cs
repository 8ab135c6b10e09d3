using Microsoft.Extensions.AI;

namespace AgentBatch;

/// <summary>The seam between AgentBatch's provider-neutral batch lane and one provider's batch API: make requests, submit, poll, read results.</summary>
/// <remarks>
/// <para>
/// With <see cref="BatchOptions.Execution"/> set to <see cref="BatchExecution.ProviderBatch"/>, every model call of every item
/// still passes the AgentBatch layer of its chat pipeline (caps, the context-window check, typed output, <c>MaxTurns</c>,
/// counts), but instead of being sent it is turned into a request (<see cref="CreateRequestAsync"/>), gathered with the
/// others into batches under <see cref="Limits"/>, submitted (<see cref="SubmitAsync"/>), polled
/// (<see cref="GetStatusAsync"/>) and answered from the batch's results (<see cref="GetResultsAsync"/>), in whatever order
/// the provider writes them.
/// </para>
/// <para>
/// A chat client offers its provider's batch client as a service (<c>GetService(typeof(ProviderBatchClient))</c>):
/// AgentBatch.OpenAI's <c>AsBatchChatClient(model)</c> on an <c>OpenAIClient</c> does, and
/// <see cref="Microsoft.Extensions.AI.ProviderBatchChatClientBuilderExtensions.UseProviderBatches"/> adds one to any
/// pipeline; <see cref="ProviderBatchOptions.Client"/> sets one for a whole batch. Implementations must be thread-safe.
/// </para>
/// </remarks>
public abstract class ProviderBatchClient
{
    /// <summary>The most characters of a custom id both OpenAI and Anthropic accept.</summary>
    public const int MaxCustomIdLength = 64;

    /// <summary>Gets the provider's name, for records and logs: <c>OpenAI</c>, <c>Anthropic</c>.</summary>
    public abstract string ProviderName { get; }

    /// <summary>Gets the most one batch may hold. AgentBatch splits its requests into batches under these limits (and <see cref="ProviderBatchOptions"/>' own).</summary>
    public abstract ProviderBatchLimits Limits { get; }

    /// <summary>Gets the reader of the provider client's errors, for the errors of submitting and polling; <see langword="null"/> when none.</summary>
    public virtual ModelFaultClassifier? FaultClassifier => null;

    /// <summary>Returns whether both providers accept <paramref name="customId"/>: 1 to 64 characters, each a letter, a digit, <c>_</c> or <c>-</c>.</summary>
    /// <param name="customId">The custom id.</param>
    /// <returns><see langword="true"/> when it is valid.</returns>
    public static bool IsValidCustomId(string? customId)
    {
        if (string.IsNullOrEmpty(customId) || customId.Length > MaxCustomIdLength)
        {
            return false;
        }

        foreach (var c in customId)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not '_' and not '-')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Makes the request a live call with these messages and options would send, as a line of a provider batch.</summary>
    /// <param name="customId">The request's custom id (valid per <see cref="IsValidCustomId"/>).</param>
    /// <param name="modelId">The model: the call's <see cref="ChatOptions.ModelId"/>, or the chat client's default.</param>
    /// <param name="messages">The call's messages.</param>
    /// <param name="options">The call's options, with the output limit the caps admitted it with.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The request.</returns>
    public abstract ValueTask<ProviderBatchRequest> CreateRequestAsync(
        string customId, string modelId, IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken);

    /// <summary>Creates one provider batch of the submission's requests (uploading them first where the provider needs it).</summary>
    /// <param name="submission">The requests, within <see cref="Limits"/>, all of one model.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The batch as created, with its id.</returns>
    public abstract Task<ProviderBatchStatus> SubmitAsync(ProviderBatchSubmission submission, CancellationToken cancellationToken);

    /// <summary>Reads a batch's state and counts.</summary>
    /// <param name="batchId">The batch id.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The batch.</returns>
    public abstract Task<ProviderBatchStatus> GetStatusAsync(string batchId, CancellationToken cancellationToken);

    /// <summary>Reads the results of an ended batch, in any order; a request that never ran may have a result or none.</summary>
    /// <param name="batchId">The batch id; the batch has ended (<see cref="ProviderBatchStatus.HasEnded"/>).</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The results.</returns>
    public abstract IAsyncEnumerable<ProviderBatchResult> GetResultsAsync(string batchId, CancellationToken cancellationToken);

    /// <summary>Asks the provider to cancel a batch; requests already running may still finish.</summary>
    /// <param name="batchId">The batch id.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The batch afterwards.</returns>
    public abstract Task<ProviderBatchStatus> CancelAsync(string batchId, CancellationToken cancellationToken);

    /// <summary>
    /// Looks for the batch of a submission whose id a run never learnt (it stopped between creating the batch and saving the
    /// id); <see langword="null"/> when there is none, or when the provider cannot tell (the default: batches that carry no
    /// metadata, such as Anthropic's).
    /// </summary>
    /// <param name="submissionKey">The submission's key (<see cref="ProviderBatchSubmission.Key"/>).</param>
    /// <param name="submittedAfter">A time before the batch was created: older batches need not be looked at.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The batch id, or <see langword="null"/>.</returns>
    public virtual Task<string?> FindSubmittedAsync(string submissionKey, DateTimeOffset submittedAfter, CancellationToken cancellationToken) =>
        Task.FromResult<string?>(null);
}
