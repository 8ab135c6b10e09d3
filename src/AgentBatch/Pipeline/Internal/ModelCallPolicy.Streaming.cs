using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.AI;
using Polly;
using Polly.Timeout;

namespace AgentBatch.Internal;

/// <summary>Streamed calls: the same policy as any call, with an attempt that ends at the stream's first update.</summary>
/// <remarks>
/// <para>
/// A stream is reserved, paced and checked against the context window like any call, before its first byte is sent.
/// An attempt opens the stream and reads its first update under the attempt timeout; until then a failure is retried
/// like any other, since nothing has been handed on. Once the first update has been handed on, a stream cannot be
/// replayed: a later failure ends the call. The reservation is settled when the stream ends, however it ends: with the
/// usage update when the server sent one, otherwise with what was reserved, since the request was sent and may have
/// been billed. A consumer that leaves the stream early cancels the request.
/// </para>
/// <para>
/// Each attempt runs through the batch's resilience pipeline like a non-streamed one; its result there is the stream's
/// first update as a <see cref="ChatResponse"/>, for a caller's own pipeline that looks at results.
/// </para>
/// </remarks>
internal sealed partial class ModelCallPolicy
{
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IChatClient innerClient,
        IEnumerable<ChatMessage> messages,
        ChatOptions? options,
        BatchItemContext item,
        ModelFaultClassifier? classifier,
        ProviderBatchClient? batchClient,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (_lane is not null)
        {
            // A provider batch answers whole replies: the stream is the reply's updates, once its batch has answered.
            var response = await GetResponseAsync(innerClient, messages, options, item, classifier, batchClient, cancellationToken).ConfigureAwait(false);
            foreach (var update in response.ToChatResponseUpdates())
            {
                yield return update;
            }

            yield break;
        }

        var call = Prepare(innerClient, messages, options, item, classifier, batchClient);
        var stream = new OpenStream();
        await RunAttemptsAsync(
            static (context, state) => state.Self.OpenStreamAsync(state.InnerClient, state.Messages, state.Call, state.Item, state.Stream, context),
            (Self: this, InnerClient: innerClient, Messages: messages, Call: call, Item: item, Stream: stream),
            item,
            cancellationToken).ConfigureAwait(false);

