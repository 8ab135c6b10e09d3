using Microsoft.Extensions.AI;

namespace AgentBatch.Internal;

/// <summary>Refuses a model call once the agent run on the current flow has used up its turns.</summary>
internal sealed class TurnLimitingChatClient : DelegatingChatClient
{
    private static readonly AsyncLocal<TurnCounter?> CurrentRun = new();

    public TurnLimitingChatClient(IChatClient innerClient)
        : base(innerClient)
    {
    }

    /// <summary>Starts counting turns for one agent run on the current asynchronous flow.</summary>
    /// <remarks>Call it from the async method that makes the run, so the counter does not leak to the caller's flow.</remarks>
    public static TurnCounter BeginRun(int maxTurns)
    {
        var counter = new TurnCounter(maxTurns);
        CurrentRun.Value = counter;
        return counter;
    }

    public override Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        CurrentRun.Value?.Take();
        return base.GetResponseAsync(messages, options, cancellationToken);
    }

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        CurrentRun.Value?.Take();
        return base.GetStreamingResponseAsync(messages, options, cancellationToken);
    }

    internal sealed class TurnCounter
    {
        private readonly int _maxTurns;
        private int _used;

        public TurnCounter(int maxTurns) => _maxTurns = maxTurns;

        public int Used => Volatile.Read(ref _used);

        public void Take()
        {
            if (Interlocked.Increment(ref _used) > _maxTurns)
            {
                throw new MaxTurnsExceededException(_maxTurns);
            }
        }
    }
}
