using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace AgentBatch.Benchmarks;

/// <summary>An in-memory provider batch API that ends every batch at its first poll and answers every request as <see cref="InstantChatClient"/> does: only the lane's own work is left to measure.</summary>
internal sealed class InstantBatchClient : ProviderBatchClient
{
    private static readonly byte[] Body = "{}"u8.ToArray();
    private readonly Dictionary<string, int> _sizes = [];
    private int _batches;

    public override string ProviderName => "InMemory";

    public override ProviderBatchLimits Limits { get; } = new(50_000, 200L * 1024 * 1024);

    public override ValueTask<ProviderBatchRequest> CreateRequestAsync(
        string customId, string modelId, IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken) =>
        new(new ProviderBatchRequest(customId, modelId, Body, Body.Length + 40));

    public override Task<ProviderBatchStatus> SubmitAsync(ProviderBatchSubmission submission, CancellationToken cancellationToken)
    {
        var id = "b" + Interlocked.Increment(ref _batches).ToString(System.Globalization.CultureInfo.InvariantCulture);
        lock (_sizes)
        {
            _sizes[id] = submission.Requests.Count;
        }

        Ids[id] = submission.Requests.Select(static r => r.CustomId).ToArray();
        return Task.FromResult(new ProviderBatchStatus(id, ProviderBatchState.InProgress) { RequestCount = submission.Requests.Count });
    }

    public override Task<ProviderBatchStatus> GetStatusAsync(string batchId, CancellationToken cancellationToken)
    {
        int size;
        lock (_sizes)
        {
            size = _sizes[batchId];
        }

        return Task.FromResult(new ProviderBatchStatus(batchId, ProviderBatchState.Completed) { RequestCount = size, Succeeded = size });
    }

    public override async IAsyncEnumerable<ProviderBatchResult> GetResultsAsync(string batchId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var chat = new InstantChatClient();
        Ids.TryRemove(batchId, out var ids);
        foreach (var id in ids!)
        {
            yield return ProviderBatchResult.Succeeded(id, await chat.GetResponseAsync([], cancellationToken: cancellationToken));
        }
    }

    public override Task<ProviderBatchStatus> CancelAsync(string batchId, CancellationToken cancellationToken) =>
        Task.FromResult(new ProviderBatchStatus(batchId, ProviderBatchState.Cancelled));

    private System.Collections.Concurrent.ConcurrentDictionary<string, string[]> Ids { get; } = new();
}
