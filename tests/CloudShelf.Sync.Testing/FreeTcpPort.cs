using System.Net;
using System.Net.Sockets;

namespace CloudShelf.Sync.Testing;

/// <summary>Asks the kernel for an unused loopback port instead of guessing one.</summary>
public static class FreeTcpPort
{
    /// <summary>A loopback port nothing listens on (at the moment of asking).</summary>
    public static int Next()
    {
        // The port is free when the socket closes; another process could take it before the
        // server binds it, so callers retry start-up when the server reports the port in use.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
