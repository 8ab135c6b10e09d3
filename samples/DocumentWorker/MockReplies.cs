using System.Text.Json;
using AgentBatch.Testing;

/// <summary>Deterministic replies for the embedded mock endpoint: a one-sentence summary, or keywords as JSON.</summary>
internal static class MockReplies
{
    public static MockChatReply Reply(MockChatRequest request)
    {
        var (name, text) = ParsePrompt(request.LastUserText);
        if (request.ResponseFormat is not null)
        {
            var keywords = text.Split([' ', '\n', '.', ',', ':', '#'], StringSplitOptions.RemoveEmptyEntries)
                .Where(w => w.Length > 6)
                .Select(w => w.ToLowerInvariant())
                .Distinct()
                .Take(5);
            return MockChatReply.Answer(JsonSerializer.Serialize(new { title = name, keywords }));
        }

        var firstSentence = text.Split('.', 2)[0].Trim().TrimStart('#', ' ');
        return MockChatReply.Answer($"{name}: {firstSentence}.");
    }

    /// <summary>Reads back the profile's prompt, "Document: {name}\n\n{text}".</summary>
    private static (string Name, string Text) ParsePrompt(string prompt)
    {
        const string prefix = "Document: ";
        var split = prompt.IndexOf("\n\n", StringComparison.Ordinal);
        return prompt.StartsWith(prefix, StringComparison.Ordinal) && split > 0
            ? (prompt[prefix.Length..split], prompt[(split + 2)..])
            : ("document", prompt);
    }
}
