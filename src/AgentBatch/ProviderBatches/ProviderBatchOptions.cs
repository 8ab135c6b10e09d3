using System.ComponentModel.DataAnnotations;

namespace AgentBatch;

/// <summary>Options of the provider batch lane (<see cref="BatchExecution.ProviderBatch"/>): batch sizes, polling, resubmission, durability.</summary>
/// <remarks>
/// <para>
/// Part of <see cref="BatchOptions"/> (<see cref="BatchOptions.ProviderBatch"/>), validated with it, and bound from configuration
/// under <c>ProviderBatch:</c> (<c>ProviderBatch:PollInterval</c>, ...). <see cref="Client"/> and <see cref="Store"/> are set in code.
/// </para>
/// <para>
/// How the lane runs: items start as usual, up to <see cref="MaxItemsInFlight"/> at once, and each model call they make is
/// reserved against the caps at the provider's batch price and turned into a request. Once every item in flight is waiting
/// for the provider (or a batch is full) the waiting requests are submitted, split under the provider's limits and
/// <see cref="MaxRequestsPerBatch"/> / <see cref="MaxBytesPerBatch"/>, one model per batch. Each batch is polled, from
/// <see cref="PollInterval"/> doubling to <see cref="MaxPollInterval"/> while nothing changes, and when it ends each call is
/// answered from its result: the item goes on (a tool round trip makes its next call, submitted in the next batch) or ends.
/// </para>
/// </remarks>
public sealed class ProviderBatchOptions
{
    /// <summary>The default value of <see cref="MaxItemsInFlight"/>.</summary>
    public const int DefaultMaxItemsInFlight = 10_000;

    /// <summary>The default value of <see cref="PollInterval"/>: 15 seconds.</summary>
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(15);

    /// <summary>The default value of <see cref="MaxPollInterval"/>: 5 minutes.</summary>
    public static readonly TimeSpan DefaultMaxPollInterval = TimeSpan.FromMinutes(5);

    /// <summary>Initializes a new instance of the <see cref="ProviderBatchOptions"/> class with default values.</summary>
    public ProviderBatchOptions()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ProviderBatchOptions"/> class as a copy of <paramref name="other"/>.</summary>
    /// <param name="other">The options to copy.</param>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is <see langword="null"/>.</exception>
    public ProviderBatchOptions(ProviderBatchOptions other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Client = other.Client;
        Store = other.Store;
        RunId = other.RunId;
        MaxItemsInFlight = other.MaxItemsInFlight;
        MaxRequestsPerBatch = other.MaxRequestsPerBatch;
        MaxBytesPerBatch = other.MaxBytesPerBatch;
        PollInterval = other.PollInterval;
        MaxPollInterval = other.MaxPollInterval;
        ResubmitFailed = other.ResubmitFailed;
        CancelOnCancellation = other.CancelOnCancellation;
    }

    /// <summary>Gets or sets the provider's batch client every call of the batch goes to; <see langword="null"/> to use the one each call's chat client offers.</summary>
    /// <value>The default value is <see langword="null"/>: a chat client built with AgentBatch.OpenAI's <c>AsBatchChatClient(model)</c> on an <c>OpenAIClient</c>, or with <c>UseProviderBatches(...)</c>, offers its own.</value>
    /// <remarks>A call whose chat client offers none, with none set here, fails its item with a message saying how to add one.</remarks>
    public ProviderBatchClient? Client { get; set; }

    /// <summary>Gets or sets where the run records its provider batches, so that a restarted run with the same <see cref="RunId"/> re-attaches to them; <see langword="null"/> to keep them in memory only.</summary>
    /// <value>The default value is <see langword="null"/>. Needs <see cref="RunId"/>.</value>
    /// <remarks>
    /// A record is saved before each batch is created, and its id as soon as the provider returns it. A restarted run (same
    /// items, same agent) makes the same calls; each call already submitted is answered from its recorded batch, finished or
    /// not, and never submitted again. If the run stopped between creating a batch and saving its id, the provider is asked
    /// for it (<see cref="ProviderBatchClient.FindSubmittedAsync"/>: OpenAI finds it by its metadata; Anthropic batches carry
    /// none, so that one batch is submitted again).
    /// </remarks>
    public IProviderBatchStore? Store { get; set; }

    /// <summary>Gets or sets the run's name in <see cref="Store"/> and in the provider's batch metadata; required with a store.</summary>
    /// <value>The default value is <see langword="null"/>. At most 200 characters.</value>
    [StringLength(200)]
    public string? RunId { get; set; }

    /// <summary>Gets or sets the most items in flight at once in this lane, in place of <see cref="BatchOptions.MaxConcurrency"/>.</summary>
    /// <value>The default value is 10,000. Between 1 and 1,000,000.</value>
    /// <remarks>
    /// All the items in flight that wait for the provider at one time go into the same submission, so this is about the
    /// most items one round of provider batches answers; a larger batch is split into rounds. Each item in flight holds its
    /// agent clone and history until it ends.
    /// </remarks>
    [Range(1, 1_000_000)]
    public int MaxItemsInFlight { get; set; } = DefaultMaxItemsInFlight;

    /// <summary>Gets or sets the most requests in one provider batch, below the provider's own limit; <see langword="null"/> for the provider's.</summary>
    /// <value>The default value is <see langword="null"/> (OpenAI 50,000, Anthropic 100,000). Between 1 and 1,000,000.</value>
    [Range(1, 1_000_000)]
    public int? MaxRequestsPerBatch { get; set; }

    /// <summary>Gets or sets the most bytes of requests in one provider batch, below the provider's own limit; <see langword="null"/> for the provider's.</summary>
    /// <value>The default value is <see langword="null"/> (OpenAI 200 MB, Anthropic 256 MB). Between 1 and 10^12.</value>
    [Range(typeof(long), "1", "1000000000000", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true)]
    public long? MaxBytesPerBatch { get; set; }

    /// <summary>Gets or sets the wait before a batch is first polled, and between polls while its counts move.</summary>
    /// <value>The default value is 15 seconds. Longer than zero and at most 1 hour.</value>
    /// <remarks>While a poll shows no change the wait doubles, up to <see cref="MaxPollInterval"/>. Waits are on the runner's <see cref="TimeProvider"/>.</remarks>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", MinimumIsExclusive = true, ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true)]
    public TimeSpan PollInterval { get; set; } = DefaultPollInterval;

    /// <summary>Gets or sets the longest wait between polls of a batch.</summary>
    /// <value>The default value is 5 minutes. Longer than zero and at most 1 day; not shorter than <see cref="PollInterval"/>.</value>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", MinimumIsExclusive = true, ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true)]
    public TimeSpan MaxPollInterval { get; set; } = DefaultMaxPollInterval;

    /// <summary>Gets or sets a value indicating whether a call the provider failed with a transient error (429, 5xx) or let expire is submitted again in a later batch, up to <see cref="BatchOptions.MaxAttempts"/> requests per call.</summary>
    /// <value>The default value is <see langword="false"/>: such an item fails with the provider's reason (what finished in its batch keeps its result).</value>
    public bool ResubmitFailed { get; set; }

    /// <summary>Gets or sets a value indicating whether cancelling the run (the caller's token, a stream left early) also cancels the provider batches it is still waiting for.</summary>
    /// <value>
    /// The default value is <see langword="false"/>: cancelling stops waiting, and the batches run on at the provider, so a
    /// run restarted with the same <see cref="Store"/> and <see cref="RunId"/> reads their results.
    /// </value>
    public bool CancelOnCancellation { get; set; }
}
