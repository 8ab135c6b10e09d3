using System.Globalization;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;

namespace AgentBatch;

/// <summary>A Microsoft Agent Framework <see cref="AIAgent"/> as a batch template: one fresh session per item.</summary>
/// <remarks>
/// <para>
/// One <see cref="AIAgent"/> may serve many concurrent conversations; its per-conversation state lives in an
/// <see cref="AgentSession"/>. Each clone (one per item) creates its own session with <see cref="AIAgent.CreateSessionAsync(CancellationToken)"/>
/// on its first run and keeps it for that item alone, so no two items ever share a session, and a repair turn of typed
/// output continues the item's own conversation. The reply is the agent's <see cref="AgentResponse"/> as a
/// <see cref="ChatResponse"/>.
/// </para>
/// <para>
/// For the batch's caps, pacing, retries and counts to apply to every model round trip, the agent's chat client must
/// pass its calls through the AgentBatch layer: build a <see cref="ChatClientAgent"/> over
/// <c>new ChatClientBuilder(client).UseAgentBatch().Build()</c>; the agent's own function invocation then sits above the
/// layer, so each round trip of its tool loop is one call to the batch. An agent whose calls the batch cannot see (a
/// remote agent) still runs: the usage its reply reports is counted, and charged to the caps after the fact.
/// </para>
/// </remarks>
public sealed class AgentFrameworkBatchAgent : IBatchAgent
{
    private readonly AIAgent _agent;
    private readonly AgentFrameworkBatchAgentOptions _options;
    private readonly bool _routed;
    private readonly string _name;
    private readonly int _index = -1;
    private AgentSession? _session;

    /// <summary>Initializes a new instance of the <see cref="AgentFrameworkBatchAgent"/> class, a template.</summary>
    /// <param name="agent">The agent every item runs on, each in its own session.</param>
    /// <param name="options">The options; <see langword="null"/> for defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="agent"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="AgentFrameworkBatchAgentOptions.MaxTurns"/> is out of range.</exception>
    public AgentFrameworkBatchAgent(AIAgent agent, AgentFrameworkBatchAgentOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(agent);
        _agent = agent;
        _options = options ?? new AgentFrameworkBatchAgentOptions();
        if (_options.MaxTurns is < 1 or > 1_000)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.MaxTurns, "MaxTurns must be between 1 and 1000.");
        }

        _routed = agent.GetService<IChatClient>()?.HasAgentBatchLayer() == true;
        _name = _options.Name ?? agent.Name ?? "agent";
    }

    private AgentFrameworkBatchAgent(AgentFrameworkBatchAgent template, int index)
    {
        _agent = template._agent;
        _options = template._options;
        _routed = template._routed;
        _name = string.Create(CultureInfo.InvariantCulture, $"{template._name}-{index}");
        _index = index;
    }

    /// <inheritdoc />
    public string Name => _name;

    /// <summary>Gets the agent every clone runs on.</summary>
    public AIAgent Agent => _agent;

    /// <summary>Gets this clone's session, once its first run has created it; <see langword="null"/> before, and always for the template.</summary>
    public AgentSession? Session => _session;

    /// <summary>Gets a value indicating whether the agent's model calls pass the AgentBatch layer (its chat client has <c>UseAgentBatch()</c>).</summary>
    public bool IsRouted => _routed;

    /// <inheritdoc />
    public IBatchAgent Clone(int index) => new AgentFrameworkBatchAgent(this, index);

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is <see langword="null"/>.</exception>
    public async Task<ChatResponse> RunAsync(IReadOnlyList<ChatMessage> input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (_options.MaxTurns is { } maxTurns)
        {
            // Started inside this async method: the run's turn counter flows to the AgentBatch layer below the agent's loop.
            BatchItemContext.BeginAgentRun(maxTurns);
        }

        _session ??= await _agent.CreateSessionAsync(cancellationToken).ConfigureAwait(false);
        var runOptions = _options.RunOptions?.Invoke(_index);
        var response = await _agent.RunAsync(input, _session, runOptions, cancellationToken).ConfigureAwait(false);
        var reply = response.AsChatResponse();

        if (!_routed && response.Usage is { } usage && BatchItemContext.Current is { } item)
        {
            // The batch saw none of these calls: what the agent says it used is all there is to count.
            item.RecordUnroutedUsage(usage, reply.ModelId);
        }

        return reply;
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}
