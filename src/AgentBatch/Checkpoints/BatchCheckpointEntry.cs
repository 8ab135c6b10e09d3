using System.Text.Json;

namespace AgentBatch;

/// <summary>One item's final result as an <see cref="IBatchCheckpointStore"/> keeps it.</summary>
/// <param name="ItemKey">The item's key within the run.</param>
/// <param name="Status">How the item ended: <see cref="BatchItemStatus.Succeeded"/>, or <see cref="BatchItemStatus.Failed"/> for a failure of its own.</param>
/// <param name="Output">The item's output as JSON when it succeeded; otherwise <see langword="null"/>.</param>
/// <param name="Error">The (redacted) message of the item's error when it failed; otherwise <see langword="null"/>.</param>
/// <param name="InputTokens">The input tokens the server reported for the item.</param>
/// <param name="OutputTokens">The output tokens the server reported for the item.</param>
/// <param name="Cost">The item's cost, or <see langword="null"/> when unknown.</param>
/// <param name="Attempts">The requests sent for the item.</param>
public sealed record BatchCheckpointEntry(
    string ItemKey,
    BatchItemStatus Status,
    JsonElement? Output,
    string? Error,
    long InputTokens,
    long OutputTokens,
    decimal? Cost,
    int Attempts);
