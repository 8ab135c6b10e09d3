namespace AgentBatch.Internal;

/// <summary>Looks a model id up in a table of model-family prefixes, longest prefix listed first.</summary>
internal static class ModelFamilyTable
{
    /// <summary>Matches <c>gpt-4o-mini-2024-07-18</c> and <c>openai/gpt-4o-mini</c> to a <c>gpt-4o-mini</c> row, never <c>gpt-4ox</c>.</summary>
    public static bool TryFind<T>((string Prefix, T Value)[] table, string? modelId, out T value)
    {
        value = default!;
        if (string.IsNullOrWhiteSpace(modelId))
        {
            return false;
        }

        var name = modelId.AsSpan(modelId.LastIndexOf('/') + 1);
        foreach (var (prefix, candidate) in table)
        {
            if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
                && (name.Length == prefix.Length || name[prefix.Length] == '-'))
            {
                value = candidate;
                return true;
            }
        }

        return false;
    }
}
