namespace AgentBatch.Testing.Internal;

/// <summary>The server's state of one batch: its requests, where it is in its lifecycle, and how clients used it.</summary>
/// <remarks>
/// Mutable, and only touched under the <see cref="MockBatchStore"/>'s lock; what leaves the lock is a
/// <see cref="MockBatch"/> snapshot. <see cref="Order"/> is fixed at creation: requests run, and results are written, in
/// that order.
/// </remarks>
internal sealed class MockBatchRecord
{
    /// <summary>Initializes a new instance of the <see cref="MockBatchRecord"/> class.</summary>
    /// <param name="ordinal">The batch's creation number on this server, from 1: newer batches have higher ones.</param>
    /// <param name="id">The batch id.</param>
    /// <param name="provider">The provider API it was created through.</param>
    /// <param name="createdAt">When it was created.</param>
    /// <param name="initialState">The state it starts in.</param>
    /// <param name="headers">The headers of the request that created it.</param>
    /// <param name="lines">Its requests, in input order.</param>
    /// <param name="order">The order its requests run in: a permutation of their indexes.</param>
    public MockBatchRecord(
        int ordinal,
        string id,
        MockBatchProvider provider,
        DateTimeOffset createdAt,
        MockBatchState initialState,
        IReadOnlyDictionary<string, string> headers,
        IReadOnlyList<MockBatchLine> lines,
        IReadOnlyList<int> order)
    {
        Ordinal = ordinal;
        Id = id;
        Provider = provider;
        CreatedAt = createdAt;
        ExpiresAt = createdAt + MockBatchStore.CompletionWindow;
        Headers = headers;
        Lines = lines;
        Order = order;
        State = initialState;
        EnteredAt = createdAt;
    }

    /// <summary>Gets the creation number, from 1.</summary>
    public int Ordinal { get; }

    /// <summary>Gets the batch id.</summary>
    public string Id { get; }

    /// <summary>Gets the provider API.</summary>
    public MockBatchProvider Provider { get; }

    /// <summary>Gets when the batch was created.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>Gets when the completion window ends.</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>Gets the headers of the creating request.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>Gets the requests, in input order.</summary>
    public IReadOnlyList<MockBatchLine> Lines { get; }

    /// <summary>Gets the run (and result) order: indexes into <see cref="Lines"/>.</summary>
    public IReadOnlyList<int> Order { get; }

    /// <summary>Gets or sets the position in <see cref="Order"/> of the next request to run.</summary>
    public int NextToRun { get; set; }

    /// <summary>Gets the metadata (OpenAI).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>Gets the endpoint (OpenAI).</summary>
    public string? Endpoint { get; init; }

    /// <summary>Gets the completion window (OpenAI).</summary>
    public string? CompletionWindow { get; init; }

    /// <summary>Gets the input file id (OpenAI).</summary>
    public string? InputFileId { get; init; }

    /// <summary>Gets the model of the first request (OpenAI reports it on the batch).</summary>
    public string? Model { get; init; }

    /// <summary>Gets the problems found in the input, reported when validation ends (OpenAI).</summary>
    public List<MockBatchError> InputErrors { get; init; } = [];

    /// <summary>Gets the errors the batch failed with (OpenAI).</summary>
    public List<MockBatchError> Errors { get; } = [];

    /// <summary>Gets or sets a value indicating whether the input passed validation (OpenAI; <c>request_counts.total</c> is 0 before).</summary>
    public bool Validated { get; set; }

    /// <summary>Gets or sets the current state.</summary>
    public MockBatchState State { get; set; }

    /// <summary>Gets or sets when the batch entered <see cref="State"/>.</summary>
    public DateTimeOffset EnteredAt { get; set; }

    /// <summary>Gets when the batch entered each state it has been in, creation excepted.</summary>
    public Dictionary<MockBatchState, DateTimeOffset> EnteredStates { get; } = [];

    /// <summary>Gets or sets the output file id (OpenAI).</summary>
    public string? OutputFileId { get; set; }

    /// <summary>Gets or sets the error file id (OpenAI).</summary>
    public string? ErrorFileId { get; set; }

    /// <summary>Gets or sets how many times a client retrieved the batch.</summary>
    public int PollCount { get; set; }

    /// <summary>Gets or sets how many times a client asked to cancel it.</summary>
    public int CancelCount { get; set; }

    /// <summary>Gets or sets a value indicating whether a client deleted it (Anthropic).</summary>
    public bool IsDeleted { get; set; }

    /// <summary>Gets a value indicating whether the batch has reached an end state.</summary>
    public bool IsEnded => State is MockBatchState.Completed or MockBatchState.Failed or MockBatchState.Expired or MockBatchState.Cancelled;

    /// <summary>Gets when the batch reached its end state, or <see langword="null"/>.</summary>
    public DateTimeOffset? EndedAt => IsEnded ? EnteredAt : null;

    /// <summary>Gets the number of requests with the given outcome.</summary>
    /// <param name="outcome">The outcome.</param>
    /// <returns>The count.</returns>
    public int Count(MockBatchOutcome outcome) => Lines.Count(l => l.Outcome == outcome);

    /// <summary>Moves the batch to a state.</summary>
    /// <param name="state">The new state.</param>
    /// <param name="at">When.</param>
    public void Enter(MockBatchState state, DateTimeOffset at)
    {
        State = state;
        EnteredAt = at;
        EnteredStates[state] = at;
    }

    /// <summary>The time the batch entered a state, or <see langword="null"/> if it never did.</summary>
    /// <param name="state">The state.</param>
    /// <returns>The time.</returns>
    public DateTimeOffset? EnteredAtOf(MockBatchState state) => EnteredStates.TryGetValue(state, out var at) ? at : null;
}
