namespace AgentBatch.Internal;

/// <summary>
/// An HTTP handler in the Anthropic client's chain (<c>ClientOptions.Handlers</c>) that remembers the wait each error
/// response asks for, by its <c>request-id</c>, for <see cref="AnthropicFaultClassifier"/>. Responses pass unchanged.
/// </summary>
internal sealed class RetryAfterRecordingHandler(ErrorResponseWaits waits) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode && First(response, "request-id") is { } requestId)
        {
            var milliseconds = First(response, "retry-after-ms");
            var retryAfter = First(response, "retry-after");
            if (milliseconds is not null || retryAfter is not null)
            {
                waits.Record(requestId, milliseconds, retryAfter);
            }
        }

        return response;
    }

    private static string? First(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
