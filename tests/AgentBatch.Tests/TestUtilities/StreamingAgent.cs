using Microsoft.Extensions.AI;

namespace AgentBatch.Tests;

/// <summary>A custom agent that calls its model by streaming, through a client built with <c>UseAgentBatch()</c>.</summary>
/// <param name="client">The chat client (the test builds it with or without the AgentBatch layer).</param>
/// <param name="options">The chat options for each call.</param>
/// <param name="updatesToRead">Stop reading the stream after this many updates (a consumer leaving early); <see langword="null"/> to read it all.</param>
internal sealed class StreamingAgent(IChatClient client, ChatOptions? options = null, int? updatesToRead = null) : IBatchAgent
{
    private readonly List<ChatMessage> _history = [];

    public string Name => "streamer";

    public IReadOnlyList<ChatMessage> History => _history;

    public static IChatClient Wire(IChatClient inner) => new ChatClientBuilder(inner).UseAgentBatch().Build();

    public IBatchAgent Clone(int index) => new StreamingAgent(client, options?.Clone(), updatesToRead);

    public async Task<ChatResponse> RunAsync(IReadOnlyList<ChatMessage> input, CancellationToken cancellationToken = default)
    {
        _history.AddRange(input);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(_history, options, cancellationToken))
        {
            updates.Add(update);
            if (updates.Count == updatesToRead)
            {
                break;
            }
        }

        var response = updates.ToChatResponse();
        _history.AddRange(response.Messages);
        return response;
    }
}
