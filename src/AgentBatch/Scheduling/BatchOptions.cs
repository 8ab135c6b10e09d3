using System.ComponentModel.DataAnnotations;
using System.Globalization;
using AgentBatch.Internal;
using Microsoft.Extensions.AI;
using Polly;

namespace AgentBatch;

/// <summary>Options for one batch run: concurrency, error handling, progress, timeouts.</summary>
/// <remarks>
/// <para>
/// Budget, rate-limit and retry settings are documented with their members. An instance may be reused across batches:
/// each run takes a copy when it starts.
/// </para>
/// <para>
/// Setters accept any value; the ranges are declared on the properties (<see cref="RangeAttribute"/>) and checked, with
/// the rules between properties, by <see cref="Validate()"/>, which every <see cref="BatchRunner"/> method calls on its copy
/// before the batch starts. The options bind from configuration
/// (<c>configuration.GetSection("AgentBatch").Bind(options)</c>), <see cref="Pricing"/> included as
/// <c>Pricing:InputPerMillionTokens</c> and <c>Pricing:OutputPerMillionTokens</c>.
/// </para>
/// </remarks>
public sealed class BatchOptions : IValidatableObject
{
    /// <summary>The default value of <see cref="MaxConcurrency"/>.</summary>
    public const int DefaultMaxConcurrency = 16;

    /// <summary>The default value of <see cref="DefaultMaxOutputTokens"/>.</summary>
    public const int DefaultEstimatedOutputTokens = 1024;

    private const int DefaultMaxItemsPerRequest = 1;

    private int? _maxConcurrency = DefaultMaxConcurrency;
    private bool _maxConcurrencySet;

    /// <summary>Initializes a new instance of the <see cref="BatchOptions"/> class with default values.</summary>
    public BatchOptions()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BatchOptions"/> class as a copy of <paramref name="other"/>.</summary>
    /// <param name="other">The options to copy.</param>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is <see langword="null"/>.</exception>
    public BatchOptions(BatchOptions other)
    {
        ArgumentNullException.ThrowIfNull(other);
        _maxConcurrency = other._maxConcurrency;
        _maxConcurrencySet = other._maxConcurrencySet;
        ItemTimeout = other.ItemTimeout;
        Sequential = other.Sequential;
        ErrorHandling = other.ErrorHandling;
        Progress = other.Progress;
        MaxAttempts = other.MaxAttempts;
        AttemptTimeout = other.AttemptTimeout;
        RetryBaseDelay = other.RetryBaseDelay;
        AdaptiveConcurrency = other.AdaptiveConcurrency;
        ResiliencePipeline = other.ResiliencePipeline;
        MaxTotalTokens = other.MaxTotalTokens;
        MaxCost = other.MaxCost;
        Pricing = other.Pricing;
        TokensPerMinute = other.TokensPerMinute;
        RequestsPerMinute = other.RequestsPerMinute;
        DefaultMaxOutputTokens = other.DefaultMaxOutputTokens;
        TokenCounter = other.TokenCounter;
        MaxItemsPerRequest = other.MaxItemsPerRequest;
        MaxTokensPerRequest = other.MaxTokensPerRequest;
        MaxInputTokens = other.MaxInputTokens;
        OutputRepairAttempts = other.OutputRepairAttempts;
        SpendLedger = other.SpendLedger;
        RateLedger = other.RateLedger;
        Secrets = new List<string>(other.Secrets);
        Execution = other.Execution;
        ProviderBatch = other.ProviderBatch is null ? null! : new ProviderBatchOptions(other.ProviderBatch);
    }

    /// <summary>Gets or sets the most items in flight at once (the "batch size"); <see langword="null"/> for no limit.</summary>
    /// <value>The default value is 16. Between 1 and 10,000.</value>
    /// <remarks>
    /// The window slides: a new item starts as soon as one finishes. 16 suits most hosted model endpoints' default
    /// rate limits; raise it for high-throughput deployments or local servers. Setting it, even to its default, marks it
    /// as chosen: with <see cref="Sequential"/> it must then be 1.
    /// </remarks>
    [Range(1, 10_000)]
    public int? MaxConcurrency
    {
        get => _maxConcurrency;
        set
        {
            _maxConcurrency = value;
            _maxConcurrencySet = true;
        }
    }

