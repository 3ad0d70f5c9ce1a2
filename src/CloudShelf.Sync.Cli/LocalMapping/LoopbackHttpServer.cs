using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace CloudShelf.Sync.Cli.LocalMapping;

/// <summary>
/// HTTP on a free loopback port, each request handed to a handler on its own task: the scaffolding of
/// the local Runtime API (and of the test doubles that speak AWS's HTTP APIs). The handler sets the
/// response; the server closes it, answers 500 when the server stops during a request, and shrugs off
/// a client that went away.
/// </summary>
internal sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<HttpListenerContext, CancellationToken, Task> _handle;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    private LoopbackHttpServer(int port, Func<HttpListenerContext, CancellationToken, Task> handle)
    {
        _handle = handle;
        HostAndPort = "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
        _listener.Prefixes.Add($"http://{HostAndPort}/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    /// <summary><c>127.0.0.1:PORT</c>.</summary>
    public string HostAndPort { get; }

    /// <summary><c>http://127.0.0.1:PORT</c>.</summary>
    public string Endpoint => "http://" + HostAndPort;

    /// <summary>Starts serving; <paramref name="handle"/>'s token fires when the server stops.</summary>
    public static LoopbackHttpServer Start(Func<HttpListenerContext, CancellationToken, Task> handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return new LoopbackHttpServer(FreePort(), handle);
            }
            catch (HttpListenerException) when (attempt < 3)
            {
                // Another process took the port between probing and binding.
            }
        }
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            await _handle(context, _stop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException && _stop.IsCancellationRequested)
        {
            try
            {
                response.StatusCode = 500;
            }
            catch (InvalidOperationException)
            {
                // The headers were already sent: closing the response is all that is left.
            }
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
        {
            // The client went away mid-request.
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                // The client went away mid-request.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Close();
        try
        {
            await _serving;
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
        {
            // Closed while waiting for a request.
        }
        _stop.Dispose();
    }
}
