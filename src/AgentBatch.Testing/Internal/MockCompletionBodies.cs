using System.Globalization;
using System.Text.Json.Nodes;

namespace AgentBatch.Testing.Internal;

/// <summary>Builds the OpenAI chat-completions response bodies for a reply: one JSON object, or a stream of chunk events.</summary>
/// <remarks>Both forms of one reply carry the same id, model, tool call ids and usage figures.</remarks>
internal static class MockCompletionBodies
{
    /// <summary>The event that ends every stream.</summary>
    public const string DoneEvent = "data: [DONE]\n\n";

    /// <summary>How many deltas a streamed answer's text comes in (fewer when it is shorter).</summary>
    public const int TextDeltas = 4;

    /// <summary>How many deltas a streamed tool call's arguments come in (fewer when they are shorter).</summary>
    public const int ArgumentDeltas = 2;

    /// <summary>The non-streaming <c>chat.completion</c> body.</summary>
    /// <param name="request">The request.</param>
    /// <param name="reply">The reply.</param>
    /// <param name="counter">The counter for usage figures the reply does not set; <see langword="null"/> for an estimate.</param>
    /// <returns>The JSON body.</returns>
    public static string Completion(MockChatRequest request, MockChatReply reply, ITokenCounter? counter)
    {
        var message = new JsonObject { ["role"] = "assistant" };
        if (reply.ToolCalls.Count > 0)
        {
            message["content"] = null;
            var calls = new JsonArray();
            for (var n = 0; n < reply.ToolCalls.Count; n++)
            {
                var call = reply.ToolCalls[n];
                calls.Add(new JsonObject
                {
                    ["id"] = CallId(request, n),
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = call.ArgumentsJson },
                });
            }

            message["tool_calls"] = calls;
        }
        else
        {
            message["content"] = reply.Text ?? string.Empty;
        }

