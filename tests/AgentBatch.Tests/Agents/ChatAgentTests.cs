using Microsoft.Extensions.AI;

namespace AgentBatch.Tests.Agents;

public sealed class ChatAgentTests
{
    [Fact]
    public async Task Clone_HasItsOwnHistoryAndName()
    {
        var options = new ChatAgentOptions { Name = "analyst", Instructions = "be brief" };
        options.InitialMessages.Add(new ChatMessage(ChatRole.User, "hi"));
        var template = new ChatAgent(new FakeChatClient(), options);

        var first = (ChatAgent)template.Clone(0);
        var second = (ChatAgent)template.Clone(1);
        await first.RunAsync("question one");

        Assert.Equal("analyst-0", first.Name);
        Assert.Equal("analyst-1", second.Name);
        Assert.Equal(4, first.History.Count);
        Assert.Equal("Echo: question one", first.History[^1].Text);
        Assert.Equal(2, second.History.Count);
        Assert.Equal(2, template.History.Count);
    }

    [Fact]
    public void Clone_GetsADeepCopyOfOptionsButSharesTools()
    {
        var tool = AIFunctionFactory.Create(() => "x", "tool");
        var options = new ChatAgentOptions { ChatOptions = new ChatOptions { Temperature = 0.1f, Tools = [tool] } };
        var template = new ChatAgent(new FakeChatClient(), options);

        options.ChatOptions.Temperature = 0.9f;
        var clone = (ChatAgent)template.Clone(3);
        var cloneOptions = clone.Options;
        cloneOptions.ChatOptions!.Temperature = 0.5f;

        Assert.Equal(0.1f, template.Options.ChatOptions!.Temperature);
        Assert.Equal(0.1f, clone.Options.ChatOptions!.Temperature);
        Assert.NotSame(template.Options.ChatOptions, clone.Options.ChatOptions);
        Assert.Same(tool, clone.Options.ChatOptions!.Tools![0]);
        Assert.Same(template.ChatClient, clone.ChatClient);
    }

    [Fact]
    public async Task RunAsync_SendsInstructionsInitialMessagesAndInput()
    {
        IReadOnlyList<ChatMessage>? sent = null;
        var client = new FakeChatClient
        {
            Callback = (messages, _, _) =>
            {
                sent = messages;
                return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")));
            },
        };
        var options = new ChatAgentOptions { Instructions = "rules" };
        options.InitialMessages.Add(new ChatMessage(ChatRole.User, "q"));
        options.InitialMessages.Add(new ChatMessage(ChatRole.Assistant, "a"));

        await new ChatAgent(client, options).Clone(0).RunAsync("input");

        Assert.Equal([(ChatRole.System, "rules"), (ChatRole.User, "q"), (ChatRole.Assistant, "a"), (ChatRole.User, "input")], sent!.Select(m => (m.Role, m.Text)));
    }
}
