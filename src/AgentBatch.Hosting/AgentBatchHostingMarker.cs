namespace AgentBatch.Hosting;

/// <summary>Identifies the AgentBatch.Hosting assembly; the hosted worker and job control build on it.</summary>
public static class AgentBatchHostingMarker
{
}
