namespace AgentBatch.Hosting;

/// <summary>Gives the batches <c>services.AddAgentBatch(...)</c> registered, by name, each with its options, its chat client and the runner.</summary>
/// <remarks>Registered by <c>AddAgentBatch</c>; safe for concurrent use.</remarks>
public interface IAgentBatchFactory
{
    /// <summary>Gets the names of the registered batches; <see cref="Microsoft.Extensions.Options.Options.DefaultName"/> (empty) is the default batch.</summary>
    IReadOnlyCollection<string> Names { get; }

    /// <summary>Returns the batch named <paramref name="name"/>, with a copy of its current options.</summary>
    /// <param name="name">The batch's name, as given to <c>AddAgentBatch</c>; <see cref="Microsoft.Extensions.Options.Options.DefaultName"/> (empty) for the default batch.</param>
    /// <returns>The batch: its <see cref="BatchOptions"/> (a copy of <c>IOptionsMonitor&lt;BatchOptions&gt;.Get(name)</c>, yours to change), its chat client and the runner.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">No batch of that name is registered, or no chat client is registered for it.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The batch's settings are not valid.</exception>
    ConfiguredBatch Create(string name);
}
