using System.Text.Json.Serialization;

namespace AgentBatch.Hosting.Internal;

/// <summary>Source-generated JSON for the files the worker reads and writes, so no reflection runs per document.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true,
    PropertyNameCaseInsensitive = true,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(DocumentResult))]
[JsonSerializable(typeof(DocumentSetSummary))]
[JsonSerializable(typeof(SetManifest))]
[JsonSerializable(typeof(JsonlRecord))]
internal sealed partial class HostingJsonContext : JsonSerializerContext
{
}
