using System.ClientModel.Primitives;

namespace AgentBatch.Internal;

/// <summary>A copy of an HTTP error response with the secrets removed from its body and headers, for a redacted <c>ClientResultException</c>.</summary>
/// <remarks>The status and headers stay, so retry decisions (<c>Retry-After</c>) and status tests work on the copy as on the original.</remarks>
internal sealed class RedactedPipelineResponse : PipelineResponse
{
    private readonly int _status;
    private readonly string _reasonPhrase;
    private readonly ResponseHeaders _headers;
    private readonly BinaryData _content;
    private Stream? _contentStream;

    private RedactedPipelineResponse(int status, string reasonPhrase, ResponseHeaders headers, BinaryData content)
    {
        _status = status;
        _reasonPhrase = reasonPhrase;
        _headers = headers;
        _content = content;
    }

    public override int Status => _status;

    public override string ReasonPhrase => _reasonPhrase;

    public override Stream? ContentStream
    {
        get => _contentStream ??= _content.ToStream();
        set => _contentStream = value;
    }

    public override BinaryData Content => _content;

    protected override PipelineResponseHeaders HeadersCore => _headers;

    public static RedactedPipelineResponse? From(PipelineResponse? response, Func<string, string> redact)
    {
        if (response is null)
        {
            return null;
        }

        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (name, value) in response.Headers)
        {
            headers.Add(new(name, redact(value)));
        }

        BinaryData content;
        try
        {
            content = BinaryData.FromString(redact(response.Content.ToString()));
        }
        catch (InvalidOperationException)
        {
            content = BinaryData.Empty;
        }

        return new RedactedPipelineResponse(response.Status, response.ReasonPhrase, new ResponseHeaders(headers), content);
    }

    public override BinaryData BufferContent(CancellationToken cancellationToken = default) => _content;

    public override ValueTask<BinaryData> BufferContentAsync(CancellationToken cancellationToken = default) => new(_content);

    public override void Dispose() => _contentStream?.Dispose();

    private sealed class ResponseHeaders(List<KeyValuePair<string, string>> headers) : PipelineResponseHeaders
    {
        public override IEnumerator<KeyValuePair<string, string>> GetEnumerator() => headers.GetEnumerator();

        public override bool TryGetValue(string name, out string? value)
        {
            var values = headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToArray();
            value = values.Length == 0 ? null : string.Join(",", values);
            return values.Length > 0;
        }

        public override bool TryGetValues(string name, out IEnumerable<string>? values)
        {
            var found = headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToArray();
            values = found.Length == 0 ? null : found;
            return found.Length > 0;
        }
    }
}
