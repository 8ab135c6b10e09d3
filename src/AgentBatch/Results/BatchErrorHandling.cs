namespace AgentBatch;

/// <summary>What a batch does when an item fails.</summary>
public enum BatchErrorHandling
{
    /// <summary>Record the failure on the item and go on with the others. The default.</summary>
    Collect,

    /// <summary>Cancel the items in flight, start no more, and throw <see cref="BatchItemException"/> for the first failure.</summary>
    Throw,
}
