namespace AgentBatch;

/// <summary>What the built-in <see cref="ModelCatalog"/> knows of one model family.</summary>
/// <param name="Family">The id prefix the entry answers for, such as <c>gpt-4o-mini</c>: it matches <c>gpt-4o-mini</c>,
/// <c>gpt-4o-mini-2024-07-18</c> and <c>openai/gpt-4o-mini</c>.</param>
/// <param name="ContextWindow">The most input tokens one request may carry.</param>
/// <param name="Pricing">The standard-tier list price, in US dollars per million tokens.</param>
/// <param name="Encoding">The tokenizer encoding, such as <c>o200k_base</c>.</param>
/// <param name="MaxImageTokens">The most input tokens one image can cost (its largest size at high detail): what a
/// budget reserves for an image before the call, settled to the reported usage after it.</param>
public sealed record ModelCatalogEntry(string Family, int ContextWindow, ModelPricing Pricing, string Encoding, int MaxImageTokens);
