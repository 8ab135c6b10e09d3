namespace AgentBatch.Testing;

/// <summary>One message of a chat request, as the mock server received it (an Anthropic message in its chat-completions reading; see <see cref="MockChatRequest"/>).</summary>
/// <param name="Role">The message role: <c>system</c>, <c>user</c>, <c>assistant</c> or <c>tool</c>.</param>
/// <param name="Content">The message text (text parts joined), or an empty string.</param>
/// <param name="ToolCallId">For a <c>tool</c> message, the id of the call it answers.</param>
/// <param name="ToolCallNames">For an <c>assistant</c> message, the names of the tools it called.</param>
public sealed record MockChatMessage(string Role, string Content, string? ToolCallId, IReadOnlyList<string> ToolCallNames);
