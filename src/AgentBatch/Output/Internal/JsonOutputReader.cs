using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace AgentBatch.Internal;

/// <summary>Typed output: every call asks for the JSON schema of <typeparamref name="TOutput"/>, and the reply is read and validated as one.</summary>
/// <remarks>
/// The schema is Microsoft.Extensions.AI's (<see cref="ChatResponseFormat.ForJsonSchema{T}(JsonSerializerOptions?, string?, string?)"/>),
/// the reader <see cref="JsonSerializer"/> with <see cref="AIJsonUtilities.DefaultOptions"/>. A reply is valid when it parses,
/// is not null, and passes the output's DataAnnotations (<see cref="Validator"/>, <see cref="IValidatableObject"/>) if it has any.
/// </remarks>
internal sealed class JsonOutputReader<TOutput> : OutputReader<TOutput>
{
    private readonly JsonSerializerOptions _serializerOptions;

    public JsonOutputReader(JsonSerializerOptions? serializerOptions)
    {
        _serializerOptions = serializerOptions ?? AIJsonUtilities.DefaultOptions;
        ResponseFormat = ChatResponseFormat.ForJsonSchema<TOutput>(_serializerOptions);
    }

    public static JsonOutputReader<TOutput> Default { get; } = new(null);

    public override ChatResponseFormat ResponseFormat { get; }

    public override bool Repairs => true;

    public override TOutput Read(ChatResponse response)
    {
        var text = Unfence(response.Text);
        TOutput? output;
        try
        {
            output = JsonSerializer.Deserialize<TOutput>(text, _serializerOptions);
        }
        catch (JsonException ex)
        {
            throw new StructuredOutputException(typeof(TOutput), ex.Path is { Length: > 0 } path ? $"not JSON of the required schema at {path}" : "not JSON of the required schema", ex);
        }

        if (output is null)
        {
            throw new StructuredOutputException(typeof(TOutput), "the JSON is null or empty", null);
        }

        if (output is not string && !typeof(TOutput).IsPrimitive)
        {
            var failures = new List<ValidationResult>();
            if (!Validator.TryValidateObject(output, new ValidationContext(output), failures, validateAllProperties: true))
            {
                throw new StructuredOutputException(typeof(TOutput), string.Join(" ", failures.Select(static f => f.ErrorMessage)), null);
            }
        }

        return output;
    }

    public override ChatMessage RepairTurn(StructuredOutputException problem) => new(
        ChatRole.User,
        $"Your last reply could not be used: {problem.Problem}. Reply again with only a JSON value that follows the required schema, and nothing else.");

    /// <summary>Models without structured output often fence JSON in Markdown.</summary>
    private static string Unfence(string text)
    {
        var trimmed = text.AsSpan().Trim();
        if (trimmed.StartsWith("```", StringComparison.Ordinal))
        {
            var firstLine = trimmed.IndexOf('\n');
            var close = trimmed.LastIndexOf("```", StringComparison.Ordinal);
            if (firstLine > 0 && close > firstLine)
            {
                return trimmed[(firstLine + 1)..close].Trim().ToString();
            }
        }

        return trimmed.ToString();
    }
}
