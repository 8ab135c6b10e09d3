using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace AgentBatch.Tests;

/// <summary>A <see cref="ProviderBatchClient"/> that passes every call to a real one and tells the test what the lane did: submissions (signalled by count), polls, cancellations, finds.</summary>
internal sealed class RecordingBatchClient(ProviderBatchClient inner) : ProviderBatchClient
{
    private readonly Signals<int> _submitted = new();
    private int _submissions;

    public ConcurrentQueue<ProviderBatchSubmission> Submissions { get; } = new();

    public ConcurrentQueue<string> Submitted { get; } = new();

    public ConcurrentQueue<string> Cancelled { get; } = new();

    public int Polls => Volatile.Read(ref _polls);

    public int Finds => Volatile.Read(ref _finds);

    /// <summary>Gets or sets what a submission does before it reaches the provider (to fail it, say).</summary>
    public Func<ProviderBatchSubmission, Task>? BeforeSubmit { get; set; }

    private int _polls;
    private int _finds;

    public override string ProviderName => inner.ProviderName;

    public override ProviderBatchLimits Limits => inner.Limits;

    public override ModelFaultClassifier? FaultClassifier => inner.FaultClassifier;

    /// <summary>Completes once <paramref name="count"/> batches have been created at the provider.</summary>
    public Task WaitForSubmissionsAsync(int count) => _submitted.WaitAsync(count);

    public override ValueTask<ProviderBatchRequest> CreateRequestAsync(
        string customId, string modelId, IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken) =>
        inner.CreateRequestAsync(customId, modelId, messages, options, cancellationToken);

    public override async Task<ProviderBatchStatus> SubmitAsync(ProviderBatchSubmission submission, CancellationToken cancellationToken)
    {
        Submissions.Enqueue(submission);
        if (BeforeSubmit is { } before)
        {
            await before(submission);
        }

        var status = await inner.SubmitAsync(submission, cancellationToken);
        Submitted.Enqueue(status.Id);
        _submitted.Set(Interlocked.Increment(ref _submissions));
        return status;
    }

    public override Task<ProviderBatchStatus> GetStatusAsync(string batchId, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _polls);
        return inner.GetStatusAsync(batchId, cancellationToken);
    }

    public override async IAsyncEnumerable<ProviderBatchResult> GetResultsAsync(string batchId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var result in inner.GetResultsAsync(batchId, cancellationToken))
        {
            yield return result;
        }
    }

    public override Task<ProviderBatchStatus> CancelAsync(string batchId, CancellationToken cancellationToken)
    {
        Cancelled.Enqueue(batchId);
        return inner.CancelAsync(batchId, cancellationToken);
    }

    public override Task<string?> FindSubmittedAsync(string submissionKey, DateTimeOffset submittedAfter, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _finds);
        return inner.FindSubmittedAsync(submissionKey, submittedAfter, cancellationToken);
    }
}
