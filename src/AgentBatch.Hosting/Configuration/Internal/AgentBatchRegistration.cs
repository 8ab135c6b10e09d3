namespace AgentBatch.Hosting.Internal;

/// <summary>Marks a service collection that <c>AddAgentBatch</c> has set up, so later calls only add their configure callbacks.</summary>
internal sealed class AgentBatchRegistration;
