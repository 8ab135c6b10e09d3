namespace AgentBatch.Hosting;

/// <summary>The tokens one document used, as the server reported them.</summary>
/// <param name="InputTokens">The input (prompt) tokens.</param>
/// <param name="OutputTokens">The output (completion) tokens.</param>
/// <param name="TotalTokens">The total tokens.</param>
public sealed record DocumentUsage(long InputTokens, long OutputTokens, long TotalTokens);
