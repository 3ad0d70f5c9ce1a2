using System.Net;

namespace CloudShelf.Sync.Testing;

/// <summary>One socket system call that names an address, as strace printed it.</summary>
/// <param name="Line">The line of the trace.</param>
/// <param name="Name">The system call: <c>connect</c>, <c>bind</c>, <c>sendto</c>, <c>sendmsg</c> or <c>sendmmsg</c>.</param>
/// <param name="Family">The address family, e.g. <c>AF_INET6</c>.</param>
/// <param name="Address">The IP address for AF_INET and AF_INET6; null for other families or when strace's text could not be read.</param>
/// <param name="Port">The port for AF_INET and AF_INET6.</param>
public sealed record SocketSyscall(string Line, string Name, string Family, IPAddress? Address, int? Port)
{
    /// <summary>
    /// Whether the address stays on this machine: loopback (127.0.0.0/8, ::1, and both as IPv4-mapped
    /// IPv6), a Unix socket, netlink (the kernel), or AF_UNSPEC (which dissolves a UDP association).
    /// Anything not recognised counts as leaving it, so that a trace the parser misreads fails the check.
    /// </summary>
    public bool StaysOnHost => Family switch
    {
        "AF_UNIX" or "AF_LOCAL" or "AF_NETLINK" or "AF_UNSPEC" => true,
        "AF_INET" or "AF_INET6" => Address is { } a && IPAddress.IsLoopback(a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a),
        _ => false,
    };
}
