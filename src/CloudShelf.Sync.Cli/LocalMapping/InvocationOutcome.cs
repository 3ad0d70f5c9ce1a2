using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.Cli.LocalMapping;

/// <summary>What one invocation of stream-sync gave back: its response, or a function error.</summary>
/// <param name="Response">The partial batch response, when the function answered.</param>
/// <param name="FunctionError">Why the invocation failed (an exception, an error posted by the runtime, a bad response).</param>
internal sealed record InvocationOutcome(StreamsEventResponse? Response, string? FunctionError)
{
    public static InvocationOutcome Answered(StreamsEventResponse response) => new(response, null);

    public static InvocationOutcome Failed(string error) => new(null, error);
}
