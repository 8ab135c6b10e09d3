using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentBatch.Testing.Internal;

/// <summary>Lenient reads of JSON values the batch endpoints receive: a value of the wrong type reads as absent.</summary>
internal static class MockJson
{
    /// <summary>The node's string, or <see langword="null"/>.</summary>
    /// <param name="node">The node.</param>
    /// <returns>The string.</returns>
    public static string? StringOf(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>The node's integer, or <see langword="null"/>.</summary>
    /// <param name="node">The node.</param>
    /// <returns>The integer.</returns>
    public static long? IntegerOf(JsonNode? node) => node is JsonValue value && value.TryGetValue<long>(out var number) ? number : null;

    /// <summary>Parses JSON text, or keeps text that is not JSON as a string value.</summary>
    /// <param name="raw">The text.</param>
    /// <returns>The node.</returns>
    public static JsonNode? ParseOrString(string raw)
    {
        try
        {
            return JsonNode.Parse(raw);
        }
        catch (JsonException)
        {
            return JsonValue.Create(raw);
        }
    }

    /// <summary>Parses a request body, or returns <see langword="null"/> if it is not a JSON object.</summary>
    /// <param name="raw">The body.</param>
    /// <returns>The object.</returns>
    public static JsonObject? ParseObject(string? raw)
    {
        try
        {
            return JsonNode.Parse(raw ?? string.Empty) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
