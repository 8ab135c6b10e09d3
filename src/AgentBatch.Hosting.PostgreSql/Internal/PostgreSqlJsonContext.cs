using System.Text.Json.Serialization;

namespace AgentBatch.Hosting.PostgreSql.Internal;

/// <summary>Source-generated JSON for the results the store keeps, in the same shape as <c>results.jsonl</c>'s lines.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true,
    PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(DocumentResult))]
[JsonSerializable(typeof(BatchCheckpointEntry))]
internal sealed partial class PostgreSqlJsonContext : JsonSerializerContext
{
}
