using System.Text;
using Npgsql;

namespace CloudShelf.Sync.Observability;

/// <summary>
/// An exception as text that may leave the process (a log line, the error posted to the Runtime
/// API): e-mail addresses and passwords masked, and PostgreSQL's data errors without the values
/// they quote. A class 22 message quotes the refused input (<c>invalid input syntax for type
/// integer: "..."</c>) and a class 23 detail the conflicting key (<c>Key (email)=(...)</c>), so
/// for those only the SQLSTATE and the names of the constraint, table, column and type are given.
/// </summary>
public static class ExceptionText
{
    /// <summary>The exception's own message, safe to show.</summary>
    public static string Message(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return Redaction.Mask(SafeMessage(exception));
    }

    /// <summary>
    /// Like <see cref="Exception.ToString"/> (type, message, inner exceptions, stack traces), with
    /// every message in the chain made safe as <see cref="Message"/> makes it.
    /// </summary>
    public static string Render(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var text = new StringBuilder();
        Append(text, exception, 0);
        return Redaction.Mask(text.ToString());
    }

    /// <summary>Whether a PostgreSQL error's message or detail may quote the data it refused.</summary>
    public static bool QuotesValues(PostgresException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception.SqlState.StartsWith("22", StringComparison.Ordinal) || exception.SqlState.StartsWith("23", StringComparison.Ordinal);
    }

    private static void Append(StringBuilder text, Exception exception, int depth)
    {
        text.Append(exception.GetType().FullName ?? exception.GetType().Name).Append(": ").Append(SafeMessage(exception));
        // Deep chains are rare; the bound keeps a self-referencing one from recursing without end.
        var inners = exception is AggregateException aggregate ? aggregate.InnerExceptions : exception.InnerException is { } only ? [only] : [];
        if (depth < 16)
        {
            foreach (var inner in inners)
            {
                text.Append(" ---> ");
                Append(text, inner, depth + 1);
                text.Append('\n').Append("   --- End of inner exception stack trace ---");
            }
        }
        if (exception.StackTrace is { } stack) text.Append('\n').Append(stack);
    }

    private static string SafeMessage(Exception exception)
    {
        // An aggregate's message repeats its inner messages, which are rendered (safely) on their own.
        if (exception is AggregateException aggregate) return $"{aggregate.InnerExceptions.Count} error(s) occurred.";
        if (exception is not PostgresException pg || !QuotesValues(pg)) return exception.Message;

        var names = new List<string>(4);
        if (pg.ConstraintName is { Length: > 0 } constraint) names.Add("constraint " + constraint);
        if (pg.TableName is { Length: > 0 } table) names.Add("table " + (pg.SchemaName is { Length: > 0 } schema ? schema + "." + table : table));
        if (pg.ColumnName is { Length: > 0 } column) names.Add("column " + column);
        if (pg.DataTypeName is { Length: > 0 } type) names.Add("type " + type);
        var kind = pg.SqlState.StartsWith("22", StringComparison.Ordinal) ? "data exception" : "integrity constraint violation";
        return names.Count == 0
            ? $"{pg.SqlState}: {kind} (message withheld: it may quote values)"
            : $"{pg.SqlState}: {kind} ({string.Join(", ", names)}; message withheld: it may quote values)";
    }
}
