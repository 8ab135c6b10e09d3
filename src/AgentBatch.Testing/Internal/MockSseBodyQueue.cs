using System.Diagnostics.CodeAnalysis;
using WireMock.Models;

namespace AgentBatch.Testing.Internal;

/// <summary>
/// The body pieces of one response, handed to WireMock.Net's server-sent-events writer, which writes and flushes each
/// piece as it reads it.
/// </summary>
/// <remarks>
/// <para>
/// The pieces are all known up front, so <see cref="TryRead"/> never waits: it returns the next piece, then
/// <see langword="false"/> at the end, which ends the response normally.
/// </para>
/// <para>
/// With a drop point, reading past it throws instead. The response has started by then, so the server cannot turn the
/// error into a status code: it closes the connection without ending the chunked body, and the client sees a body that
/// breaks off after the pieces already sent. One instance serves one response; it is not thread-safe.
/// </para>
/// </remarks>
internal sealed class MockSseBodyQueue : IBlockingQueue<string?>
{
    private readonly IReadOnlyList<string> _pieces;
    private readonly int _dropAfter;
    private int _next;
    private bool _closed;

    /// <summary>Initializes a new instance of the <see cref="MockSseBodyQueue"/> class.</summary>
    /// <param name="pieces">The body pieces, in order.</param>
    /// <param name="dropAfter">The number of pieces to send before the connection drops; <see langword="null"/> to send them all.</param>
    public MockSseBodyQueue(IReadOnlyList<string> pieces, int? dropAfter = null)
    {
        _pieces = pieces;
        _dropAfter = dropAfter ?? int.MaxValue;
    }

    /// <summary>Not supported: the pieces are fixed when the queue is made.</summary>
    /// <param name="item">The item.</param>
    /// <exception cref="NotSupportedException">Always.</exception>
    public void Write(string? item) => throw new NotSupportedException("The mock's response body is fixed when the reply is made.");

    /// <summary>Returns the next piece, <see langword="false"/> at the end, or throws at the drop point.</summary>
    /// <param name="item">The next piece.</param>
    /// <returns><see langword="true"/> while pieces remain.</returns>
    /// <exception cref="IOException">The drop point is reached: the connection is to break off here.</exception>
    public bool TryRead([NotNullWhen(true)] out string? item)
    {
        item = null;
        if (_closed)
        {
            return false;
        }

        if (_next >= _dropAfter)
        {
            _closed = true;
            throw new IOException("MockFault.DropAfterFirstChunk: the mock server drops the connection mid-body.");
        }

        if (_next >= _pieces.Count)
        {
            return false;
        }

        item = _pieces[_next++];
        return true;
    }

    /// <summary>Ends the body: later reads return <see langword="false"/>.</summary>
    public void Close() => _closed = true;
}
