namespace AgentBatch.Hosting;

/// <summary>A document of a run leased to this worker by an <see cref="IDocumentLeaseStore"/>, until it records the result or gives the lease back.</summary>
/// <param name="Run">The run the document belongs to.</param>
/// <param name="Document">The document.</param>
/// <param name="Fence">The lease's token: a result recorded under an older token than the document's current lease is refused.</param>
public sealed record DocumentLease(DocumentSetCheckpoint Run, SetDocument Document, long Fence);
