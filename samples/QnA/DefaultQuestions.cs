namespace AgentBatch.Samples.QnA;

/// <summary>The questions asked when no file is given, and the answers the embedded mock knows for them.</summary>
internal static class DefaultQuestions
{
    public static IReadOnlyList<KnownAnswer> All { get; } =
    [
        new("What is the capital of France?", "Paris is the capital of France.", 0.99),
        new("How many legs does a spider have?", "A spider has eight legs.", 0.98),
        new("What is the boiling point of water at sea level in Celsius?", "Water boils at 100 degrees Celsius at sea level.", 0.97),
        new("Who wrote 'Pride and Prejudice'?", "Jane Austen wrote 'Pride and Prejudice'.", 0.99),
        new("What is the chemical symbol for gold?", "The chemical symbol for gold is Au.", 0.99),
        new("How many continents are there?", "By the most common convention there are seven continents.", 0.85),
        new("What is the largest planet in the Solar System?", "Jupiter is the largest planet in the Solar System.", 0.99),
        new("In what year did people first walk on the Moon?", "People first walked on the Moon in 1969, on Apollo 11.", 0.98),
    ];

    public static KnownAnswer? Find(string question) =>
        All.FirstOrDefault(known => string.Equals(known.Question, question.Trim(), StringComparison.OrdinalIgnoreCase));
}
