namespace AgentBatch.Samples.CodeAnalyzer;

/// <summary>The findings of one clone, for the one file it reviews. Thread-safe: a model may call tools in parallel.</summary>
internal sealed class FindingCollector
{
    private readonly Lock _gate = new();
    private readonly List<Finding> _findings = [];

    public FindingCollector(SourceFile file)
    {
        File = file;
    }

    public SourceFile File { get; }

    public IReadOnlyList<Finding> Findings
    {
        get
        {
            lock (_gate)
            {
                return _findings.OrderBy(finding => finding.Line).ToArray();
            }
        }
    }

    /// <summary>Records a finding and returns what the tool answers the model: a confirmation, or why it was refused.</summary>
    public string Report(string file, int line, string severity, string description)
    {
        // A finding is kept only for the file this clone reviews: a model that names another file is told so,
        // and nothing lands in that other file's report.
        if (!File.IsNamed(file))
        {
            return $"Not recorded: this review is of {File.Path} only; report findings for that file.";
        }

        if (line < 1 || line > File.Lines.Length)
        {
            return $"Not recorded: line {line} is outside {File.Path} (lines 1 to {File.Lines.Length}).";
        }

        if (!Enum.TryParse<FindingSeverity>(severity, ignoreCase: true, out var level) || !Enum.IsDefined(level))
        {
            return "Not recorded: severity must be one of low, medium, high, critical.";
        }

        if (string.IsNullOrWhiteSpace(description))
        {
            return "Not recorded: the description is empty.";
        }

        var finding = new Finding(File.Path, line, level, description.Trim());
        lock (_gate)
        {
            if (_findings.Contains(finding))
            {
                return $"Already recorded: {File.Path} line {line}.";
            }

            _findings.Add(finding);
            return $"Recorded finding {_findings.Count} for {File.Path} line {line}.";
        }
    }
}