        var completed = false;
        try
        {
            if (stream.First is { } first)
            {
                stream.Observe(first);
                yield return first;
                while (await stream.MoveNextAsync(Redactor, call.Classifier, item).ConfigureAwait(false))
                {
                    var update = stream.Current;
                    stream.Observe(update);
                    yield return update;
                }
            }

            completed = true;
        }
        finally
        {
            await CloseStreamAsync(stream, call, item, completed).ConfigureAwait(false);
        }
    }

    /// <summary>One attempt of a streamed call: reserve, pace, send, and read the first update within the attempt timeout.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome<ChatResponse>> OpenStreamAsync(
        IChatClient innerClient, IEnumerable<ChatMessage> messages, PreparedCall call, BatchItemContext item, OpenStream stream, ResilienceContext context)
    {
        var cancellationToken = context.CancellationToken;
        // As for a non-streamed attempt: no earlier attempt's fault may judge this one.
        context.Properties.Set(ModelCallResilience.FaultKey, null);
        var attempt = default(AttemptLeases);
        StreamClock? clock = null;
        IAsyncEnumerator<ChatResponseUpdate>? enumerator = null;
        var epoch = 0;
        var sent = false;
        try
        {
            attempt = _guardsAttempts ? await AcquireAsync(call, item, cancellationToken).ConfigureAwait(false) : Unguarded(call);
            item.RecordAttempt();
            epoch = Concurrency?.Epoch ?? 0;
            clock = new StreamClock(cancellationToken);
            clock.Start(_options.ResiliencePipeline is null ? _options.AttemptTimeout : null, _timeProvider);
            sent = true;
            enumerator = innerClient.GetStreamingResponseAsync(messages, attempt.Options, clock.Token).GetAsyncEnumerator(clock.Token);
            var any = await enumerator.MoveNextAsync().ConfigureAwait(false);
            if (!clock.StopTimer())
            {
                throw new OperationCanceledException(clock.Token);
            }

            Concurrency?.OnSuccess();
            var first = any ? enumerator.Current : null;

            // From here the stream owns the enumerator, the clock's cancellation and the leases, until it ends.
            stream.Open(enumerator, first, clock, attempt);
            enumerator = null;
            clock = null;
            attempt = default;
            return Outcome.FromResult(first is null ? new ChatResponse() : new[] { first }.ToChatResponse());
        }
        catch (Exception ex) when (sent)
        {
            var error = clock is { TimedOut: true } && !cancellationToken.IsCancellationRequested
                ? new TimeoutRejectedException($"The model stream sent no update within the attempt timeout of {_options.AttemptTimeout}.", _options.AttemptTimeout!.Value, ex)
                : ex;
            return Outcome.FromException<ChatResponse>(AttemptFailed(error, attempt, epoch, call, item, context));
        }
        catch (Exception ex)
        {
            _budget?.Release(attempt.Reservation);
            return Outcome.FromException<ChatResponse>(ex);
        }
        finally
        {
            if (enumerator is not null)
            {
                await DisposeQuietlyAsync(enumerator).ConfigureAwait(false);
            }

            clock?.Dispose();
            attempt.Dispose();
        }
    }

    /// <summary>Settles a stream that ended (read to its end, failed, or left early) and releases what it held.</summary>
    private async ValueTask CloseStreamAsync(OpenStream stream, PreparedCall call, BatchItemContext item, bool completed)
    {
        var attempt = stream.Attempt;
        try
        {
            if (!completed)
            {
                // Left early or failed: stop the request, so nothing more is generated (or billed) for nobody.
                stream.Clock?.Cancel();
            }

            if (stream.Usage is { } reported)
            {
                Settle(attempt, call, reported, stream.ModelId, item);
            }
            else
            {
                // Sent, and no usage came: charged what was reserved for it.
                attempt.Pacing?.Reconcile(attempt.Tokens);
                _budget?.Settle(attempt.Reservation, attempt.Tokens, attempt.Reservation.Cost);
            }
        }
        finally
        {
            if (stream.Enumerator is { } enumerator)
            {
                await DisposeQuietlyAsync(enumerator).ConfigureAwait(false);
            }

            stream.Clock?.Dispose();
            attempt.Dispose();
        }
    }

    private static async ValueTask DisposeQuietlyAsync(IAsyncEnumerator<ChatResponseUpdate> enumerator)
    {
        try
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Closing a stream that already failed or was cancelled may fail again; the first error is the one reported.
        }
    }

    /// <summary>The cancellation of one streamed request: the caller's token, and the attempt timeout until the first update.</summary>
    private sealed class StreamClock : IDisposable
    {
        private readonly CancellationTokenSource _source;
        private ITimer? _timer;
        private int _state; // 0 running, 1 timed out, 2 timer stopped

        public StreamClock(CancellationToken cancellationToken)
        {
            _source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        }

        public CancellationToken Token => _source.Token;

        public bool TimedOut => Volatile.Read(ref _state) == 1;

        public void Start(TimeSpan? timeout, TimeProvider timeProvider)
        {
            if (timeout is { } due)
            {
                _timer = timeProvider.CreateTimer(static state => ((StreamClock)state!).Expire(), this, due, Timeout.InfiniteTimeSpan);
            }
        }

        /// <summary>Stops the attempt timeout once the first update is in; <see langword="false"/> when it had already fired.</summary>
        public bool StopTimer()
        {
            _timer?.Dispose();
            return Interlocked.CompareExchange(ref _state, 2, 0) != 1;
        }

        public void Cancel()
        {
            try
            {
                _source.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        public void Dispose()
        {
            _timer?.Dispose();
            _source.Dispose();
        }

        private void Expire()
        {
            if (Interlocked.CompareExchange(ref _state, 1, 0) == 0)
            {
                Cancel();
            }
        }
    }

    /// <summary>A stream whose first update arrived: what it holds until it ends, and the usage it reported.</summary>
    private sealed class OpenStream
    {
        public IAsyncEnumerator<ChatResponseUpdate>? Enumerator { get; private set; }

        public ChatResponseUpdate? First { get; private set; }

        public StreamClock? Clock { get; private set; }

        public AttemptLeases Attempt { get; private set; }

        public UsageDetails? Usage { get; private set; }

        public string? ModelId { get; private set; }

        public ChatResponseUpdate Current => Enumerator!.Current;

        public void Open(IAsyncEnumerator<ChatResponseUpdate> enumerator, ChatResponseUpdate? first, StreamClock clock, AttemptLeases attempt)
        {
            Enumerator = enumerator;
            First = first;
            Clock = clock;
            Attempt = attempt;
        }

        /// <summary>Moves to the next update; a failure leaves redacted, recorded as the model call's own fault.</summary>
        /// <remarks>
        /// Recorded as an attempt's error is, so the item's outcome is judged by it: a stream the endpoint broke off is
        /// the endpoint's failure, not the item's (<see cref="BatchItemResult{TOutput}.IsFinal"/>).
        /// </remarks>
        public async ValueTask<bool> MoveNextAsync(SecretRedactor redactor, ModelFaultClassifier? classifier, BatchItemContext item)
        {
            try
            {
                return await Enumerator!.MoveNextAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                var fault = TransientFaults.Read(ex, classifier, out _);
                var redacted = redactor.Redact(ex, classifier);
                item.RecordFault(redacted, fault);
                ExceptionDispatchInfo.Throw(redacted);
                throw;
            }
        }

        public void Observe(ChatResponseUpdate update)
        {
            ModelId = update.ModelId ?? ModelId;
            foreach (var content in update.Contents)
            {
                if (content is UsageContent { Details: { } details })
                {
                    if (Usage is null)
                    {
                        Usage = details;
                    }
                    else
                    {
                        var sum = UsageMath.Copy(Usage);
                        sum.Add(details);
                        Usage = sum;
                    }
                }
            }
        }
    }
}
