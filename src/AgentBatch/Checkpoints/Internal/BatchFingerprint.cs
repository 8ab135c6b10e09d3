using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.AI;

namespace AgentBatch.Internal;

/// <summary>What a batch's results depend on, hashed: a resumed run reuses recorded results only under the same fingerprint.</summary>
/// <remarks>
/// In: the template's instructions, initial messages, chat options (model, sampling, output limit, stop sequences,
/// response format, tool names) and <c>MaxTurns</c> for a <see cref="ChatAgent"/>, or its type and name for any other
/// agent; the options that change what an item is asked (grouping, output repairs); the output type; the caller's own
/// part. Out: what changes only how fast or how far a batch gets (caps, pacing, concurrency, retries, timeouts).
/// </remarks>
internal static class BatchFingerprint
{
    public static string Of(IBatchAgent template, BatchOptions? options, Type outputType, string? extra)
    {
        var text = new StringBuilder("agentbatch-fingerprint-v1\n");
        Add(text, "output", outputType.FullName);
        Add(text, "items-per-request", (options?.MaxItemsPerRequest ?? 1).ToString(CultureInfo.InvariantCulture));
        Add(text, "repairs", (options?.OutputRepairAttempts ?? 1).ToString(CultureInfo.InvariantCulture));
        if (template is ChatAgent chat)
        {
            Describe(text, chat);
        }
        else
        {
            Add(text, "agent", template.GetType().FullName);
            Add(text, "name", template.Name);
        }

        Add(text, "extra", extra);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static void Describe(StringBuilder text, ChatAgent agent)
    {
        var options = agent.Options;
        Add(text, "instructions", options.Instructions);
        Add(text, "max-turns", options.MaxTurns.ToString(CultureInfo.InvariantCulture));
        foreach (var message in options.InitialMessages)
        {
            Add(text, "message:" + message.Role.Value, message.Text);
        }

        var chat = options.ChatOptions;
        Add(text, "model", chat?.ModelId ?? agent.ChatClient.GetService<ChatClientMetadata>()?.DefaultModelId);
        Add(text, "temperature", chat?.Temperature?.ToString("R", CultureInfo.InvariantCulture));
        Add(text, "top-p", chat?.TopP?.ToString("R", CultureInfo.InvariantCulture));
        Add(text, "top-k", chat?.TopK?.ToString(CultureInfo.InvariantCulture));
        Add(text, "max-output", chat?.MaxOutputTokens?.ToString(CultureInfo.InvariantCulture));
        Add(text, "frequency-penalty", chat?.FrequencyPenalty?.ToString("R", CultureInfo.InvariantCulture));
        Add(text, "presence-penalty", chat?.PresencePenalty?.ToString("R", CultureInfo.InvariantCulture));
        Add(text, "seed", chat?.Seed?.ToString(CultureInfo.InvariantCulture));
        Add(text, "stop", chat?.StopSequences is { } stops ? string.Join("\u001f", stops) : null);
        Add(text, "format", chat?.ResponseFormat switch
        {
            null => null,
            ChatResponseFormatText => "text",
            ChatResponseFormatJson json => "json:" + json.SchemaName + ":" + json.Schema?.GetRawText(),
            var other => other.GetType().FullName,
        });
        Add(text, "tools", chat?.Tools is { Count: > 0 } tools ? string.Join(",", tools.Select(t => t.Name)) : null);
    }

    private static void Add(StringBuilder text, string name, string? value) =>
        text.Append(name).Append('=').Append(value is null ? "-" : value.Length.ToString(CultureInfo.InvariantCulture) + ":" + value).Append('\n');
}
