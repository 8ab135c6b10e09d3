namespace AgentBatch.Internal;

/// <summary>A batch an earlier run recorded, as a restarted run finds it: its record, and the batch it re-attached to, once a call claimed it.</summary>
internal sealed class RecordedBatch(ProviderBatchRecord record)
{
    public ProviderBatchRecord Record { get; } = record;

    /// <summary>Gets or sets the look-up of a batch whose id was never saved; <see langword="null"/> until first needed.</summary>
    public Task<string?>? Resolution { get; set; }

    /// <summary>Gets or sets the batch the run waits for, once a call claimed one of its requests.</summary>
    public OpenBatch? Attached { get; set; }
}
