using System.ComponentModel;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace AgentBatch.Samples.QnA;

/// <summary>The structured output asked of the model for each question: the JSON schema is generated from this record.</summary>
[Description("An answer to the question and the confidence that it is correct.")]
internal sealed record QnAAnswer(
    [property: Description("The answer, in one short sentence.")] string Answer,
    [property: Description("Confidence that the answer is correct, from 0 to 1.")] double Confidence)
{
    /// <summary>camelCase property names, as in the schema.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web);

    /// <summary>The response format to put in <see cref="ChatOptions.ResponseFormat"/>.</summary>
    public static ChatResponseFormat ResponseFormat { get; } = ChatResponseFormat.ForJsonSchema<QnAAnswer>(JsonOptions, "qna_answer");

    /// <summary>The batch's output map: reads the reply as this record (a reply that is not one fails its item).</summary>
    public static QnAAnswer FromReply(ChatResponse reply)
    {
        var answer = new ChatResponse<QnAAnswer>(reply, JsonOptions).Result;
        if (string.IsNullOrWhiteSpace(answer.Answer) || answer.Confidence is < 0 or > 1)
        {
            throw new InvalidDataException($"The model's reply is not an answer with a confidence from 0 to 1: {reply.Text}");
        }

        return answer;
    }
}
