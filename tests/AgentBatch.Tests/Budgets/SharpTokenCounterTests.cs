using Microsoft.Extensions.AI;

namespace AgentBatch.Tests.Budgets;

public sealed class SharpTokenCounterTests
{
    [Theory]
    [InlineData("gpt-4o", "o200k_base")]
    [InlineData("gpt-4o-mini-2024-07-18", "o200k_base")]
    [InlineData("gpt-4.1-nano", "o200k_base")]
    [InlineData("o3-mini", "o200k_base")]
    [InlineData("o1", "o200k_base")]
    [InlineData("gpt-5", "o200k_base")]
    [InlineData("openai/gpt-4o", "o200k_base")]
    [InlineData("gpt-4", "cl100k_base")]
    [InlineData("gpt-4-turbo", "cl100k_base")]
    [InlineData("gpt-3.5-turbo", "cl100k_base")]
    [InlineData("llama3.1:8b", "o200k_base")]
    [InlineData(null, "o200k_base")]
    public void GetEncodingName_FollowsTheModelFamily(string? model, string expected) =>
        Assert.Equal(expected, SharpTokenCounter.GetEncodingName(model));

    [Fact]
    public void CountTokens_CountsUnderTheModelsEncoding()
    {
        var counter = SharpTokenCounter.Default;
        Assert.Equal(2, counter.CountTokens("hello world", "gpt-4o"));
        Assert.Equal(2, counter.CountTokens("hello world", "gpt-4"));
        Assert.Equal(0, counter.CountTokens(string.Empty));
    }

    [Fact]
    public void CountInputTokens_IncludesPerMessageAndReplyPrimingOverhead()
    {
        var counter = SharpTokenCounter.Default;
        var options = new ChatOptions { ModelId = "gpt-4o" };

        // 3 per message + "user" (1) + "hello world" (2) + 3 priming the reply.
        Assert.Equal(9, counter.CountInputTokens([new ChatMessage(ChatRole.User, "hello world")], options));

        var two = counter.CountInputTokens([new ChatMessage(ChatRole.System, "hello world"), new ChatMessage(ChatRole.User, "hello world")], options);
        Assert.Equal(9 + 3 + counter.CountTokens("system", "gpt-4o") + 2, two);
    }

    [Fact]
    public void CountInputTokens_CountsToolDefinitionsAndCalls()
    {
        var counter = SharpTokenCounter.Default;
        var tool = AIFunctionFactory.Create((string city) => city, "get_weather", "Gets the weather for a city.");
        var plain = counter.CountInputTokens([new ChatMessage(ChatRole.User, "weather?")]);
        var withTool = counter.CountInputTokens([new ChatMessage(ChatRole.User, "weather?")], new ChatOptions { Tools = [tool] });
        var withCall = counter.CountInputTokens([
            new ChatMessage(ChatRole.User, "weather?"),
            new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("c1", "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo" })]),
            new ChatMessage(ChatRole.Tool, [new FunctionResultContent("c1", "Oslo: 21C")]),
        ]);

        Assert.True(withTool > plain + 10);
        Assert.True(withCall > plain + 10);
    }

    [Fact]
    public void CountTokens_LongSharedTextIsCountedConsistently()
    {
        var counter = new SharpTokenCounter();
        var instructions = string.Concat(Enumerable.Repeat("Follow the style guide carefully. ", 200));

        var first = counter.CountTokens(instructions, "gpt-4o");
        var again = counter.CountTokens(instructions, "gpt-4o");
        var copy = counter.CountTokens(new string(instructions.AsSpan()), "gpt-4o");

        Assert.Equal(first, again);
        Assert.Equal(first, copy);
        Assert.InRange(first, 1000, 2000);
    }

    [Theory]
    [InlineData("gpt-4o", 1_445)]
    [InlineData("gpt-4o-mini", 48_169)]
    [InlineData("gpt-4.1-mini", 2_489)]
    [InlineData("llava:13b", 1_600)]
    public void CountInputTokens_AnImageCountsAsTheMostItCanCostOnTheModel(string model, int imageTokens)
    {
        var counter = SharpTokenCounter.Default;
        var options = new ChatOptions { ModelId = model };
        var text = counter.CountInputTokens([new ChatMessage(ChatRole.User, "what is this?")], options);
        var withImage = counter.CountInputTokens(
            [new ChatMessage(ChatRole.User, [new TextContent("what is this?"), new DataContent(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, "image/png")])], options);
        var withTwoLinks = counter.CountInputTokens(
            [new ChatMessage(ChatRole.User, [new TextContent("what is this?"), new UriContent("https://example.com/a.jpg", "image/jpeg"), new UriContent("https://example.com/b.jpg", "image/jpeg")])], options);

        Assert.Equal(text + imageTokens, withImage);
        Assert.Equal(text + (2 * imageTokens), withTwoLinks);
    }
}
