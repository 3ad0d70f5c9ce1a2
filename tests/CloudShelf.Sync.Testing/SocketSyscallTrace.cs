using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace CloudShelf.Sync.Testing;

/// <summary>
/// The socket system calls of a process tree, read from the log that <see cref="SocketTracer"/>
/// has strace write: every <c>connect</c>, <c>bind</c> and <c>send*</c> that names an address.
/// </summary>
public sealed partial class SocketSyscallTrace
{
    private SocketSyscallTrace(IReadOnlyList<SocketSyscall> calls) => Calls = calls;

    /// <summary>Every call that named an address, in trace order.</summary>
    public IReadOnlyList<SocketSyscall> Calls { get; }

    /// <summary>
    /// Connections and datagrams to an address off this machine (a send on a connected socket
    /// names no address: its <c>connect</c> is in the list instead).
    /// </summary>
    public IReadOnlyList<SocketSyscall> Outbound => Calls.Where(c => c.Name != "bind" && !c.StaysOnHost).ToList();

    /// <summary>Whether some thread bound a TCP or UDP socket to <paramref name="port"/>.</summary>
    public bool Bound(int port) => Calls.Any(c => c.Name == "bind" && c.Port == port);

    /// <summary>Reads strace's lines (<c>-f</c>: each starts with the thread id).</summary>
    public static SocketSyscallTrace Parse(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var calls = new List<SocketSyscall>();
        foreach (var line in lines)
        {
            var call = CallPattern().Match(line);
            if (!call.Success) continue;
            // sendmmsg can carry several addresses; an unfinished line carries its arguments, the resumed part none.
            foreach (Match family in FamilyPattern().Matches(line))
            {
                var rest = line[family.Index..];
                var name = call.Groups["name"].Value;
                var kind = family.Groups["family"].Value;
                calls.Add(kind switch
                {
                    "AF_INET" when Inet4Pattern().Match(rest) is { Success: true } m => new SocketSyscall(line, name, kind, Address(m), Port(m)),
                    "AF_INET6" when Inet6Pattern().Match(rest) is { Success: true } m => new SocketSyscall(line, name, kind, Address(m), Port(m)),
                    _ => new SocketSyscall(line, name, kind, null, null),
                });
            }
        }
        return new SocketSyscallTrace(calls);
    }

    /// <summary>Reads a trace file.</summary>
    public static async Task<SocketSyscallTrace> ReadAsync(string path, CancellationToken ct = default) =>
        Parse(await File.ReadAllLinesAsync(path, ct));

    private static IPAddress? Address(Match m) => IPAddress.TryParse(m.Groups["address"].Value, out var address) ? address : null;

    private static int Port(Match m) => int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^\s*(?:\[pid\s+)?\d+\]?\s+(?<name>connect|bind|sendto|sendmsg|sendmmsg)\(")]
    private static partial Regex CallPattern();

    [GeneratedRegex(@"sa_family=(?<family>AF_\w+)")]
    private static partial Regex FamilyPattern();

    [GeneratedRegex(@"^sa_family=AF_INET, sin_port=htons\((?<port>\d+)\), sin_addr=inet_addr\(""(?<address>[^""]*)""\)")]
    private static partial Regex Inet4Pattern();

    [GeneratedRegex(@"^sa_family=AF_INET6, sin6_port=htons\((?<port>\d+)\), [^}]*?inet_pton\(AF_INET6, ""(?<address>[^""]*)""")]
    private static partial Regex Inet6Pattern();
}
