namespace AgentBatch.Testing;

/// <summary>A tool call the mock model makes.</summary>
/// <param name="Name">The tool's name.</param>
/// <param name="ArgumentsJson">The call's arguments as a JSON object.</param>
public sealed record MockToolCall(string Name, string ArgumentsJson);
