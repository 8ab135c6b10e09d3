using Microsoft.Extensions.AI;

namespace AgentBatch.Benchmarks;

/// <summary>An in-memory model that answers at once, so only orchestration is measured.</summary>
internal sealed class InstantChatClient : IChatClient
{
    private static readonly Task<ChatResponse> Reply = Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "positive"))
    {
        ModelId = "gpt-4o-mini",
        Usage = new UsageDetails { InputTokenCount = 42, OutputTokenCount = 1, TotalTokenCount = 43 },
    });

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => Reply;

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
