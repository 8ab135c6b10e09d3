using System.Net;
using System.Net.Sockets;

namespace AgentBatch.Hosting.Tests;

/// <summary>
/// A loopback port in front of a mock endpoint that can be taken down, so that connections to it are refused (nothing
/// listens), and brought back on the same port: an outage as a client sees one, which a mock server cannot play itself.
/// </summary>
internal sealed class SwitchableEndpoint : IDisposable
{
    private readonly Uri _target;
    private readonly int _port;
    private readonly Lock _gate = new();
    private readonly List<TcpClient> _connections = [];
    private TcpListener? _listener;

    public SwitchableEndpoint(Uri target, bool up)
    {
        _target = target;

        // A free port, kept for the endpoint's life: it is listened on while up and refuses while down.
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        _port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        if (up)
        {
            Up();
        }
    }

    public Uri Endpoint => new($"http://127.0.0.1:{_port}/v1");

    public void Up()
    {
        lock (_gate)
        {
            if (_listener is not null)
            {
                return;
            }

            _listener = new TcpListener(IPAddress.Loopback, _port);
            _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _listener.Start();
            _ = AcceptAsync(_listener);
        }
    }

    /// <summary>Stops listening and resets every open connection: requests in flight fail, new ones are refused.</summary>
    public void Down()
    {
        lock (_gate)
        {
            _listener?.Stop();
            _listener = null;
            foreach (var connection in _connections)
            {
                if (connection.Client is { } socket)
                {
                    // A reset, not a polite close: the client sees its connection fail.
                    socket.LingerState = new LingerOption(true, 0);
                }

                connection.Dispose();
            }

            _connections.Clear();
        }
    }

    public void Dispose() => Down();

    private async Task AcceptAsync(TcpListener listener)
    {
        while (true)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        using var upstream = new TcpClient();
        lock (_gate)
        {
            _connections.Add(client);
            _connections.Add(upstream);
        }

        try
        {
            await upstream.ConnectAsync(_target.Host, _target.Port);
            var down = client.GetStream().CopyToAsync(upstream.GetStream());
            var up = upstream.GetStream().CopyToAsync(client.GetStream());
            await Task.WhenAny(down, up);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // Reset by Down(), or closed by either side.
        }
        finally
        {
            lock (_gate)
            {
                _connections.Remove(client);
                _connections.Remove(upstream);
            }

            client.Dispose();
        }
    }
}
