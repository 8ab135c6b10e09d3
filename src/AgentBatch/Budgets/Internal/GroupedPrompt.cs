using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace AgentBatch.Internal;

/// <summary>The prompt that asks for several items' answers in one call, and the parser of its reply.</summary>
/// <remarks>
/// The prompt numbers the items from 1 and asks for <c>{"answers":[{"item":1,"answer":"..."}, ...]}</c>, with exactly one
/// answer per item. Where the model supports structured output the same shape is requested as a JSON schema.
/// </remarks>
internal static class GroupedPrompt
{
    /// <summary>The additional-properties key that marks a call as a grouped request of this many items.</summary>
    public const string GroupSizeKey = "agentbatch.group_size";

    private const string SchemaName = "batch_answers";

    private static readonly JsonElement Schema = JsonDocument.Parse("""
        {
          "type": "object",
          "properties": {
            "answers": {
              "type": "array",
              "items": {
                "type": "object",
                "properties": { "item": { "type": "integer" }, "answer": { "type": "string" } },
                "required": ["item", "answer"],
                "additionalProperties": false
              }
            }
          },
          "required": ["answers"],
          "additionalProperties": false
        }
        """).RootElement.Clone();

    /// <summary>Gets the response format asking for the grouped answers' shape.</summary>
    public static ChatResponseFormat ResponseFormat { get; } =
        ChatResponseFormat.ForJsonSchema(Schema, SchemaName, "One answer per numbered item.");

    /// <summary>Gets the tokens the prompt adds around the items, beyond the items' own text.</summary>
    public static int FramingTokens(ITokenCounter counter, int itemCount) =>
        counter.CountTokens(Header(itemCount)) + (itemCount * 12);

    public static string Build(IReadOnlyList<string> inputs)
    {
        var prompt = new StringBuilder(Header(inputs.Count));
        for (var i = 0; i < inputs.Count; i++)
        {
            var number = (i + 1).ToString(CultureInfo.InvariantCulture);
            prompt.Append("\n\n<item ").Append(number).Append(">\n").Append(inputs[i]).Append("\n</item ").Append(number).Append('>');
        }

        return prompt.ToString();
    }

    /// <summary>Reads one answer per item from a grouped reply; <see langword="null"/> when the reply is not that.</summary>
    public static string[]? TryParse(string? text, int itemCount)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        // Models without structured output often fence JSON or add a sentence around it.
        var start = text.IndexOf('{', StringComparison.Ordinal);
        var end = text.LastIndexOf('}');
        if (start < 0 || end <= start)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(text.AsMemory(start, end - start + 1));
            if (!document.RootElement.TryGetProperty("answers", out var answers) || answers.ValueKind != JsonValueKind.Array
                || answers.GetArrayLength() != itemCount)
            {
                return null;
            }

            var result = new string[itemCount];
            foreach (var answer in answers.EnumerateArray())
            {
                if (!answer.TryGetProperty("item", out var item) || !item.TryGetInt32(out var number)
                    || number < 1 || number > itemCount || result[number - 1] is not null
                    || !answer.TryGetProperty("answer", out var value))
                {
                    return null;
                }

                result[number - 1] = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
            }

            return result;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Header(int itemCount) =>
        $"Answer each of the {itemCount.ToString(CultureInfo.InvariantCulture)} numbered items below on its own, exactly as you would answer it alone. " +
        "Reply with only a JSON object of the form {\"answers\":[{\"item\":1,\"answer\":\"...\"}]} holding exactly one answer per item, " +
        "in item order, each answer a string.";
}
