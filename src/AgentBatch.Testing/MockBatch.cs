namespace AgentBatch.Testing;

/// <summary>A snapshot of one batch the mock server holds, for assertions: its state, counts, inputs and outputs, and how clients used it.</summary>
/// <remarks>
/// <para>
/// Get one from <see cref="MockBatchEndpoints.Get"/> or <see cref="MockBatchEndpoints.Created"/>, or from the methods that
/// move a batch. It does not change afterwards; read a new one to see later states.
/// </para>
/// <para>
/// The counts cover both providers: OpenAI's <c>request_counts</c> are <c>total</c> = <see cref="RequestCount"/> (0 while
/// <see cref="MockBatchState.Validating"/> and after a failed validation), <c>completed</c> = <see cref="Succeeded"/> and
/// <c>failed</c> = <see cref="Errored"/> + <see cref="Expired"/>; Anthropic's are <c>processing</c> = <see cref="Pending"/>
/// (0 once ended), <c>succeeded</c>, <c>errored</c>, <c>canceled</c> and <c>expired</c>.
/// </para>
/// </remarks>
public sealed class MockBatch
{
    internal MockBatch()
    {
    }

    /// <summary>Gets the batch id: <c>batch_...</c> for OpenAI, <c>msgbatch_...</c> for Anthropic.</summary>
    public required string Id { get; init; }

    /// <summary>Gets the provider API the batch was created through.</summary>
    public required MockBatchProvider Provider { get; init; }

    /// <summary>Gets where the batch is in its lifecycle.</summary>
    public required MockBatchState State { get; init; }

    /// <summary>Gets the status as the provider reports it: OpenAI's <c>status</c> or Anthropic's <c>processing_status</c>.</summary>
    public required string Status { get; init; }

    /// <summary>Gets when the batch was created, on the server's clock.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Gets when the batch's completion window ends (24 hours after creation): unfinished requests expire then.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Gets when the batch reached its end state, or <see langword="null"/> while it runs.</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>Gets the metadata the batch was created with (OpenAI only; Anthropic batches carry none).</summary>
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }

    /// <summary>Gets the headers of the HTTP request that created the batch.</summary>
    public required IReadOnlyDictionary<string, string> Headers { get; init; }

    /// <summary>Gets the endpoint the requests go to (OpenAI only): <c>/v1/chat/completions</c>.</summary>
    public string? Endpoint { get; init; }

    /// <summary>Gets the completion window the batch was created with (OpenAI only): <c>24h</c>.</summary>
    public string? CompletionWindow { get; init; }

    /// <summary>Gets the id of the uploaded input file (OpenAI only).</summary>
    public string? InputFileId { get; init; }

    /// <summary>Gets the id of the output file, with one line per request that succeeded (OpenAI only); <see langword="null"/> until the batch ends, and when no request succeeded.</summary>
    public string? OutputFileId { get; init; }

    /// <summary>Gets the id of the error file, with one line per request that failed or expired (OpenAI only); <see langword="null"/> until the batch ends, and when none did.</summary>
    public string? ErrorFileId { get; init; }

    /// <summary>Gets the requests' <c>custom_id</c>s in input order (for OpenAI, of the lines that carry one).</summary>
    public required IReadOnlyList<string> CustomIds { get; init; }

    /// <summary>Gets the <c>custom_id</c>s of the requests that have a result, in the order the results are written (not the input order).</summary>
    public required IReadOnlyList<string> ResultOrder { get; init; }

    /// <summary>Gets the number of requests in the batch (for OpenAI, the nonblank lines of the input file).</summary>
    public required int RequestCount { get; init; }

    /// <summary>Gets the number of requests not yet run (and, once the batch has ended, never run).</summary>
    public required int Pending { get; init; }

    /// <summary>Gets the number of requests that ran and succeeded.</summary>
    public required int Succeeded { get; init; }

    /// <summary>Gets the number of requests that ran and failed (the responder answered an error).</summary>
    public required int Errored { get; init; }

    /// <summary>Gets the number of requests cancelled before they ran. Anthropic reports them as <c>canceled</c>; OpenAI's <c>request_counts</c> leave them out, and its files have no line for them.</summary>
    public required int Canceled { get; init; }

    /// <summary>Gets the number of requests that expired before they ran.</summary>
    public required int Expired { get; init; }

    /// <summary>Gets why the batch failed (OpenAI only), as <c>code: message</c> (with <c>line n:</c> in front when a line is at fault); empty unless <see cref="State"/> is <see cref="MockBatchState.Failed"/>.</summary>
    public required IReadOnlyList<string> Errors { get; init; }

    /// <summary>Gets how many times a client retrieved the batch (<c>GET</c> of the batch itself; lists not counted).</summary>
    public required int PollCount { get; init; }

    /// <summary>Gets how many times a client asked to cancel the batch, refused requests included.</summary>
    public required int CancelCount { get; init; }

    /// <summary>Gets a value indicating whether a client deleted the batch (Anthropic only).</summary>
    public bool IsDeleted { get; init; }
}