    /// <summary>Gets or sets a value indicating whether items run one at a time, in input order.</summary>
    /// <value>
    /// The default value is <see langword="false"/>. When <see langword="true"/>, leave <see cref="MaxConcurrency"/> unset
    /// (or set it to 1): any other value set with it is refused by <see cref="Validate()"/>.
    /// </value>
    public bool Sequential { get; set; }

    /// <summary>Gets or sets what the batch does when an item fails.</summary>
    /// <value>The default value is <see cref="BatchErrorHandling.Collect"/>.</value>
    public BatchErrorHandling ErrorHandling { get; set; } = BatchErrorHandling.Collect;

    /// <summary>Gets or sets the receiver of a <see cref="BatchProgress"/> snapshot after each item completes.</summary>
    /// <value>The default value is <see langword="null"/>: no progress reports.</value>
    /// <remarks>Reports are made one at a time, in completion order, from the thread that completed the item.</remarks>
    public IProgress<BatchProgress>? Progress { get; set; }

    /// <summary>Gets or sets the most time one item may take, all its model calls included; <see langword="null"/> for no limit.</summary>
    /// <value>The default value is <see langword="null"/>. Longer than zero and at most 7 days.</value>
    /// <remarks>An item that runs out of time ends <see cref="BatchItemStatus.Failed"/> with a <see cref="TimeoutException"/>; the batch goes on.</remarks>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00", MinimumIsExclusive = true, ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true)]
    public TimeSpan? ItemTimeout { get; set; }

    /// <summary>Gets or sets the most requests sent for one model call: the first attempt plus retries.</summary>
    /// <value>The default value is 4 (one attempt and up to three retries). Between 1 and 100; 1 turns retries off.</value>
    /// <remarks>
    /// Retried: HTTP 408, 429 and 5xx, refused or dropped connections, malformed or empty bodies and attempts that
    /// exceed <see cref="AttemptTimeout"/>. Not retried: other 4xx (400, 401, 403, 404, content-filter refusals), replies
    /// without choices, cancellation, and any exception the SDK does not recognise as transient (budget errors, tool
    /// errors). Each request counts in <see cref="BatchItemResult{TOutput}.Attempts"/>. Ignored when
    /// <see cref="ResiliencePipeline"/> is set.
    /// </remarks>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = ResilienceConstants.DefaultMaxAttempts;

    /// <summary>Gets or sets the most time one request to the model may take; <see langword="null"/> for no per-request limit.</summary>
    /// <value>The default value is 100 seconds, the OpenAI .NET client's own network timeout. Longer than zero and at most 1 day.</value>
    /// <remarks>
    /// An attempt that runs out of time is abandoned and retried. <see cref="ItemTimeout"/> bounds the whole item,
    /// retries included. Ignored when <see cref="ResiliencePipeline"/> is set.
    /// </remarks>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", MinimumIsExclusive = true, ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true)]
    public TimeSpan? AttemptTimeout { get; set; } = ResilienceConstants.DefaultAttemptTimeout;

    /// <summary>Gets or sets the base of the exponential backoff between attempts.</summary>
    /// <value>The default value is 1 second. Between zero and 1 day.</value>
    /// <remarks>
    /// Retry <c>n</c> waits about <c>RetryBaseDelay * 2^(n-1)</c>, jittered so that items do not retry in lockstep, and at
    /// most 60 seconds. A server's <c>retry-after-ms</c> or <c>Retry-After</c> header, when present, is used instead.
    /// Ignored when <see cref="ResiliencePipeline"/> is set.
    /// </remarks>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true)]
    public TimeSpan RetryBaseDelay { get; set; } = ResilienceConstants.DefaultRetryBaseDelay;

    /// <summary>Gets or sets a value indicating whether the batch lowers the items in flight when the provider answers 429.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    /// <remarks>
    /// On a 429 the number of items in flight halves; after as many successful calls as the current limit it grows by
    /// one again, up to <see cref="MaxConcurrency"/> and never above it. Has no effect without a
    /// <see cref="MaxConcurrency"/> or when <see cref="Sequential"/> is set.
    /// </remarks>
    public bool AdaptiveConcurrency { get; set; } = true;

