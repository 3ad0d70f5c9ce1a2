namespace CloudShelf.Sync.StreamReading;

/// <summary>An error answer of the DynamoDB Streams API, with its error code (the <c>__type</c> after <c>#</c>).</summary>
public sealed class StreamsApiException : Exception
{
    /// <summary>Expired iterator: get a new one from the last position.</summary>
    public const string ExpiredIterator = "ExpiredIteratorException";
    /// <summary>The position is older than the stream keeps (24 hours).</summary>
    public const string TrimmedDataAccess = "TrimmedDataAccessException";
    /// <summary>The stream or shard does not exist (any more).</summary>
    public const string ResourceNotFound = "ResourceNotFoundException";

    /// <summary>Creates the exception.</summary>
    public StreamsApiException(string errorCode, string message, int statusCode, Exception? inner = null)
        : base($"{errorCode}: {message}", inner)
    {
        ErrorCode = errorCode;
        StatusCode = statusCode;
    }

    /// <inheritdoc />
    public StreamsApiException() : this("Unknown", "DynamoDB Streams call failed", 0) { }

    /// <inheritdoc />
    public StreamsApiException(string message) : this("Unknown", message, 0) { }

    /// <inheritdoc />
    public StreamsApiException(string message, Exception inner) : this("Unknown", message, 0, inner) { }

    /// <summary>E.g. <see cref="ExpiredIterator"/>.</summary>
    public string ErrorCode { get; }

    /// <summary>The HTTP status of the answer.</summary>
    public int StatusCode { get; }

    /// <summary>Whether the call may succeed when repeated (throttling, a server error).</summary>
    public bool IsRetryable => StatusCode >= 500 || ErrorCode is "LimitExceededException" or "ThrottlingException"
        or "ProvisionedThroughputExceededException" or "RequestLimitExceeded" or "InternalServerError";
}
