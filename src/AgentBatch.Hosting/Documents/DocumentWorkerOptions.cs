namespace AgentBatch.Hosting;

/// <summary>
/// The settings of the document-set worker, bound from the <c>AgentBatch:Worker</c> configuration section: where sets
/// arrive, where results go, and the profiles that say what to do with each document.
/// </summary>
public sealed class DocumentWorkerOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "AgentBatch:Worker";

    /// <summary>The name of the profile a set uses when its <c>set.json</c> names none.</summary>
    public const string DefaultProfileName = "default";

    /// <summary>Gets or sets the name of the batch whose options and chat client the worker runs on, as given to <c>AddAgentBatch(name, ...)</c>.</summary>
    /// <value>The default value is empty: the default batch (the <c>AgentBatch</c> section and the unkeyed <c>IChatClient</c>).</value>
    public string BatchName { get; set; } = "";

    /// <summary>Gets or sets the folder document sets are dropped into: a sub-folder of documents or a <c>.jsonl</c> file of records per set.</summary>
    /// <value>Required. Entries whose names start with <c>.</c> or <c>_</c> are ignored, so a set can be copied under such a name and renamed when complete.</value>
    public string InboxPath { get; set; } = "";

    /// <summary>Gets or sets the folder each set's <c>results.jsonl</c>, <c>summary.json</c> and <c>results.csv</c> are written to, in a sub-folder named after the set.</summary>
    /// <value>Required.</value>
    public string OutputPath { get; set; } = "";

    /// <summary>Gets or sets the folder finished sets are moved to; <see langword="null"/> for <c>.processed</c> inside the inbox.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? ProcessedPath { get; set; }

    /// <summary>Gets or sets the SQLite file progress is checkpointed to; <see langword="null"/> for <c>.agentbatch/checkpoints.db</c> inside the output folder.</summary>
    /// <value>The default value is <see langword="null"/>. Ignored when another <see cref="IDocumentCheckpointStore"/> is registered.</value>
    public string? CheckpointPath { get; set; }

    /// <summary>Gets or sets how often the inbox is scanned when no file-system notification arrives.</summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets the largest document read, in bytes; a larger one fails alone.</summary>
    /// <value>The default value is 4 MiB.</value>
    public long MaxDocumentBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Gets or sets a value indicating whether every set also gets a <c>results.csv</c>.</summary>
    /// <value>The default value is <see langword="false"/>; a set can ask for one in its <c>set.json</c>.</value>
    public bool WriteCsv { get; set; }

    /// <summary>Gets or sets a value indicating whether each succeeded document's output is also written to its own file, <c>documents/NAME.txt</c> (or <c>.json</c>) in the set's output folder.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool WriteDocumentFiles { get; set; }

    /// <summary>Gets or sets how long a set stopped by a failing endpoint (an open circuit, an unreadable set) waits before it is tried again.</summary>
    /// <value>The default value is 1 minute. Other sets run meanwhile.</value>
    public TimeSpan SetRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Gets or sets a value indicating whether the host stops once the inbox holds no unfinished set, for runs from a scheduler.</summary>
    /// <value>
    /// The default value is <see langword="false"/>: the worker keeps watching the inbox. When a set could not finish
    /// (its endpoint kept failing), the process exit code is set to 1.
    /// </value>
    public bool ExitWhenIdle { get; set; }

    /// <summary>Gets the profiles by name; a set picks one with <c>"profile"</c> in its <c>set.json</c>.</summary>
    /// <value>Empty by default, in which case <see cref="DefaultProfileName"/> means a profile with default settings.</value>
    public IDictionary<string, AgentProfile> Profiles { get; } = new Dictionary<string, AgentProfile>(StringComparer.OrdinalIgnoreCase);
}
