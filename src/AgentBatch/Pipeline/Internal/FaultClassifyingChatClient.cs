using Microsoft.Extensions.AI;

namespace AgentBatch.Internal;

/// <summary>Passes calls through unchanged and answers <c>GetService(typeof(ModelFaultClassifier))</c> with its classifier.</summary>
/// <remarks>
/// The one way a provider's classifier reaches the batch: <see cref="BatchCallChatClient"/> asks the client below it for
/// the service when the pipeline is built, so this layer may sit anywhere below <c>UseAgentBatch()</c>.
/// </remarks>
internal sealed class FaultClassifyingChatClient(IChatClient innerClient, ModelFaultClassifier classifier) : DelegatingChatClient(innerClient)
{
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(classifier) ? classifier : base.GetService(serviceType, serviceKey);
    }
}
