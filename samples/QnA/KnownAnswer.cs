namespace AgentBatch.Samples.QnA;

/// <summary>A built-in question and the answer the embedded mock gives it.</summary>
internal sealed record KnownAnswer(string Question, string Answer, double Confidence);