        var body = Envelope(request, reply, "chat.completion");
        body["choices"] = new JsonArray
        {
            new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = FinishReason(reply) },
        };
        if (reply.IncludeUsage)
        {
            body["usage"] = Usage(request, reply, counter);
        }

        return body.ToJsonString();
    }

    /// <summary>The streaming body as server-sent events, each a complete <c>data: ...\n\n</c> line, ending with <see cref="DoneEvent"/>.</summary>
    /// <param name="request">The request.</param>
    /// <param name="reply">The reply.</param>
    /// <param name="counter">The counter for usage figures the reply does not set; <see langword="null"/> for an estimate.</param>
    /// <returns>The events, in order.</returns>
    /// <remarks>
    /// The first chunk carries the assistant role and the first piece of the text (or the first tool call's id and name),
    /// so a stream cut after it has already said something. Then come the other pieces, a chunk with the
    /// <c>finish_reason</c>, a usage chunk with empty <c>choices</c> when the request asked for one
    /// (<c>stream_options.include_usage</c>) and the reply includes usage, and <c>[DONE]</c>.
    /// </remarks>
    public static IReadOnlyList<string> StreamEvents(MockChatRequest request, MockChatReply reply, ITokenCounter? counter)
    {
        var deltas = new List<JsonObject>();
        if (reply.ToolCalls.Count > 0)
        {
            for (var n = 0; n < reply.ToolCalls.Count; n++)
            {
                var call = reply.ToolCalls[n];
                var head = NextDelta(deltas);
                if (n == 0)
                {
                    head["content"] = null;
                }

                head["tool_calls"] = new JsonArray
                {
                    new JsonObject
                    {
                        ["index"] = n,
                        ["id"] = CallId(request, n),
                        ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = string.Empty },
                    },
                };
                foreach (var piece in Split(call.ArgumentsJson, ArgumentDeltas))
                {
                    NextDelta(deltas)["tool_calls"] = new JsonArray
                    {
                        new JsonObject { ["index"] = n, ["function"] = new JsonObject { ["arguments"] = piece } },
                    };
                }
            }
        }
        else
        {
            var pieces = Split(reply.Text ?? string.Empty, TextDeltas);
            if (pieces.Count == 0)
            {
                pieces.Add(string.Empty);
            }

            foreach (var piece in pieces)
            {
                NextDelta(deltas)["content"] = piece;
            }
        }

        var events = new List<string>(deltas.Count + 3);
        events.AddRange(deltas.Select(delta => Event(Chunk(request, reply, delta, finishReason: null))));
        events.Add(Event(Chunk(request, reply, new JsonObject(), FinishReason(reply))));
        if (request.StreamIncludesUsage && reply.IncludeUsage)
        {
            var usage = Envelope(request, reply, "chat.completion.chunk");
            usage["choices"] = new JsonArray();
            usage["usage"] = Usage(request, reply, counter);
            events.Add(Event(usage));
        }

        events.Add(DoneEvent);
        return events;
    }

    /// <summary>Adds an empty delta to the list; the first one says the role.</summary>
    private static JsonObject NextDelta(List<JsonObject> deltas)
    {
        var delta = deltas.Count == 0 ? new JsonObject { ["role"] = "assistant" } : new JsonObject();
        deltas.Add(delta);
        return delta;
    }

    private static string CallId(MockChatRequest request, int n) => $"call_{request.Sequence}_{n}";

    private static string FinishReason(MockChatReply reply) => reply.ToolCalls.Count > 0 ? "tool_calls" : "stop";

    private static string Event(JsonObject chunk) => "data: " + chunk.ToJsonString() + "\n\n";

    private static JsonObject Envelope(MockChatRequest request, MockChatReply reply, string type) => new()
    {
        ["id"] = string.Create(CultureInfo.InvariantCulture, $"chatcmpl-mock-{request.Sequence}"),
        ["object"] = type,
        ["created"] = 1_700_000_000,
        ["model"] = reply.Model ?? (request.Model.Length > 0 ? request.Model : "mock"),
    };

    private static JsonObject Chunk(MockChatRequest request, MockChatReply reply, JsonObject delta, string? finishReason)
    {
        var chunk = Envelope(request, reply, "chat.completion.chunk");
        chunk["choices"] = new JsonArray
        {
            new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finishReason },
        };
        return chunk;
    }

    /// <summary>The OpenAI error body for a reply whose status is not 200: <c>{"error":{"message","type","code"}}</c>.</summary>
    /// <param name="reply">The reply.</param>
    /// <returns>The JSON body.</returns>
    public static string Error(MockChatReply reply) => Error(reply.StatusCode, reply.ErrorMessage ?? "mock error");

    /// <summary>The OpenAI error body for a status and a message: <c>{"error":{"message","type","code"}}</c>.</summary>
    /// <param name="status">The HTTP status, which decides the error type.</param>
    /// <param name="message">The message.</param>
    /// <returns>The JSON body.</returns>
    public static string Error(int status, string message)
    {
        var type = status == 429 ? "rate_limit_exceeded" : status >= 500 ? "server_error" : "invalid_request_error";
        return new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["message"] = message,
                ["type"] = type,
                ["code"] = status.ToString(CultureInfo.InvariantCulture),
            },
        }.ToJsonString();
    }

    // OpenAI's chat format, as the counter counts it: overhead per message and priming the reply.
    private const int TokensPerMessage = 3;
    private const int ReplyPrimingTokens = 3;

    /// <summary>The usage figures of a reply: those it sets, else counted or estimated from the request and the reply.</summary>
    /// <param name="request">The request.</param>
    /// <param name="reply">The reply.</param>
    /// <param name="counter">The counter for figures the reply does not set; <see langword="null"/> for an estimate.</param>
    /// <returns>The prompt (input) and completion (output) tokens.</returns>
    public static (int Prompt, int Completion) UsageFigures(MockChatRequest request, MockChatReply reply, ITokenCounter? counter)
    {
        Func<string, int> count = counter is null ? EstimateTokens : text => counter.CountTokens(text, request.Model);
        var prompt = reply.PromptTokens
            ?? request.Messages.Sum(m => TokensPerMessage + count(m.Role) + count(m.Content)) + ReplyPrimingTokens;
        var completion = reply.CompletionTokens
            ?? (reply.ToolCalls.Count > 0 ? reply.ToolCalls.Sum(c => count(c.ArgumentsJson) + 5) : count(reply.Text ?? string.Empty));
        return (prompt, completion);
    }

    private static JsonObject Usage(MockChatRequest request, MockChatReply reply, ITokenCounter? counter)
    {
        var (prompt, completion) = UsageFigures(request, reply, counter);
        return new JsonObject
        {
            ["prompt_tokens"] = prompt,
            ["completion_tokens"] = completion,
            ["total_tokens"] = prompt + completion,
        };
    }

    private static int EstimateTokens(string text) => Math.Max(1, (text.Length + 3) / 4);

    /// <summary>Splits text into at most <paramref name="parts"/> nonempty pieces of about equal length, never inside a surrogate pair.</summary>
    /// <param name="text">The text.</param>
    /// <param name="parts">The most pieces.</param>
    /// <returns>The pieces; none for an empty text.</returns>
    public static List<string> Split(string text, int parts)
    {
        var pieces = new List<string>(parts);
        var size = Math.Max(1, (text.Length + parts - 1) / parts);
        var start = 0;
        while (start < text.Length)
        {
            var end = Math.Min(text.Length, start + size);
            if (end < text.Length && char.IsHighSurrogate(text[end - 1]))
            {
                end++;
            }

            pieces.Add(text[start..end]);
            start = end;
        }

        return pieces;
    }
}
