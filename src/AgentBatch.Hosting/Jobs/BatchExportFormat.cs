namespace AgentBatch.Hosting;

/// <summary>The file format of <see cref="IBatchJobManager.ExportAsync"/>.</summary>
public enum BatchExportFormat
{
    /// <summary>A JSON array of <see cref="BatchTaskInfo"/> objects.</summary>
    Json,

    /// <summary>Comma-separated values with a header row, one task per row.</summary>
    Csv,
}
