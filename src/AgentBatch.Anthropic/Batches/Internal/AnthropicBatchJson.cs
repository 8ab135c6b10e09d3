using System.Text.Json;
using Anthropic.Models;
using Anthropic.Models.Messages.Batches;

namespace AgentBatch.Internal;

/// <summary>Anthropic's Message Batches as documented: a request's <c>params</c>, the batch's state and counts, an error's HTTP status.</summary>
internal static class AnthropicBatchJson
{
    /// <summary>A recorded <c>/v1/messages</c> body as a batch request's <c>params</c>: compact, and never streamed.</summary>
    public static byte[] Params(ReadOnlyMemory<byte> recorded)
    {
        using var document = JsonDocument.Parse(recorded);
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.NameEquals("stream"))
                {
                    continue;
                }

                property.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>One entry of the create request's <c>requests</c>: <c>{"custom_id", "params"}</c>.</summary>
    public static IReadOnlyDictionary<string, JsonElement> RequestData(string customId, ReadOnlyMemory<byte> body)
    {
        using var document = JsonDocument.Parse(body);
        return new Dictionary<string, JsonElement>(StringComparer.Ordinal)
        {
            ["custom_id"] = JsonSerializer.SerializeToElement(customId),
            ["params"] = document.RootElement.Clone(),
        };
    }

    /// <summary>A message batch's state and counts: <c>ended</c> is told apart by its counts and whether cancellation began.</summary>
    public static ProviderBatchStatus Status(MessageBatch batch)
    {
        var counts = batch.RequestCounts;
        var (processing, succeeded, errored, canceled, expired) = ((int)counts.Processing, (int)counts.Succeeded, (int)counts.Errored, (int)counts.Canceled, (int)counts.Expired);
        var state = batch.ProcessingStatus.Raw() switch
        {
            "in_progress" => ProviderBatchState.InProgress,
            "canceling" => ProviderBatchState.Cancelling,
            "ended" when batch.CancelInitiatedAt is not null => ProviderBatchState.Cancelled,
            "ended" when expired > 0 => ProviderBatchState.Expired,
            "ended" => ProviderBatchState.Completed,
            var other => throw new JsonException($"The message batch's processing_status '{other}' is not one Anthropic documents."),
        };

        return new ProviderBatchStatus(batch.ID, state)
        {
            RequestCount = processing + succeeded + errored + canceled + expired,
            Succeeded = succeeded,
            Errored = errored,
            Canceled = canceled,
            Expired = expired,
            CreatedAt = batch.CreatedAt,
        };
    }

    /// <summary>The HTTP status a live call gets for an error of this type.</summary>
    public static int StatusOf(ErrorResponse error) =>
        error.RawData.TryGetValue("error", out var inner) && inner.ValueKind == JsonValueKind.Object
        && inner.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
            ? AnthropicFaultClassifier.StatusOf(type.GetString())
            : 500;
}
