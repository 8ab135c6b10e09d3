using AgentBatch.Testing;
using Microsoft.Extensions.AI;

namespace AgentBatch.Tests.Agents;

/// <summary>A hand-written agent: Clone resets its own per-item state, and UseAgentBatch lets the runner see its calls.</summary>
public sealed class CustomAgentTests : IDisposable
{
    private readonly MockChatServer _server = MockChatServer.Start(request =>
        MockChatReply.Answer($"draft {request.Messages.Count(m => m.Role == "user")}: {request.LastUserText}") with { PromptTokens = 10, CompletionTokens = 5 });

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task RunBatchAsync_CustomAgent_GetsFreshStatePerItemAndItsCallsAreCounted()
    {
        var client = new ChatClientBuilder(_server.CreateChatClient()).UseAgentBatch().Build();
        var template = new TwoPassAgent(client, "reviewer");

        var result = await new BatchRunner().RunBatchAsync(template, ["alpha", "beta", "gamma"], s => s, r => r.Text, new BatchOptions { MaxConcurrency = 3 });

        // Each clone starts from empty state: its second pass is its own second user turn, never a third.
        Assert.Equal(["draft 2: refine: alpha", "draft 2: refine: beta", "draft 2: refine: gamma"], result.Outputs);
        Assert.All(result.Items, i => Assert.Equal(2, i.Attempts));
        Assert.All(result.Items, i => Assert.Equal(30, i.Usage!.TotalTokenCount));
        Assert.Equal(6, _server.RequestCount);
        Assert.Empty(template.History);
        Assert.Equal(0, template.Passes);
    }

    /// <summary>Answers in two passes over its own history, counting passes as per-item state.</summary>
    private sealed class TwoPassAgent(IChatClient client, string name) : IBatchAgent
    {
        private readonly List<ChatMessage> _history = [];

        public string Name => name;

        public IReadOnlyList<ChatMessage> History => _history;

        public int Passes { get; private set; }

        public IBatchAgent Clone(int index) => new TwoPassAgent(client, $"{name}-{index}");

        public async Task<ChatResponse> RunAsync(IReadOnlyList<ChatMessage> input, CancellationToken cancellationToken = default)
        {
            ChatResponse? response = null;
            var text = input[^1].Text;
            foreach (var turn in new[] { text, "refine: " + text })
            {
                Passes++;
                _history.Add(new ChatMessage(ChatRole.User, turn));
                response = await client.GetResponseAsync(_history, cancellationToken: cancellationToken);
                _history.AddRange(response.Messages);
            }

            return response!;
        }
    }
}
