namespace AgentBatch.Internal;

/// <summary>Refuses a model call before it is sent, because the batch already stopped for a failure of the endpoint.</summary>
/// <remarks>The item it reaches ends with <see cref="Exception.InnerException"/>, the batch's reason, as its error.</remarks>
internal sealed class BatchStoppedException : Exception
{
    public BatchStoppedException()
    {
    }

    public BatchStoppedException(string message)
        : base(message)
    {
    }

    public BatchStoppedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public BatchStoppedException(Exception reason)
        : base("The batch stopped before this call was sent: " + reason.Message, reason)
    {
    }
}
