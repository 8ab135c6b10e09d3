namespace AgentBatch.Testing.Internal;

/// <summary>Moves batches through their provider's states: validation, running requests through the responder, expiry, cancellation, failure and the end files.</summary>
/// <remarks>
/// <para>Every method is called under the <see cref="MockBatchStore.Gate"/>. The responder runs on the thread that moves the batch.</para>
/// <para>
/// Requests run in the batch's <see cref="MockBatchRecord.Order"/>, and a request that has a result keeps it: a batch that
/// expires or is cancelled part way keeps the results of the requests that ran, and only those that had not run yet are
/// marked expired or cancelled.
/// </para>
/// </remarks>
internal sealed class MockBatchLifecycle
{
    private readonly MockBatchStore _store;
    private readonly MockChatServer _server;

    /// <summary>Initializes a new instance of the <see cref="MockBatchLifecycle"/> class.</summary>
    /// <param name="store">The store.</param>
    /// <param name="server">The server whose responder answers the requests.</param>
    public MockBatchLifecycle(MockBatchStore store, MockChatServer server)
    {
        _store = store;
        _server = server;
    }

    /// <summary>Brings a batch up to the clock: each state lasts <paramref name="interval"/>, and the completion window expires what has not finished.</summary>
    /// <param name="batch">The batch.</param>
    /// <param name="now">The clock's time.</param>
    /// <param name="interval">How long each state lasts; <see langword="null"/> for states that change only when the test says so (expiry still applies).</param>
    public void CatchUp(MockBatchRecord batch, DateTimeOffset now, TimeSpan? interval)
    {
        while (!batch.IsEnded)
        {
            DateTimeOffset? stepAt = interval is { } every ? batch.EnteredAt + every : null;
            if (CanExpire(batch) && batch.ExpiresAt <= now && (stepAt is null || batch.ExpiresAt <= stepAt))
            {
                Expire(batch, afterLines: Finished(batch), batch.ExpiresAt);
            }
            else if (stepAt is { } at && at <= now)
            {
                Step(batch, at);
            }
            else
            {
                return;
            }
        }
    }

    /// <summary>Moves a batch one state on.</summary>
    /// <param name="batch">The batch.</param>
    /// <param name="at">When.</param>
    /// <exception cref="InvalidOperationException">The batch has ended.</exception>
    public void Step(MockBatchRecord batch, DateTimeOffset at)
    {
        switch (batch.State)
        {
            case MockBatchState.Validating:
                Validate(batch, at);
                break;
            case MockBatchState.InProgress:
                RunNext(batch, int.MaxValue);
                if (batch.Provider == MockBatchProvider.OpenAI)
                {
                    batch.Enter(MockBatchState.Finalizing, at);
                }
                else
                {
                    End(batch, MockBatchState.Completed, at);
                }

                break;
            case MockBatchState.Finalizing:
                End(batch, MockBatchState.Completed, at);
                break;
            case MockBatchState.Cancelling:
                MarkRemaining(batch, MockBatchOutcome.Canceled);
                End(batch, MockBatchState.Cancelled, at);
                break;
            default:
                throw new InvalidOperationException($"Batch {batch.Id} has ended ({batch.State}); it has no next state.");
        }
    }

    /// <summary>Runs a batch's next requests through the responder; a batch still validating is validated first.</summary>
    /// <param name="batch">The batch.</param>
    /// <param name="count">The most requests to run.</param>
    /// <param name="at">When.</param>
    /// <returns>The number of requests run.</returns>
    /// <exception cref="InvalidOperationException">The batch is not running (or its input failed validation).</exception>
    public int Run(MockBatchRecord batch, int count, DateTimeOffset at)
    {
        if (batch.State == MockBatchState.Validating)
        {
            Validate(batch, at);
        }

        if (batch.State is not (MockBatchState.InProgress or MockBatchState.Cancelling))
        {
            throw new InvalidOperationException($"Batch {batch.Id} is {batch.State}: only a batch in progress (or cancelling) runs requests.");
        }

        return RunNext(batch, count);
    }

    /// <summary>Expires a batch: runs requests until <paramref name="afterLines"/> have finished, marks the rest expired, and ends it.</summary>
    /// <param name="batch">The batch.</param>
    /// <param name="afterLines">How many requests finish before the window closes, those already finished included.</param>
    /// <param name="at">When.</param>
    /// <exception cref="InvalidOperationException">The batch cannot expire now (it has ended, or is finalizing or cancelling).</exception>
    public void Expire(MockBatchRecord batch, int afterLines, DateTimeOffset at)
    {
        if (batch.State == MockBatchState.Validating)
        {
            Validate(batch, at);
            if (batch.State == MockBatchState.Failed)
            {
                return;
            }
        }

        if (!CanExpire(batch))
        {
            throw new InvalidOperationException($"Batch {batch.Id} is {batch.State}: only a batch validating or in progress can expire.");
        }

        RunNext(batch, Math.Max(0, afterLines - Finished(batch)));
        MarkRemaining(batch, MockBatchOutcome.Expired);
        End(batch, MockBatchState.Expired, at);
    }

    /// <summary>Fails an OpenAI batch as a whole; no further request runs, and no output is written.</summary>
    /// <param name="batch">The batch.</param>
    /// <param name="error">The error it fails with.</param>
    /// <param name="at">When.</param>
    /// <exception cref="InvalidOperationException">The batch is an Anthropic one, or is past validating and in progress.</exception>
    public static void Fail(MockBatchRecord batch, MockBatchError error, DateTimeOffset at)
    {
        if (batch.Provider != MockBatchProvider.OpenAI)
        {
            throw new InvalidOperationException($"Batch {batch.Id} is an Anthropic batch: those do not fail as a whole; have the responder answer errors for errored requests.");
        }

        if (batch.State is not (MockBatchState.Validating or MockBatchState.InProgress))
        {
            throw new InvalidOperationException($"Batch {batch.Id} is {batch.State}: only a batch validating or in progress can fail.");
        }

        batch.Errors.Add(error);
        batch.Enter(MockBatchState.Failed, at);
    }

