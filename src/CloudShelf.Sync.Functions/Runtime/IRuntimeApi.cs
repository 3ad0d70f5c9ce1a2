using CloudShelf.Sync.Hosting;

namespace CloudShelf.Sync.Functions.Runtime;

/// <summary>The Lambda Runtime API, as the loop uses it; the seam tests replace with a fake server.</summary>
public interface IRuntimeApi
{
    /// <summary>Waits for the next invocation (long poll).</summary>
    Task<(InvocationContext Context, byte[] Payload)> NextAsync(CancellationToken cancellationToken);

    /// <summary>Posts an invocation's response.</summary>
    Task RespondAsync(string requestId, byte[] response, CancellationToken cancellationToken);

    /// <summary>Posts an invocation's error.</summary>
    Task ReportInvocationErrorAsync(string requestId, Exception error, CancellationToken cancellationToken);

    /// <summary>Posts an initialisation error; Lambda then stops the execution environment.</summary>
    Task ReportInitErrorAsync(Exception error, CancellationToken cancellationToken);
}
