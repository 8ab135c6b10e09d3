namespace AgentBatch.Testing;

/// <summary>Where a <see cref="MockBatch"/> is in its lifecycle, for either provider.</summary>
/// <remarks>
/// <para>
/// OpenAI batches go <see cref="Validating"/> -> <see cref="InProgress"/> -> <see cref="Finalizing"/> -> <see cref="Completed"/>,
/// or end <see cref="Failed"/> (the input did not validate), <see cref="Expired"/> (the completion window passed) or
/// <see cref="Cancelling"/> -> <see cref="Cancelled"/>. Each state is its own <c>status</c> on the wire.
/// </para>
/// <para>
/// Anthropic batches go <see cref="InProgress"/> (<c>in_progress</c>) -> <see cref="Completed"/>, or
/// <see cref="Cancelling"/> (<c>canceling</c>) -> <see cref="Cancelled"/>, or <see cref="Expired"/>; the three end states are
/// all <c>ended</c> on the wire, told apart by the request counts.
/// </para>
/// </remarks>
public enum MockBatchState
{
    /// <summary>OpenAI only: the input file is being checked; <c>request_counts.total</c> is still 0.</summary>
    Validating,

    /// <summary>The requests are being run.</summary>
    InProgress,

    /// <summary>OpenAI only: every request has run and the output and error files are being written.</summary>
    Finalizing,

    /// <summary>Every request ran; the results are ready.</summary>
    Completed,

    /// <summary>OpenAI only: the batch failed as a whole (see <see cref="MockBatch.Errors"/>): its input did not validate, or the test failed it; no output is written.</summary>
    Failed,

    /// <summary>The completion window passed first: the requests that finished keep their results, the rest expired.</summary>
    Expired,

    /// <summary>Cancellation was asked for; requests already running may still finish.</summary>
    Cancelling,

    /// <summary>Cancelled: the requests that finished keep their results, the rest never ran.</summary>
    Cancelled,
}
