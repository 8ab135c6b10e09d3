using System.ComponentModel;
using AgentBatch.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;

namespace AgentBatch.Tests.Agents;

public sealed class KernelBatchAgentTests : IDisposable
{
    private readonly MockChatServer _server = MockChatServer.Start();

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task RunBatchAsync_KernelTemplate_UsesPluginsAsToolsWithAKernelPerClone()
    {
        _server.Responder = request => request.ToolResultCount == 0
            ? MockChatReply.CallTools(new MockToolCall("Inventory_Count", $$"""{"product":"{{request.LastUserText}}"}"""))
            : MockChatReply.Answer($"{request.LastUserText}: {request.Messages.Last(m => m.Role == "tool").Content}");
        var builder = Kernel.CreateBuilder();
        builder.Services.AddSingleton(_server.CreateChatClient());
        var plugin = new InventoryPlugin();
        builder.Plugins.AddFromObject(plugin, "Inventory");
        var kernel = builder.Build();
        kernel.Data["marker"] = "template";
        var template = new KernelBatchAgent(kernel, new ChatAgentOptions { Name = "stock", Instructions = "Count stock." });

        var kernels = new List<Kernel>();
        var result = await new BatchRunner().RunBatchAsync(
            index =>
            {
                var clone = (KernelBatchAgent)template.Clone(index);
                lock (kernels)
                {
                    kernels.Add(clone.Kernel);
                }

                clone.Kernel.Data["marker"] = $"clone-{index}";
                return clone;
            },
            ["apples", "pears", "plums"],
            s => s,
            r => r.Text);

        Assert.Equal(["apples: 6", "pears: 5", "plums: 5"], result.Outputs);
        Assert.Equal(3, plugin.Calls);
        Assert.Equal(3, kernels.Distinct().Count());
        Assert.DoesNotContain(kernel, kernels);
        Assert.Equal("template", kernel.Data["marker"]);
        Assert.DoesNotContain(template.History, m => m.Role == ChatRole.User);
        Assert.All(_server.Requests, r => Assert.Equal("Count stock.", r.SystemText));
        Assert.All(_server.Requests, r => Assert.Contains("Inventory_Count", r.ToolNames));
    }

    [Fact]
    public void Constructor_KernelWithoutChatModel_ThrowsClearError()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new KernelBatchAgent(Kernel.CreateBuilder().Build()));
        Assert.Contains("no chat model", ex.Message);
    }

    private sealed class InventoryPlugin
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        [KernelFunction("Count")]
        [Description("Counts the stock of a product.")]
        public int Count(string product)
        {
            Interlocked.Increment(ref _calls);
            return product.Length;
        }
    }
}
