using Microsoft.Extensions.AI;

namespace AgentBatch.Samples.CodeAnalyzer;

/// <summary>
/// Wraps the analyzer's agent template so each clone has its own <see cref="FindingCollector"/>, the one for its item.
/// </summary>
/// <remarks>
/// Clones share the template's tool instances (one <c>report_finding</c> <see cref="AIFunction"/> for the whole batch), so
/// the tool cannot keep findings itself: with many files in flight they would mix. Instead each clone, while it runs,
/// makes its own collector the current one for its asynchronous flow (an <see cref="AsyncLocal{T}"/>), and the tool,
/// invoked on that same flow by the clone's function-invocation loop, writes to <see cref="Current"/>. Concurrent clones
/// run on separate flows, so each sees only its own collector.
/// </remarks>
internal sealed class FindingsAgent : IBatchAgent
{
    private static readonly AsyncLocal<FindingCollector?> Running = new();

    private readonly IBatchAgent _inner;
    private readonly Func<int, FindingCollector> _collectorFor;
    private readonly FindingCollector? _collector;

    /// <summary>Initializes a new instance of the <see cref="FindingsAgent"/> class, a template.</summary>
    /// <param name="inner">The agent template whose tools include <c>report_finding</c>.</param>
    /// <param name="collectorFor">Gives the collector of the item at an index.</param>
    public FindingsAgent(IBatchAgent inner, Func<int, FindingCollector> collectorFor)
        : this(inner, collectorFor, collector: null)
    {
    }

    private FindingsAgent(IBatchAgent inner, Func<int, FindingCollector> collectorFor, FindingCollector? collector)
    {
        _inner = inner;
        _collectorFor = collectorFor;
        _collector = collector;
    }

    /// <summary>Gets the collector of the clone running on the current asynchronous flow, if any.</summary>
    public static FindingCollector? Current => Running.Value;

    public string Name => _inner.Name;

    public IReadOnlyList<ChatMessage> History => _inner.History;

    public IBatchAgent Clone(int index) => new FindingsAgent(_inner.Clone(index), _collectorFor, _collectorFor(index));

    public async Task<ChatResponse> RunAsync(string input, CancellationToken cancellationToken = default)
    {
        if (_collector is null)
        {
            throw new InvalidOperationException("Run a clone of the analyzer, not the template: the template has no findings collector.");
        }

        // Set inside this async method, the value flows down into the tool calls of this run and is gone when it returns.
        Running.Value = _collector;
        return await _inner.RunAsync(input, cancellationToken);
    }
}
