using Microsoft.Extensions.AI;

namespace AgentBatch.Benchmarks;

/// <summary>An in-memory model that answers at once, so only orchestration is measured.</summary>
/// <param name="yields">
/// <see langword="true"/> to answer after one hop to the thread pool, like a network call that completes later, so every
/// layer above it resumes asynchronously; <see langword="false"/> to answer synchronously.
/// </param>
internal sealed class InstantChatClient(bool yields = false) : IChatClient
{
    private static readonly ChatResponse Response = new(new ChatMessage(ChatRole.Assistant, "positive"))
    {
        ModelId = "gpt-4o-mini",
        Usage = new UsageDetails { InputTokenCount = 42, OutputTokenCount = 1, TotalTokenCount = 43 },
    };

    private static readonly Task<ChatResponse> Reply = Task.FromResult(Response);

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        yields ? YieldThenAnswerAsync() : Reply;

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }

    private static async Task<ChatResponse> YieldThenAnswerAsync()
    {
        await Task.Yield();
        return Response;
    }
}
