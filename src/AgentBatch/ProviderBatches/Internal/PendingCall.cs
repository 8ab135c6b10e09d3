using Microsoft.Extensions.AI;

namespace AgentBatch.Internal;

/// <summary>One model call waiting for a provider batch: its request until submitted, and the task its item awaits.</summary>
/// <remarks>Its state changes under the coordinator's lock; its completion is run outside it, on another thread.</remarks>
internal sealed class PendingCall
{
    public PendingCall(ProviderBatchRequest request, string requestKey, int index)
    {
        Request = request;
        RequestKey = requestKey;
        Index = index;
    }

    /// <summary>Gets the request, until it has been submitted (then let go, so a submitted batch holds no bodies).</summary>
    public ProviderBatchRequest? Request { get; private set; }

    /// <summary>Gets the custom id the call's result comes back under: its own, or the one recorded for the batch it re-attached to.</summary>
    public string CustomId { get; set; } = string.Empty;

    /// <summary>Gets the hash of the request's body.</summary>
    public string RequestKey { get; }

    /// <summary>Gets the item's index.</summary>
    public int Index { get; }

    /// <summary>Gets the task the call's item awaits: the reply, or the error a live call would have thrown.</summary>
    public TaskCompletionSource<ChatResponse> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Gets or sets a value indicating whether the call's item is waiting for it (and so not counted busy).</summary>
    public bool Waiting { get; set; }

    /// <summary>Gets or sets the batch the call was submitted in or re-attached to; <see langword="null"/> while it is queued.</summary>
    public OpenBatch? Batch { get; set; }

    public void ReleaseRequest() => Request = null;
}