    /// <summary>Asks to cancel a batch, as a client's cancel call does.</summary>
    /// <param name="batch">The batch.</param>
    /// <param name="at">When.</param>
    /// <returns><see langword="false"/> if the batch has ended (the call is refused); <see langword="true"/> if it is cancelling now.</returns>
    public static bool RequestCancel(MockBatchRecord batch, DateTimeOffset at)
    {
        batch.CancelCount++;
        if (batch.IsEnded)
        {
            return false;
        }

        if (batch.State != MockBatchState.Cancelling)
        {
            batch.Enter(MockBatchState.Cancelling, at);
        }

        return true;
    }

    /// <summary>The snapshot of a batch.</summary>
    /// <param name="batch">The batch.</param>
    /// <returns>The snapshot.</returns>
    public static MockBatch Snapshot(MockBatchRecord batch) => new()
    {
        Id = batch.Id,
        Provider = batch.Provider,
        State = batch.State,
        Status = WireStatus(batch),
        CreatedAt = batch.CreatedAt,
        ExpiresAt = batch.ExpiresAt,
        EndedAt = batch.EndedAt,
        Metadata = batch.Metadata,
        Headers = batch.Headers,
        Endpoint = batch.Endpoint,
        CompletionWindow = batch.CompletionWindow,
        InputFileId = batch.InputFileId,
        OutputFileId = batch.OutputFileId,
        ErrorFileId = batch.ErrorFileId,
        CustomIds = batch.Lines.Where(l => l.CustomId is not null).Select(l => l.CustomId!).ToArray(),
        ResultOrder = batch.Order.Select(i => batch.Lines[i]).Where(l => l.Result is not null).Select(l => l.CustomId!).ToArray(),
        RequestCount = batch.Lines.Count,
        Pending = batch.Count(MockBatchOutcome.Pending),
        Succeeded = batch.Count(MockBatchOutcome.Succeeded),
        Errored = batch.Count(MockBatchOutcome.Errored),
        Canceled = batch.Count(MockBatchOutcome.Canceled),
        Expired = batch.Count(MockBatchOutcome.Expired),
        Errors = batch.Errors.Select(e => e.ToString()).ToArray(),
        PollCount = batch.PollCount,
        CancelCount = batch.CancelCount,
        IsDeleted = batch.IsDeleted,
    };

    /// <summary>The status the provider reports for a batch's state.</summary>
    /// <param name="batch">The batch.</param>
    /// <returns>OpenAI's <c>status</c> or Anthropic's <c>processing_status</c>.</returns>
    public static string WireStatus(MockBatchRecord batch) => batch.Provider == MockBatchProvider.OpenAI
        ? batch.State switch
        {
            MockBatchState.Validating => "validating",
            MockBatchState.InProgress => "in_progress",
            MockBatchState.Finalizing => "finalizing",
            MockBatchState.Completed => "completed",
            MockBatchState.Failed => "failed",
            MockBatchState.Expired => "expired",
            MockBatchState.Cancelling => "cancelling",
            _ => "cancelled",
        }
        : batch.State switch
        {
            MockBatchState.InProgress => "in_progress",
            MockBatchState.Cancelling => "canceling",
            _ => "ended",
        };

    private static bool CanExpire(MockBatchRecord batch) => batch.State is MockBatchState.Validating or MockBatchState.InProgress;

    private static int Finished(MockBatchRecord batch) => batch.NextToRun;

    private static void Validate(MockBatchRecord batch, DateTimeOffset at)
    {
        if (batch.InputErrors.Count > 0)
        {
            batch.Errors.AddRange(batch.InputErrors);
            batch.Enter(MockBatchState.Failed, at);
            return;
        }

        batch.Validated = true;
        batch.Enter(MockBatchState.InProgress, at);
    }

    private int RunNext(MockBatchRecord batch, int count)
    {
        var ran = 0;
        while (ran < count && batch.NextToRun < batch.Order.Count)
        {
            var line = batch.Lines[batch.Order[batch.NextToRun]];
            batch.NextToRun++;
            if (batch.Provider == MockBatchProvider.OpenAI)
            {
                OpenAIBatchJson.RunLine(_server, _store, batch, line);
            }
            else
            {
                AnthropicBatchJson.RunRequest(_server, batch, line);
            }

            ran++;
        }

        return ran;
    }

    private static void MarkRemaining(MockBatchRecord batch, MockBatchOutcome outcome)
    {
        for (; batch.NextToRun < batch.Order.Count; batch.NextToRun++)
        {
            var line = batch.Lines[batch.Order[batch.NextToRun]];
            line.Outcome = outcome;
            line.Result = batch.Provider == MockBatchProvider.OpenAI
                ? OpenAIBatchJson.UnrunLine(batch, line, outcome)
                : AnthropicBatchJson.UnrunResult(line, outcome);
        }
    }

    private void End(MockBatchRecord batch, MockBatchState state, DateTimeOffset at)
    {
        if (batch.Provider == MockBatchProvider.OpenAI)
        {
            OpenAIBatchJson.WriteFiles(_store, batch, at);
        }

        batch.Enter(state, at);
    }
}
