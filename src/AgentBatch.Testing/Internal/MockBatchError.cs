namespace AgentBatch.Testing.Internal;

/// <summary>One error an OpenAI batch failed with: an entry of its <c>errors.data</c>.</summary>
/// <param name="Code">The error code, such as <c>invalid_json_line</c> or <c>too_many_tasks</c>.</param>
/// <param name="Message">The message.</param>
/// <param name="Line">The 1-based input line at fault, if one is.</param>
/// <param name="Param">The parameter at fault, if one is.</param>
internal sealed record MockBatchError(string Code, string Message, int? Line = null, string? Param = null)
{
    /// <summary>The error as <see cref="MockBatch.Errors"/> lists it.</summary>
    /// <returns><c>line n: code: message</c>, or <c>code: message</c>.</returns>
    public override string ToString() => Line is { } line ? $"line {line}: {Code}: {Message}" : $"{Code}: {Message}";
}
