using System.Text.Json;
using AgentBatch.Testing;

namespace AgentBatch.Samples.QnA;

/// <summary>The embedded mock's scripted model: answers the built-in questions correctly, in the requested JSON schema.</summary>
internal static class MockQnAModel
{
    private static readonly KnownAnswer Unknown = new(string.Empty, "I cannot answer that reliably without more context.", 0.2);

    public static MockChatReply Reply(MockChatRequest request)
    {
        var known = DefaultQuestions.Find(request.LastUserText) ?? Unknown;
        return request.ResponseFormat is "json_schema" or "json_object"
            ? MockChatReply.Answer(JsonSerializer.Serialize(new QnAAnswer(known.Answer, known.Confidence), QnAAnswer.JsonOptions))
            : MockChatReply.Answer(known.Answer);
    }
}