    /// <summary>Gets or sets a resilience pipeline to run every model call through instead of the default one.</summary>
    /// <value>
    /// The default value is <see langword="null"/>: a pipeline per batch built from <see cref="MaxAttempts"/>,
    /// <see cref="AttemptTimeout"/> and <see cref="RetryBaseDelay"/>, with a circuit breaker that stops the batch when
    /// every call in a 30-second window (at least 20 calls) fails.
    /// </value>
    /// <remarks>
    /// Each execution of the callback is one request and one counted attempt. A supplied pipeline is used as is, shared
    /// by every batch these options run: its circuit breaker state, if any, is the caller's. Retries of the OpenAI
    /// client itself should be off (<c>RetryPolicy = new ClientRetryPolicy(0)</c>).
    /// </remarks>
    public ResiliencePipeline<ChatResponse>? ResiliencePipeline { get; set; }

    /// <summary>Gets or sets the most tokens (input plus output, as the server reports them) the whole batch may use; <see langword="null"/> for no cap.</summary>
    /// <value>The default value is <see langword="null"/>. Between 1 and 10^15.</value>
    /// <remarks>
    /// Enforced before each call: the call's estimate (counted input tokens plus its maximum output tokens) is
    /// reserved against what is left, and a call that does not fit is not made. When the reply arrives the
    /// reservation is replaced by the reported usage. Items that cannot start end <see cref="BatchItemStatus.Skipped"/>
    /// and the batch stops with <see cref="BatchStopReason.TokenLimitReached"/>.
    /// </remarks>
    [Range(typeof(long), "1", "1000000000000000", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true)]
    public long? MaxTotalTokens { get; set; }

    /// <summary>Gets or sets the most the whole batch may cost, in the currency of <see cref="Pricing"/>; <see langword="null"/> for no cap.</summary>
    /// <value>The default value is <see langword="null"/>. Between 0 and 1,000,000,000.</value>
    /// <remarks>
    /// Enforced like <see cref="MaxTotalTokens"/>, on each call's estimated cost. A cost cap needs a price: a call to a
    /// model with no <see cref="Pricing"/> and no entry in <see cref="ModelCatalog"/> fails with a clear error
    /// instead of running uncapped.
    /// </remarks>
    [Range(typeof(decimal), "0", "1000000000", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true)]
    public decimal? MaxCost { get; set; }

    /// <summary>Gets or sets the price used for costs and <see cref="MaxCost"/>; <see langword="null"/> to look the model up in <see cref="ModelCatalog"/>.</summary>
    /// <value>The default value is <see langword="null"/>. Binds from <c>Pricing:InputPerMillionTokens</c> and <c>Pricing:OutputPerMillionTokens</c>, both required.</value>
    /// <remarks>A <see cref="ModelPricing"/> is valid however it is made (its prices are never negative), so it needs no check here.</remarks>
    public ModelPricing? Pricing { get; set; }

    /// <summary>Gets or sets the provider's tokens-per-minute limit to pace calls under; <see langword="null"/> for no pacing.</summary>
    /// <value>The default value is <see langword="null"/>. Between 1 and 1,000,000,000.</value>
    /// <remarks>
    /// A call starts only when its estimate fits in a sliding one-minute window; once the reply arrives the window is
    /// charged the reported usage instead of the estimate, so the limit is used fully without going over.
    /// </remarks>
    [Range(1, 1_000_000_000)]
    public int? TokensPerMinute { get; set; }

    /// <summary>Gets or sets the provider's requests-per-minute limit to pace calls under; <see langword="null"/> for no pacing.</summary>
    /// <value>The default value is <see langword="null"/>. Between 1 and 10,000,000.</value>
    [Range(1, 10_000_000)]
    public int? RequestsPerMinute { get; set; }

    /// <summary>Gets or sets the account the batch's token and cost caps are enforced against, when it is shared with other batches; <see langword="null"/> for an account of the batch's own.</summary>
    /// <value>
    /// The default value is <see langword="null"/>: the batch gets an account of its own from <see cref="MaxTotalTokens"/>
    /// and <see cref="MaxCost"/>. Set it with those two left unset: the ledger carries its own caps.
    /// </value>
    /// <remarks>
    /// Batches given the same ledger (<see cref="AgentBatch.SpendLedger.Create(long?, decimal?)"/> in one process, a shared
    /// store across processes) never spend more than its caps together; each call reserves its estimate in it before it is
    /// sent, exactly as with a batch's own caps. The ledger is the caller's: the batch does not dispose it.
    /// </remarks>
    public SpendLedger? SpendLedger { get; set; }

