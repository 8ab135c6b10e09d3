using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AgentBatch.Tests;

/// <summary>
/// A loopback HTTP endpoint that accepts each request, starts a 200 response promising more body than it sends, and
/// closes the connection: a connection dropped mid-body, which WireMock.Net cannot produce.
/// </summary>
internal sealed class ConnectionDroppingServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private int _connections;

    public ConnectionDroppingServer()
    {
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    public Uri Endpoint => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/v1");

    /// <summary>Gets the number of requests received (one per connection: every connection is dropped).</summary>
    public int RequestCount => Volatile.Read(ref _connections);

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                _ = DropAsync(socket);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task DropAsync(Socket socket)
    {
        using (socket)
        {
            var buffer = new byte[64 * 1024];
            var received = new StringBuilder();
            while (!received.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var n = await socket.ReceiveAsync(buffer);
                if (n == 0)
                {
                    return;
                }

                received.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }

            Interlocked.Increment(ref _connections);
            var head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,";
            await socket.SendAsync(Encoding.ASCII.GetBytes(head));
            socket.Shutdown(SocketShutdown.Both);
        }
    }
}
