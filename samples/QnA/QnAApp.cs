using System.CommandLine;
using Microsoft.Extensions.AI;

namespace AgentBatch.Samples.QnA;

/// <summary>The QnA sample: one agent clone per question, structured output, a table of answers with tokens and cost.</summary>
internal static class QnAApp
{
    public const string Instructions =
        "Answer the question in one short sentence, and say how confident you are that the answer is correct, from 0 to 1.";

    public static Task<int> RunAsync(IReadOnlyList<string> args, SampleConsole console)
    {
        var questionsFile = new Argument<FileInfo?>("questions-file")
        {
            Description = "A text file with one question per line (# starts a comment); default: eight built-in questions",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var common = new CommonSampleOptions(defaultMaxConcurrency: 8, defaultMockLatencyMilliseconds: 400);
        var command = new RootCommand("Answers questions with one AgentBatch agent clone per question, as structured output.") { questionsFile };
        common.AddTo(command);

        return SampleCommandLine.InvokeAsync(command, args, console, (parsed, cancellationToken) =>
            AnswerAsync(console, parsed.GetValue(questionsFile), common.Read(parsed), cancellationToken));
    }

    private static async Task<int> AnswerAsync(SampleConsole console, FileInfo? questionsFile, SampleSettings settings, CancellationToken cancellationToken)
    {
        var questions = questionsFile is null ? DefaultQuestions.All.Select(known => known.Question).ToArray() : ReadQuestions(questionsFile);
        using var session = await SampleSession.StartAsync(console, "QnA", settings, MockQnAModel.Reply, cancellationToken);

        // The template is never run: each question gets its own clone, with a fresh history.
        var template = new ChatAgent(session.Endpoint.ChatClient, new ChatAgentOptions
        {
            Name = "qna",
            Instructions = Instructions,
            // No temperature: reasoning models refuse one. Their output limit counts reasoning tokens, hence the headroom.
            ChatOptions = new ChatOptions { MaxOutputTokens = 1_000, ResponseFormat = QnAAnswer.ResponseFormat },
        });

        var result = await session.RunWithProgressAsync("Answering", questions.Length, progress => new BatchRunner().RunBatchAsync(
            template,
            questions,
            inputMap: question => question,
            outputMap: QnAAnswer.FromReply,
            new BatchOptions { MaxConcurrency = settings.MaxConcurrency, Progress = progress },
            cancellationToken));

        AnswerTable.Write(console.Output, questions, result);
        var unanswered = result.Items.Count - result.SucceededCount;
        return unanswered == 0
            ? SampleExitCodes.Success
            : console.Fail(SampleExitCodes.ItemsFailed, $"{unanswered} of {result.Items.Count} questions not answered: {result.Items.First(i => !i.IsSuccess).Error?.Message}");
    }

    private static string[] ReadQuestions(FileInfo file)
    {
        if (!file.Exists)
        {
            throw new SampleException(SampleExitCodes.Usage, $"questions file not found: {file.FullName}");
        }

        var questions = File.ReadLines(file.FullName)
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .ToArray();
        return questions.Length > 0
            ? questions
            : throw new SampleException(SampleExitCodes.Usage, $"no questions in {file.FullName}");
    }
}