    /// <summary>Gets or sets the sliding-minute account the batch's calls are paced by, when it is shared with other batches; <see langword="null"/> for pacing of the batch's own.</summary>
    /// <value>
    /// The default value is <see langword="null"/>: the batch paces itself from <see cref="TokensPerMinute"/> and
    /// <see cref="RequestsPerMinute"/>. Set it with those two left unset: the ledger carries its own limits.
    /// </value>
    /// <remarks>
    /// Batches that use one provider key share its limits: given the same ledger
    /// (<see cref="AgentBatch.RateLedger.Create(int?, int?, TimeProvider?)"/> in one process, a shared store across
    /// processes), they stay under them together. The ledger is the caller's: the batch does not dispose it.
    /// </remarks>
    public RateLedger? RateLedger { get; set; }

    /// <summary>Gets or sets the output tokens assumed for a call whose <c>ChatOptions.MaxOutputTokens</c> is not set, when estimating it for caps and pacing.</summary>
    /// <value>The default value is 1,024. Between 1 and 10,000,000.</value>
    /// <remarks>
    /// The caps' guarantee holds when replies stay within the estimate: set <c>ChatOptions.MaxOutputTokens</c> to make it
    /// exact. In the provider batch lane (<see cref="Execution"/>) a call without a limit is submitted with this one, so
    /// every batched request carries the output limit its reservation assumed.
    /// </remarks>
    [Range(1, 10_000_000)]
    public int DefaultMaxOutputTokens { get; set; } = DefaultEstimatedOutputTokens;

    /// <summary>Gets or sets the token counter for estimates; <see langword="null"/> for <see cref="SharpTokenCounter.Default"/>.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public ITokenCounter? TokenCounter { get; set; }

    /// <summary>Gets or sets the most items packed into one model call.</summary>
    /// <value>The default value is 1: one call per item. Between 1 and 1,000.</value>
    /// <remarks>
    /// <para>
    /// Above 1, items are packed in input order into groups that fit <see cref="MaxTokensPerRequest"/>; each group is one
    /// call made by one clone (the clone of the group's first item), with a prompt that numbers the items and asks for
    /// <c>{"answers":[{"item":1,"answer":"..."}]}</c> (requested as a JSON schema where the model supports structured
    /// output). Each answer is mapped back to its item as a reply whose text is the answer, and passed to the output
    /// map; usage and cost are shared out by each item's tokens.
    /// </para>
    /// <para>
    /// A group whose reply cannot be parsed or answers the wrong number of items is split in half and retried, down to
    /// single items, which run as ordinary one-item calls. <see cref="MaxConcurrency"/> counts groups in flight.
    /// </para>
    /// </remarks>
    [Range(1, 1_000)]
    public int MaxItemsPerRequest { get; set; } = DefaultMaxItemsPerRequest;

    /// <summary>Gets or sets the most input tokens of items (their text plus the grouping prompt) packed into one call; <see langword="null"/> for no limit.</summary>
    /// <value>The default value is <see langword="null"/>. Between 1 and 100,000,000.</value>
    /// <remarks>
    /// Applies only to grouped requests: setting it while <see cref="MaxItemsPerRequest"/> is 1 is refused by
    /// <see cref="Validate()"/>. An item that alone exceeds it fails before any call is made.
    /// </remarks>
    [Range(1, 100_000_000)]
    public int? MaxTokensPerRequest { get; set; }

    /// <summary>Gets or sets the most input tokens one call may carry; <see langword="null"/> for the model's context window from <see cref="ModelCatalog"/>.</summary>
    /// <value>The default value is <see langword="null"/>. Between 1 and 100,000,000.</value>
    /// <remarks>
    /// A call whose input (counted with <see cref="TokenCounter"/>) is larger fails its item with
    /// <see cref="ContextWindowExceededException"/> before it is sent. Inputs shorter in characters than the limit are
    /// never counted for this check, so it costs nothing on ordinary items. Unknown models are not checked.
    /// </remarks>
    [Range(1, 100_000_000)]
    public int? MaxInputTokens { get; set; }

