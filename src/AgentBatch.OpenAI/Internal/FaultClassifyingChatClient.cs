using Microsoft.Extensions.AI;

namespace AgentBatch.Internal;

/// <summary>Passes calls through unchanged and answers <c>GetService</c> for its classifier and, when it has one, its provider batch client.</summary>
internal sealed class FaultClassifyingChatClient(IChatClient innerClient, ModelFaultClassifier classifier, OpenAIProviderBatchClient? batchClient = null)
    : DelegatingChatClient(innerClient)
{
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is null && serviceType.IsInstanceOfType(classifier))
        {
            return classifier;
        }

        return serviceKey is null && batchClient is not null && serviceType.IsInstanceOfType(batchClient) ? batchClient : base.GetService(serviceType, serviceKey);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            batchClient?.Dispose();
        }

        base.Dispose(disposing);
    }
}
