using Microsoft.Extensions.AI;

namespace AgentBatch.Internal;

/// <summary>Passes calls through unchanged and answers <c>GetService</c> for its service's type with that service.</summary>
internal sealed class ServiceChatClient(IChatClient innerClient, object service) : DelegatingChatClient(innerClient)
{
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(service) ? service : base.GetService(serviceType, serviceKey);
    }
}