    /// <summary>
    /// Gets the exact secret values (API keys, tokens) removed from every error message AgentBatch stores, logs or writes,
    /// on top of the built-in patterns for bearer tokens and <c>sk-</c> keys.
    /// </summary>
    /// <value>The default value is an empty list. Entries cannot be empty or white space.</value>
    /// <remarks>Binds from <c>Secrets:0</c>, <c>Secrets:1</c>, ...; validation messages never echo an entry.</remarks>
    public IList<string> Secrets { get; } = [];

    /// <summary>Gets or sets how many times an item whose reply does not parse as its typed output is asked once more to repair it.</summary>
    /// <value>The default value is 1. Between 0 and 5; 0 fails such an item at once.</value>
    /// <remarks>
    /// Applies to typed output (the <c>RunBatchAsync&lt;TItem, TOutput&gt;</c> overloads without an output map): a reply that is
    /// not JSON of the output's schema, or fails its validation, is answered with one more user turn on the same clone
    /// naming the problem, and the new reply is read instead. Each repair is one more request, counted in
    /// <see cref="BatchItemResult{TOutput}.Attempts"/> and paid for like any other.
    /// </remarks>
    [Range(0, 5)]
    public int OutputRepairAttempts { get; set; } = 1;

    /// <summary>Gets or sets how the batch's model calls reach the model: sent one by one, or submitted through the provider's batch API.</summary>
    /// <value>The default value is <see cref="BatchExecution.Live"/>.</value>
    /// <remarks>
    /// <para>
    /// With <see cref="BatchExecution.ProviderBatch"/> every model call still passes the AgentBatch layer (the caps, the
    /// context-window check, typed output, <c>MaxTurns</c>, the counts), but is submitted in a provider batch (OpenAI's
    /// Batch API, Anthropic's Message Batches) and answered when that batch ends, at the provider's batch price
    /// (<see cref="ModelPricing.ProviderBatchRate"/>). Results, statuses, usage and errors are those of live calls. See
    /// <see cref="ProviderBatch"/> for its settings; <see cref="MaxConcurrency"/>, the pacing limits, adaptive concurrency
    /// and <see cref="AttemptTimeout"/> do not apply (the provider paces a batch itself), and a call is admitted against the
    /// caps at once or not at all, never after waiting for another to settle.
    /// </para>
    /// </remarks>
    public BatchExecution Execution { get; set; } = BatchExecution.Live;

    /// <summary>Gets or sets the settings of the provider batch lane, used when <see cref="Execution"/> is <see cref="BatchExecution.ProviderBatch"/>.</summary>
    /// <value>The default value is a <see cref="ProviderBatchOptions"/> with its defaults. Binds from <c>ProviderBatch:PollInterval</c>, ...</value>
    [Required]
    public ProviderBatchOptions ProviderBatch { get; set; } = new();

    /// <summary>Gets a value indicating whether the batch runs in the provider batch lane.</summary>
    internal bool UsesProviderBatches => Execution == BatchExecution.ProviderBatch;

    /// <summary>Gets the number of items allowed in flight at once, <see langword="null"/> for no limit.</summary>
    internal int? EffectiveConcurrency => UsesProviderBatches ? ProviderBatch.MaxItemsInFlight : Sequential ? 1 : _maxConcurrency;

