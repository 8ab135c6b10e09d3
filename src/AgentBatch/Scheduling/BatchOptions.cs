using Microsoft.Extensions.AI;
using Polly;

namespace AgentBatch;

/// <summary>Options for one batch run: concurrency, error handling, progress, timeouts.</summary>
/// <remarks>Budget, rate-limit and retry settings are documented with their members. An instance may be reused across batches.</remarks>
public sealed class BatchOptions
{
    /// <summary>The default value of <see cref="MaxConcurrency"/>.</summary>
    public const int DefaultMaxConcurrency = 16;

    /// <summary>The default value of <see cref="DefaultMaxOutputTokens"/>.</summary>
    public const int DefaultEstimatedOutputTokens = 1024;

    private int? _maxConcurrency = DefaultMaxConcurrency;
    private TimeSpan? _itemTimeout;
    private int _maxAttempts = Internal.ResilienceConstants.DefaultMaxAttempts;
    private TimeSpan? _attemptTimeout = Internal.ResilienceConstants.DefaultAttemptTimeout;
    private TimeSpan _retryBaseDelay = Internal.ResilienceConstants.DefaultRetryBaseDelay;
    private long? _maxTotalTokens;
    private decimal? _maxCost;
    private int? _tokensPerMinute;
    private int? _requestsPerMinute;
    private int _defaultMaxOutputTokens = DefaultEstimatedOutputTokens;
    private int _maxItemsPerRequest = 1;
    private int? _maxTokensPerRequest;
    private int? _maxInputTokens;

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
        _itemTimeout = other._itemTimeout;
        Sequential = other.Sequential;
        ErrorHandling = other.ErrorHandling;
        Progress = other.Progress;
        _maxAttempts = other._maxAttempts;
        _attemptTimeout = other._attemptTimeout;
        _retryBaseDelay = other._retryBaseDelay;
        AdaptiveConcurrency = other.AdaptiveConcurrency;
        ResiliencePipeline = other.ResiliencePipeline;
        _maxTotalTokens = other._maxTotalTokens;
        _maxCost = other._maxCost;
        Pricing = other.Pricing;
        _tokensPerMinute = other._tokensPerMinute;
        _requestsPerMinute = other._requestsPerMinute;
        _defaultMaxOutputTokens = other._defaultMaxOutputTokens;
        TokenCounter = other.TokenCounter;
        _maxItemsPerRequest = other._maxItemsPerRequest;
        _maxTokensPerRequest = other._maxTokensPerRequest;
        _maxInputTokens = other._maxInputTokens;
    }

    /// <summary>Gets or sets the most items in flight at once (the "batch size"); <see langword="null"/> for no limit.</summary>
    /// <value>The default value is 16.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    /// <remarks>
    /// The window slides: a new item starts as soon as one finishes. 16 suits most hosted model endpoints' default
    /// rate limits; raise it for high-throughput deployments or local servers.
    /// </remarks>
    public int? MaxConcurrency
    {
        get => _maxConcurrency;
        set
        {
            if (value is { } limit)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1, nameof(MaxConcurrency));
            }

            _maxConcurrency = value;
        }
    }

    /// <summary>Gets or sets a value indicating whether items run one at a time, in input order.</summary>
    /// <value>The default value is <see langword="false"/>. When <see langword="true"/>, <see cref="MaxConcurrency"/> is ignored.</value>
    public bool Sequential { get; set; }

    /// <summary>Gets or sets what the batch does when an item fails.</summary>
    /// <value>The default value is <see cref="BatchErrorHandling.Collect"/>.</value>
    public BatchErrorHandling ErrorHandling { get; set; } = BatchErrorHandling.Collect;

    /// <summary>Gets or sets the receiver of a <see cref="BatchProgress"/> snapshot after each item completes.</summary>
    /// <value>The default value is <see langword="null"/>: no progress reports.</value>
    /// <remarks>Reports are made one at a time, in completion order, from the thread that completed the item.</remarks>
    public IProgress<BatchProgress>? Progress { get; set; }

    /// <summary>Gets or sets the most time one item may take, all its model calls included; <see langword="null"/> for no limit.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    /// <remarks>An item that runs out of time ends <see cref="BatchItemStatus.Failed"/> with a <see cref="TimeoutException"/>; the batch goes on.</remarks>
    public TimeSpan? ItemTimeout
    {
        get => _itemTimeout;
        set
        {
            if (value is { } timeout)
            {
                ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero, nameof(ItemTimeout));
            }

            _itemTimeout = value;
        }
    }

    /// <summary>Gets or sets the most requests sent for one model call: the first attempt plus retries.</summary>
    /// <value>The default value is 4 (one attempt and up to three retries). 1 turns retries off.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    /// <remarks>
    /// Retried: HTTP 408, 429 and 5xx, refused or dropped connections, malformed or empty bodies and attempts that
    /// exceed <see cref="AttemptTimeout"/>. Not retried: other 4xx (400, 401, 403, 404, content-filter refusals), replies
    /// without choices, cancellation, and any exception the SDK does not recognise as transient (budget errors, tool
    /// errors). Each request counts in <see cref="BatchItemResult{TOutput}.Attempts"/>. Ignored when
    /// <see cref="ResiliencePipeline"/> is set.
    /// </remarks>
    public int MaxAttempts
    {
        get => _maxAttempts;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(MaxAttempts));
            _maxAttempts = value;
        }
    }

    /// <summary>Gets or sets the most time one request to the model may take; <see langword="null"/> for no per-request limit.</summary>
    /// <value>The default value is 100 seconds, the OpenAI .NET client's own network timeout.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    /// <remarks>
    /// An attempt that runs out of time is abandoned and retried. <see cref="ItemTimeout"/> bounds the whole item,
    /// retries included. Ignored when <see cref="ResiliencePipeline"/> is set.
    /// </remarks>
    public TimeSpan? AttemptTimeout
    {
        get => _attemptTimeout;
        set
        {
            if (value is { } timeout)
            {
                ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero, nameof(AttemptTimeout));
            }

            _attemptTimeout = value;
        }
    }

    /// <summary>Gets or sets the base of the exponential backoff between attempts.</summary>
    /// <value>The default value is 1 second.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or more than a day.</exception>
    /// <remarks>
    /// Retry <c>n</c> waits about <c>RetryBaseDelay * 2^(n-1)</c>, jittered so that items do not retry in lockstep, and at
    /// most 60 seconds. A server's <c>retry-after-ms</c> or <c>Retry-After</c> header, when present, is used instead.
    /// Ignored when <see cref="ResiliencePipeline"/> is set.
    /// </remarks>
    public TimeSpan RetryBaseDelay
    {
        get => _retryBaseDelay;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero, nameof(RetryBaseDelay));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, TimeSpan.FromDays(1), nameof(RetryBaseDelay));
            _retryBaseDelay = value;
        }
    }

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
    /// <value>The default value is <see langword="null"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    /// <remarks>
    /// Enforced before each call: the call's estimate (counted input tokens plus its maximum output tokens) is
    /// reserved against what is left, and a call that does not fit is not made. When the reply arrives the
    /// reservation is replaced by the reported usage. Items that cannot start end <see cref="BatchItemStatus.Skipped"/>
    /// and the batch stops with <see cref="BatchStopReason.TokenLimitReached"/>.
    /// </remarks>
    public long? MaxTotalTokens
    {
        get => _maxTotalTokens;
        set
        {
            if (value is { } cap)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(cap, 1, nameof(MaxTotalTokens));
            }

            _maxTotalTokens = value;
        }
    }

    /// <summary>Gets or sets the most the whole batch may cost, in the currency of <see cref="Pricing"/>; <see langword="null"/> for no cap.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    /// <remarks>
    /// Enforced like <see cref="MaxTotalTokens"/>, on each call's estimated cost. A cost cap needs a price: a call to a
    /// model with no <see cref="Pricing"/> and no entry in <see cref="ModelPricingCatalog"/> fails with a clear error
    /// instead of running uncapped.
    /// </remarks>
    public decimal? MaxCost
    {
        get => _maxCost;
        set
        {
            if (value is { } cap)
            {
                ArgumentOutOfRangeException.ThrowIfNegative(cap, nameof(MaxCost));
            }

            _maxCost = value;
        }
    }

    /// <summary>Gets or sets the price used for costs and <see cref="MaxCost"/>; <see langword="null"/> to look the model up in <see cref="ModelPricingCatalog"/>.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public ModelPricing? Pricing { get; set; }

    /// <summary>Gets or sets the provider's tokens-per-minute limit to pace calls under; <see langword="null"/> for no pacing.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    /// <remarks>
    /// A call starts only when its estimate fits in a sliding one-minute window; once the reply arrives the window is
    /// charged the reported usage instead of the estimate, so the limit is used fully without going over.
    /// </remarks>
    public int? TokensPerMinute
    {
        get => _tokensPerMinute;
        set
        {
            if (value is { } limit)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1, nameof(TokensPerMinute));
            }

            _tokensPerMinute = value;
        }
    }

    /// <summary>Gets or sets the provider's requests-per-minute limit to pace calls under; <see langword="null"/> for no pacing.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int? RequestsPerMinute
    {
        get => _requestsPerMinute;
        set
        {
            if (value is { } limit)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1, nameof(RequestsPerMinute));
            }

            _requestsPerMinute = value;
        }
    }

    /// <summary>Gets or sets the output tokens assumed for a call whose <c>ChatOptions.MaxOutputTokens</c> is not set, when estimating it for caps and pacing.</summary>
    /// <value>The default value is 1,024.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    /// <remarks>The caps' guarantee holds when replies stay within the estimate: set <c>ChatOptions.MaxOutputTokens</c> to make it exact.</remarks>
    public int DefaultMaxOutputTokens
    {
        get => _defaultMaxOutputTokens;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(DefaultMaxOutputTokens));
            _defaultMaxOutputTokens = value;
        }
    }

    /// <summary>Gets or sets the token counter for estimates; <see langword="null"/> for <see cref="SharpTokenCounter.Default"/>.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public ITokenCounter? TokenCounter { get; set; }

    /// <summary>Gets or sets the most items packed into one model call.</summary>
    /// <value>The default value is 1: one call per item.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
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
    public int MaxItemsPerRequest
    {
        get => _maxItemsPerRequest;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(MaxItemsPerRequest));
            _maxItemsPerRequest = value;
        }
    }

    /// <summary>Gets or sets the most input tokens of items (their text plus the grouping prompt) packed into one call; <see langword="null"/> for no limit.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    /// <remarks>Applies when <see cref="MaxItemsPerRequest"/> is above 1. An item that alone exceeds it fails before any call is made.</remarks>
    public int? MaxTokensPerRequest
    {
        get => _maxTokensPerRequest;
        set
        {
            if (value is { } limit)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1, nameof(MaxTokensPerRequest));
            }

            _maxTokensPerRequest = value;
        }
    }

    /// <summary>Gets or sets the most input tokens one call may carry; <see langword="null"/> for the model's context window from <see cref="ModelContextWindows"/>.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    /// <remarks>
    /// A call whose input (counted with <see cref="TokenCounter"/>) is larger fails its item with
    /// <see cref="ContextWindowExceededException"/> before it is sent. Inputs shorter in characters than the limit are
    /// never counted for this check, so it costs nothing on ordinary items. Unknown models are not checked.
    /// </remarks>
    public int? MaxInputTokens
    {
        get => _maxInputTokens;
        set
        {
            if (value is { } limit)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1, nameof(MaxInputTokens));
            }

            _maxInputTokens = value;
        }
    }

    /// <summary>Gets the exact secret values (API keys, tokens) removed from every error message AgentBatch stores, logs or writes, on top of the built-in patterns for bearer tokens and sk- keys.</summary>
    public IList<string> Secrets { get; } = [];

    /// <summary>Gets the number of items allowed in flight at once, <see langword="null"/> for no limit.</summary>
    internal int? EffectiveConcurrency => Sequential ? 1 : _maxConcurrency;
}
