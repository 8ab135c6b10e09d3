using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace AgentBatch.Hosting.Internal;

/// <summary>Runs one pass of a set's documents through the batch: an agent per profile, one result per document, final ones handed on to be recorded.</summary>
/// <remarks>
/// The documents come from wherever the worker takes them (the set's folder, or leases from a shared store); a result is
/// handed to <c>record</c> only when it is final (<see cref="BatchItemResult{TOutput}.IsFinal"/>): the model answered,
/// or the document failed on its own. Anything else (an outage, a refused key, a spent cap, a shutdown) goes to
/// <c>keepPending</c>, and the document runs again later.
/// </remarks>
internal sealed class SetBatch(BatchRunner runner, IChatClient chatClient, ILogger logger)
{
    public async Task<SetRunOutcome> RunAsync<TDocument>(
        string setName,
        string profileName,
        AgentProfile profile,
        BatchOptions options,
        IAsyncEnumerable<TDocument> documents,
        Func<TDocument, DocumentItem> documentOf,
        Func<TDocument, DocumentResult, ValueTask> record,
        Func<TDocument, BatchItemResult<TDocument, JsonElement>, ValueTask> keepPending,
        CancellationToken abort,
        CancellationToken stoppingToken)
    {
        var prompt = new PromptTemplate(profile.PromptTemplate);
        var agent = CreateAgent(profileName, profile);
        Func<ChatResponse, JsonElement> outputMap = profile.Output == DocumentOutputFormat.Json ? JsonOutput : TextOutput;
        var pending = 0;
        string? reason = null;
        try
        {
            var results = runner.StreamBatchAsync(agent, documents, document => Prompt(prompt, documentOf(document)), outputMap, options, abort);
            await foreach (var item in results.ConfigureAwait(false))
            {
                var document = documentOf(item.Item);
                if (!item.IsFinal)
                {
                    pending++;
                    reason ??= item.WasSent ? item.Error?.GetType().Name ?? item.Status.ToString() : item.NotSentReason.ToString();
                    await keepPending(item.Item, item).ConfigureAwait(false);
                    continue;
                }

                // Recorded even while the host stops: the document is paid for.
                await record(item.Item, ToResult(document, item)).ConfigureAwait(false);
                Log.DocumentFinished(logger, setName, document.Name, item.Status);
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            return SetRunOutcome.Interrupted;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new SetRunOutcome(Stopped: false, pending, ex.GetType().Name, ex);
        }

        return stoppingToken.IsCancellationRequested ? SetRunOutcome.Interrupted : new SetRunOutcome(Stopped: false, pending, reason, Error: null);
    }

    public static DocumentResult ToResult(DocumentItem document, BatchItemResult<JsonElement> item) => new()
    {
        Name = document.Name,
        Key = document.Key,
        Status = item.Status,
        Output = item.IsSuccess ? item.Output : null,
        Usage = item.Usage is { } usage
            ? new DocumentUsage(usage.InputTokenCount ?? 0, usage.OutputTokenCount ?? 0, usage.TotalTokenCount ?? ((usage.InputTokenCount ?? 0) + (usage.OutputTokenCount ?? 0)))
            : null,
        Cost = item.Cost,
        Attempts = item.Attempts,
        Error = item.Error?.Message,
        DurationMs = Math.Round(item.Duration.TotalMilliseconds, 1),
    };

    private ChatAgent CreateAgent(string profileName, AgentProfile profile) => new(chatClient, new ChatAgentOptions
    {
        Name = profileName,
        Instructions = profile.Instructions,
        ChatOptions = new ChatOptions
        {
            ModelId = profile.Model,
            Temperature = profile.Temperature,
            MaxOutputTokens = profile.MaxOutputTokens,
            ResponseFormat = profile.Output == DocumentOutputFormat.Json ? ChatResponseFormat.Json : null,
        },
    });

    private static string Prompt(PromptTemplate prompt, DocumentItem document) =>
        document.Problem is { } problem ? throw new InvalidDataException(problem) : prompt.Fill(document.Name, document.Text!);

    private static JsonElement TextOutput(ChatResponse response) => JsonSerializer.SerializeToElement(response.Text, HostingJsonContext.Default.String);

    private static JsonElement JsonOutput(ChatResponse response)
    {
        var text = response.Text.Trim();

        // Models often fence JSON in a markdown code block even when asked for JSON.
        if (text.StartsWith("```", StringComparison.Ordinal))
        {
            var start = text.IndexOf('\n', StringComparison.Ordinal);
            var end = text.LastIndexOf("```", StringComparison.Ordinal);
            text = start >= 0 && end > start ? text[(start + 1)..end] : text;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The reply is not JSON, as the profile's Output setting requires: {ex.Message}", ex);
        }
    }
}