    /// <summary>Checks every setting: the declared ranges and the rules between settings.</summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// Exactly one setting is out of its range; <see cref="ArgumentException.ParamName"/> is the property's name and the
    /// message names its range and value (<c>MaxConcurrency must be between 1 and 10000; it is 0.</c>).
    /// </exception>
    /// <exception cref="ArgumentException">
    /// Exactly one rule other than a range is broken (settings that contradict each other), with
    /// <see cref="ArgumentException.ParamName"/> the first property it names; or several settings are invalid, all of them
    /// listed in the message, with <see cref="ArgumentException.ParamName"/> the first of them.
    /// </exception>
    /// <remarks><see cref="BatchRunner"/> calls it on its copy of the options when a batch is started, before any item runs.</remarks>
    public void Validate()
    {
        var context = new ValidationContext(this);
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(this, context, results, validateAllProperties: true))
        {
            // The attributes' own messages omit the value, and the rules are skipped once an attribute fails: describe every failure.
            throw OptionsValidation.CreateException([.. ((IValidatableObject)this).Validate(context)]);
        }
    }

    /// <summary>Returns every invalid setting, declared ranges and the rules between settings alike.</summary>
    /// <param name="validationContext">The validation context.</param>
    /// <returns>
    /// One result per invalid setting, its message starting with the property's name and giving its value, and
    /// <see cref="ValidationResult.MemberNames"/> the properties involved, the first one named first.
    /// </returns>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        foreach (var failure in OptionsValidation.CheckProperties(this))
        {
            yield return failure;
        }

        if (Sequential && _maxConcurrencySet && _maxConcurrency != 1)
        {
            yield return new ValidationResult(
                $"Sequential runs one item at a time; MaxConcurrency = {OptionsValidation.Format(_maxConcurrency)} contradicts it; set one or the other.",
                [nameof(Sequential), nameof(MaxConcurrency)]);
        }

        if (MaxTokensPerRequest is { } tokens && MaxItemsPerRequest == 1)
        {
            yield return new ValidationResult(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"MaxTokensPerRequest applies only to grouped requests; it is {tokens} while MaxItemsPerRequest is 1; raise MaxItemsPerRequest or leave MaxTokensPerRequest unset."),
                [nameof(MaxTokensPerRequest), nameof(MaxItemsPerRequest)]);
        }

        if (SpendLedger is not null && (MaxTotalTokens.HasValue || MaxCost.HasValue))
        {
            yield return new ValidationResult(
                $"SpendLedger carries its own caps; {(MaxTotalTokens.HasValue ? "MaxTotalTokens" : "MaxCost")} = {(MaxTotalTokens.HasValue ? OptionsValidation.Format(MaxTotalTokens) : OptionsValidation.Format(MaxCost))} contradicts it; set the caps on the ledger, or leave SpendLedger unset.",
                [nameof(SpendLedger), MaxTotalTokens.HasValue ? nameof(MaxTotalTokens) : nameof(MaxCost)]);
        }

        if (RateLedger is not null && (TokensPerMinute.HasValue || RequestsPerMinute.HasValue))
        {
            yield return new ValidationResult(
                $"RateLedger carries its own limits; {(TokensPerMinute.HasValue ? "TokensPerMinute" : "RequestsPerMinute")} = {OptionsValidation.Format(TokensPerMinute ?? RequestsPerMinute)} contradicts it; set the limits on the ledger, or leave RateLedger unset.",
                [nameof(RateLedger), TokensPerMinute.HasValue ? nameof(TokensPerMinute) : nameof(RequestsPerMinute)]);
        }

        if (ProviderBatch is { } lane)
        {
            foreach (var failure in OptionsValidation.CheckProperties(lane, nameof(ProviderBatch)))
            {
                yield return failure;
            }

            if (lane.MaxPollInterval < lane.PollInterval)
            {
                yield return new ValidationResult(
                    $"ProviderBatch.MaxPollInterval ({OptionsValidation.Format(lane.MaxPollInterval)}) is shorter than ProviderBatch.PollInterval ({OptionsValidation.Format(lane.PollInterval)}); the wait between polls only grows.",
                    [nameof(ProviderBatch) + "." + nameof(ProviderBatchOptions.MaxPollInterval), nameof(ProviderBatch) + "." + nameof(ProviderBatchOptions.PollInterval)]);
            }

            if (lane.Store is not null && string.IsNullOrWhiteSpace(lane.RunId))
            {
                yield return new ValidationResult(
                    "ProviderBatch.Store is set without ProviderBatch.RunId; a store keeps a run's batches under its id, so that a restarted run with the same id finds them.",
                    [nameof(ProviderBatch) + "." + nameof(ProviderBatchOptions.RunId), nameof(ProviderBatch) + "." + nameof(ProviderBatchOptions.Store)]);
            }
        }

        if (UsesProviderBatches && Sequential)
        {
            yield return new ValidationResult(
                "Sequential runs one item at a time; Execution = ProviderBatch submits many at once; set one or the other.",
                [nameof(Sequential), nameof(Execution)]);
        }

        for (var i = 0; i < Secrets.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(Secrets[i]))
            {
                yield return new ValidationResult(
                    string.Create(CultureInfo.InvariantCulture, $"Secrets has an empty entry at index {i}; a secret needs at least one character other than white space."),
                    [nameof(Secrets)]);
            }
        }
    }
}
