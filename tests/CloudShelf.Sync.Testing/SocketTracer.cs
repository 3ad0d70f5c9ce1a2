using System.Diagnostics;

namespace CloudShelf.Sync.Testing;

/// <summary>
/// Runs a command under strace, so that a test can see every socket address its process tree
/// connects, binds or sends to (<see cref="SocketSyscallTrace"/>): an observation at the system-call
/// level, which no setting of the traced program can bypass.
/// </summary>
public static class SocketTracer
{
    /// <summary>
    /// A start info that runs <paramref name="executable"/> with <paramref name="arguments"/> under
    /// <c>strace -f</c>, writing the socket calls of it and all its threads and children to
    /// <paramref name="traceFile"/> (strace writes each line as it happens, so the file is complete
    /// up to the moment the process is killed).
    /// </summary>
    public static ProcessStartInfo StartInfo(string traceFile, string executable, IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var startInfo = new ProcessStartInfo(Strace())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     "-f", "-qq", "-e", "trace=connect,bind,sendto,sendmsg,sendmmsg", "-e", "signal=none", "-o", traceFile, "--", executable,
                 }.Concat(arguments))
        {
            startInfo.ArgumentList.Add(argument);
        }
        return startInfo;
    }

    private static string Strace()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(directory, "strace");
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException("strace is missing: run `make deps` (it installs the Debian package strace).");
    }
}
