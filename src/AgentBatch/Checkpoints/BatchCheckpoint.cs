using System.Text.Json;

namespace AgentBatch;

/// <summary>Makes a batch resumable: where its final results are recorded, under which run, and how an item is known again.</summary>
/// <typeparam name="TItem">The type of the batch's items.</typeparam>
/// <remarks>
/// <para>
/// Give it to the <c>RunBatchAsync</c> and <c>StreamBatchAsync</c> overloads of <see cref="BatchRunnerCheckpointExtensions"/>.
/// Every item whose outcome is final is recorded as it completes; a later run with the same <see cref="RunKey"/> and
/// fingerprint skips the items recorded, returning their recorded results (<see cref="BatchNotSentReason.AlreadyRecorded"/>)
/// without calling the model, and runs the rest.
/// </para>
/// <para>
/// The fingerprint is computed from the template (for a <see cref="ChatAgent"/>: its instructions, initial messages,
/// chat options with the model, tools and response format, and <c>MaxTurns</c>), the options results depend on
/// (<see cref="BatchOptions.MaxItemsPerRequest"/>, <see cref="BatchOptions.OutputRepairAttempts"/>), the output type,
/// and <see cref="Fingerprint"/>. Change any of them and the run starts fresh. Caps, pacing, concurrency and retries are
/// not part of it: raising a spent cap and running again resumes.
/// </para>
/// </remarks>
public sealed class BatchCheckpoint<TItem>
{
    /// <summary>Initializes a new instance of the <see cref="BatchCheckpoint{TItem}"/> class.</summary>
    /// <param name="store">Where final results are recorded.</param>
    /// <param name="runKey">The run's key: the same key for the run and every rerun of it after a crash.</param>
    /// <param name="itemKey">Gives each item a key unique within the run and stable across runs (an id, a path); not its position, if items can be added or removed between runs.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="runKey"/> is empty or white space.</exception>
    public BatchCheckpoint(IBatchCheckpointStore store, string runKey, Func<TItem, string> itemKey)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrWhiteSpace(runKey);
        ArgumentNullException.ThrowIfNull(itemKey);
        Store = store;
        RunKey = runKey;
        ItemKey = itemKey;
    }

    /// <summary>Gets where final results are recorded.</summary>
    public IBatchCheckpointStore Store { get; }

    /// <summary>Gets the run's key.</summary>
    public string RunKey { get; }

    /// <summary>Gets the function that gives each item its key.</summary>
    public Func<TItem, string> ItemKey { get; }

    /// <summary>Gets or sets what else the results depend on, added to the computed fingerprint: a prompt's version, a custom agent's settings.</summary>
    /// <value>The default value is <see langword="null"/>. A custom <see cref="IBatchAgent"/>'s instructions cannot be read by the runner: put them, or their version, here.</value>
    public string? Fingerprint { get; init; }

    /// <summary>Gets or sets the JSON options outputs are recorded and read back with.</summary>
    /// <value>The default value is <see langword="null"/>: <see cref="JsonSerializerOptions.Web"/>.</value>
    public JsonSerializerOptions? SerializerOptions { get; init; }
}
