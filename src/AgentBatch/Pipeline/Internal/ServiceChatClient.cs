using Microsoft.Extensions.AI;

namespace AgentBatch.Internal;

/// <summary>Passes calls through unchanged and answers <c>GetService</c> for its service's type with that service.</summary>
/// <remarks>
/// The one way a provider's pieces reach the batch: its <see cref="ModelFaultClassifier"/> (<c>UseFaultClassifier</c>) and
/// its <see cref="ProviderBatchClient"/> (<c>UseProviderBatches</c>). <see cref="BatchCallChatClient"/> asks the client
/// below it for them when the pipeline is built, so this layer may sit anywhere below <c>UseAgentBatch()</c>.
/// </remarks>
internal sealed class ServiceChatClient(IChatClient innerClient, object service) : DelegatingChatClient(innerClient)
{
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(service) ? service : base.GetService(serviceType, serviceKey);
    }
}
