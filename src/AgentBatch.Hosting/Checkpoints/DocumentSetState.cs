namespace AgentBatch.Hosting;

/// <summary>Where a document set's run stands in the checkpoint store.</summary>
public enum DocumentSetState
{
    /// <summary>Started and not finished: documents without a recorded result still run.</summary>
    Running,

    /// <summary>Every document has a result; the set's summary and archiving may still be pending.</summary>
    Completed,

    /// <summary>Finished and moved out of the inbox: a set dropped again under the same name starts a new run.</summary>
    Archived,
}
