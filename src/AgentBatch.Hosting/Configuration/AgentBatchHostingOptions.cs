namespace AgentBatch.Hosting;

/// <summary>
/// The settings <c>services.AddAgentBatch()</c> binds from the <c>AgentBatch</c> configuration section: which
/// endpoint and model to call, and the limits every batch runs under.
/// </summary>
/// <remarks>
/// Values are checked when the host starts; a bad value stops it with a message naming the setting
/// (for example <c>AgentBatch:MaxConcurrency</c>). Keep <see cref="ApiKey"/> out of <c>appsettings.json</c>: set it with
/// user secrets or the <c>AgentBatch__ApiKey</c> environment variable. It is never logged.
/// </remarks>
public sealed class AgentBatchHostingOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "AgentBatch";

    /// <summary>The model used when <see cref="Model"/> is not set.</summary>
    public const string DefaultModel = "gpt-4o-mini";

    private static readonly BatchOptions Defaults = new();

    /// <summary>Gets or sets the base address of an OpenAI-compatible endpoint; <see langword="null"/> for OpenAI's own.</summary>
    /// <value>The default value is <see langword="null"/>. Must be an absolute <c>http</c> or <c>https</c> address.</value>
    /// <remarks>Azure OpenAI, Ollama, vLLM and other OpenAI-compatible servers work through this setting (for example <c>http://localhost:11434/v1</c>).</remarks>
    public Uri? Endpoint { get; set; }

    /// <summary>Gets or sets the model every request names.</summary>
    /// <value>The default value is <c>gpt-4o-mini</c>.</value>
    public string Model { get; set; } = DefaultModel;

    /// <summary>Gets or sets the API key sent to the endpoint.</summary>
    /// <value>The default value is <see langword="null"/>. Required when <see cref="Endpoint"/> is not set and no <c>IChatClient</c> of your own is registered.</value>
    public string? ApiKey { get; set; }

    /// <summary>Gets or sets the most documents or items in flight at once.</summary>
    /// <value>The default value is 16. Between 1 and 10,000.</value>
    public int MaxConcurrency { get; set; } = BatchOptions.DefaultMaxConcurrency;

    /// <summary>Gets or sets the most tokens one batch (one document set) may use; <see langword="null"/> for no cap.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public long? MaxTotalTokens { get; set; }

    /// <summary>Gets or sets the most one batch (one document set) may cost; <see langword="null"/> for no cap.</summary>
    /// <value>The default value is <see langword="null"/>. A cap needs a price: <see cref="InputPricePerMillionTokens"/> and <see cref="OutputPricePerMillionTokens"/>, or a model <see cref="ModelPricingCatalog"/> knows.</value>
    public decimal? MaxCost { get; set; }

    /// <summary>Gets or sets the price of a million input tokens; <see langword="null"/> to look the model up in <see cref="ModelPricingCatalog"/>.</summary>
    /// <value>The default value is <see langword="null"/>. Set both prices or neither.</value>
    public decimal? InputPricePerMillionTokens { get; set; }

    /// <summary>Gets or sets the price of a million output tokens; <see langword="null"/> to look the model up in <see cref="ModelPricingCatalog"/>.</summary>
    /// <value>The default value is <see langword="null"/>. Set both prices or neither.</value>
    public decimal? OutputPricePerMillionTokens { get; set; }

    /// <summary>Gets or sets the provider's tokens-per-minute limit to pace calls under; <see langword="null"/> for no pacing.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public int? TokensPerMinute { get; set; }

    /// <summary>Gets or sets the provider's requests-per-minute limit to pace calls under; <see langword="null"/> for no pacing.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public int? RequestsPerMinute { get; set; }

    /// <summary>Gets or sets how many times one model call is tried before its item fails.</summary>
    /// <value>The default value is 4. Between 1 and 100; 1 turns retries off.</value>
    public int MaxAttempts { get; set; } = Defaults.MaxAttempts;

    /// <summary>Gets or sets the base of the exponential, jittered backoff between attempts; a server's <c>Retry-After</c> wins.</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan RetryBaseDelay { get; set; } = Defaults.RetryBaseDelay;

    /// <summary>Gets or sets a value indicating whether a 429 lowers the documents in flight, raised again as calls succeed.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool AdaptiveConcurrency { get; set; } = Defaults.AdaptiveConcurrency;

    /// <summary>Gets or sets how long one attempt may take before it is abandoned and retried.</summary>
    /// <value>The default value is 100 seconds.</value>
    public TimeSpan AttemptTimeout { get; set; } = Defaults.AttemptTimeout ?? TimeSpan.FromSeconds(100);

    /// <summary>Gets or sets how long one item may take in all, retries included; <see langword="null"/> for no limit.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public TimeSpan? ItemTimeout { get; set; }

    /// <summary>Gets or sets the most input tokens one item's request may carry; <see langword="null"/> for the model's context window.</summary>
    /// <value>The default value is <see langword="null"/>. A larger item fails alone, before any call.</value>
    public int? MaxInputTokens { get; set; }

    /// <summary>Makes the <see cref="BatchOptions"/> these settings describe.</summary>
    /// <returns>A new options instance; callers may change it freely.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range (the host's start-up validation reports it first).</exception>
    public BatchOptions ToBatchOptions() => new()
    {
        MaxConcurrency = MaxConcurrency,
        MaxTotalTokens = MaxTotalTokens,
        MaxCost = MaxCost,
        Pricing = InputPricePerMillionTokens is { } input && OutputPricePerMillionTokens is { } output ? new ModelPricing(input, output) : null,
        TokensPerMinute = TokensPerMinute,
        RequestsPerMinute = RequestsPerMinute,
        MaxAttempts = MaxAttempts,
        RetryBaseDelay = RetryBaseDelay,
        AdaptiveConcurrency = AdaptiveConcurrency,
        AttemptTimeout = AttemptTimeout,
        ItemTimeout = ItemTimeout,
        MaxInputTokens = MaxInputTokens,
    };
}
