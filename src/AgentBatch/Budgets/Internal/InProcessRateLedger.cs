namespace AgentBatch.Internal;

/// <summary>The in-process <see cref="RateLedger"/>: a sliding-window limiter for requests and one for tokens, on one clock.</summary>
/// <remarks>
/// A request takes its request permit first, then its tokens, as one call to the batch's pacing always has. Synchronous
/// when both fit at once: an unhurried batch pays no asynchronous step for pacing.
/// </remarks>
internal sealed class InProcessRateLedger : RateLedger
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly SlidingWindowLedgerLimiter? _requests;
    private readonly SlidingWindowLedgerLimiter? _tokens;

    public InProcessRateLedger(int? tokensPerMinute, int? requestsPerMinute, TimeProvider timeProvider)
        : base(tokensPerMinute, requestsPerMinute)
    {
        _requests = requestsPerMinute is { } requests ? new SlidingWindowLedgerLimiter(requests, Window, timeProvider) : null;
        _tokens = tokensPerMinute is { } tokens ? new SlidingWindowLedgerLimiter(tokens, Window, timeProvider) : null;
    }

    public override ValueTask<RateLease> AcquireAsync(long tokens, CancellationToken cancellationToken)
    {
        var request = _requests?.AcquireLeaseAsync(1, cancellationToken) ?? default;
        if (!request.IsCompletedSuccessfully)
        {
            return AcquireAfterWaitingAsync(request, tokens, cancellationToken);
        }

        var token = _tokens?.AcquireLeaseAsync(tokens, cancellationToken) ?? default;
        return token.IsCompletedSuccessfully
            ? new ValueTask<RateLease>(new Lease(request.Result, token.Result))
            : TokensAfterWaitingAsync(request.Result, token);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _requests?.Dispose();
            _tokens?.Dispose();
        }

        base.Dispose(disposing);
    }

    private async ValueTask<RateLease> AcquireAfterWaitingAsync(ValueTask<SlidingWindowLedgerLimiter.Lease> request, long tokens, CancellationToken cancellationToken)
    {
        var requestLease = await request.ConfigureAwait(false);
        var tokenLease = _tokens is null ? null : await _tokens.AcquireLeaseAsync(tokens, cancellationToken).ConfigureAwait(false);
        return new Lease(requestLease, tokenLease);
    }

    private static async ValueTask<RateLease> TokensAfterWaitingAsync(SlidingWindowLedgerLimiter.Lease? request, ValueTask<SlidingWindowLedgerLimiter.Lease> token) =>
        new Lease(request, await token.ConfigureAwait(false));

    private sealed class Lease(SlidingWindowLedgerLimiter.Lease? request, SlidingWindowLedgerLimiter.Lease? token) : RateLease
    {
        // A request counts once whatever it used: only its tokens are corrected.
        public override void Reconcile(long tokens) => token?.Reconcile(tokens);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                token?.Dispose();
                request?.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
