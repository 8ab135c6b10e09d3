using Microsoft.Extensions.AI;

namespace AgentBatch.Hosting.Internal;

/// <summary>An agent whose run also stops when its task is cancelled on its own, not only when the batch stops.</summary>
internal sealed class CancelableAgent : IBatchAgent
{
    private readonly IBatchAgent _inner;
    private readonly CancellationToken _taskToken;

    public CancelableAgent(IBatchAgent inner, CancellationToken taskToken)
    {
        _inner = inner;
        _taskToken = taskToken;
    }

    public string Name => _inner.Name;

    public IReadOnlyList<ChatMessage> History => _inner.History;

    public IBatchAgent Clone(int index) => new CancelableAgent(_inner.Clone(index), _taskToken);

    public async Task<ChatResponse> RunAsync(string input, CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _taskToken);
        return await _inner.RunAsync(input, linked.Token).ConfigureAwait(false);
    }
}
