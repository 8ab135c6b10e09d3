namespace AgentBatch;

/// <summary>A built-in table of context windows (input tokens a request may carry) for common OpenAI models, looked up by model id.</summary>
/// <remarks>Dated or suffixed ids match their family by longest prefix. Set <c>BatchOptions.MaxInputTokens</c> for other models.</remarks>
public static class ModelContextWindows
{
    // Longest prefixes first, so "gpt-4o" wins over "gpt-4" and "gpt-4-turbo" over "gpt-4".
    private static readonly (string Prefix, int Tokens)[] Table =
    [
        ("gpt-4.1-nano", 1_047_576),
        ("gpt-4.1-mini", 1_047_576),
        ("gpt-4o-mini", 128_000),
        ("gpt-5-nano", 400_000),
        ("gpt-5-mini", 400_000),
        ("gpt-4-turbo", 128_000),
        ("gpt-3.5-turbo", 16_385),
        ("o3-mini", 200_000),
        ("o4-mini", 200_000),
        ("o1-mini", 128_000),
        ("gpt-4.1", 1_047_576),
        ("gpt-4o", 128_000),
        ("gpt-5", 400_000),
        ("gpt-4", 8_192),
        ("o1", 200_000),
        ("o3", 200_000),
    ];

    /// <summary>Looks up a model's context window.</summary>
    /// <param name="modelId">The model id.</param>
    /// <param name="tokens">The context window in tokens, when found.</param>
    /// <returns><see langword="true"/> when the model is in the table.</returns>
    public static bool TryGetContextWindow(string? modelId, out int tokens)
    {
        return AgentBatch.Internal.ModelFamilyTable.TryFind(Table, modelId, out tokens);
    }
}
