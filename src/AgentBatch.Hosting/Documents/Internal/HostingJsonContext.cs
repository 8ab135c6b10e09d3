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
[JsonSerializable(typeof(BatchCheckpointEntry))]
[JsonSerializable(typeof(DocumentSetSummary))]
[JsonSerializable(typeof(SetManifest))]
[JsonSerializable(typeof(JsonlRecord))]
[JsonSerializable(typeof(System.Text.Json.JsonElement))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(IReadOnlyList<BatchTaskInfo>))]
internal sealed partial class HostingJsonContext : JsonSerializerContext
{
    private static HostingJsonContext? _indented;

    /// <summary>Gets a context that writes indented JSON, for files people read.</summary>
    /// <remarks>Made on first use: <see cref="Default"/> is initialized in generated code whose order against this file's is not fixed.</remarks>
    public static HostingJsonContext Indented => _indented ??= new(new System.Text.Json.JsonSerializerOptions(Default.Options) { WriteIndented = true });
}
