namespace AgentBatch.Samples;

/// <summary>The process exit codes both samples use.</summary>
public static class SampleExitCodes
{
    /// <summary>Every item succeeded.</summary>
    public const int Success = 0;

    /// <summary>The batch ran, but some items failed or were not run (a budget cap, an error from the model).</summary>
    public const int ItemsFailed = 1;

    /// <summary>Bad command line: an unknown flag, a value out of range, a missing file or folder.</summary>
    public const int Usage = 2;

    /// <summary>The model endpoint could not be reached.</summary>
    public const int Unreachable = 3;

    /// <summary>Cancelled with Ctrl+C.</summary>
    public const int Canceled = 130;
}
