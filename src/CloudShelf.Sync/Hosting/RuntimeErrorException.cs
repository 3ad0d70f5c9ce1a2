namespace CloudShelf.Sync.Hosting;

/// <summary>An error with one of Lambda's runtime error types (e.g. <c>Runtime.UnknownHandler</c>).</summary>
public sealed class RuntimeErrorException(string errorType, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The error type.</summary>
    public string ErrorType { get; } = errorType;
}
