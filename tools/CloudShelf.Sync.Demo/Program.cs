using System.Runtime.InteropServices;
using CloudShelf.Sync.Demo;

// make demo: the migration on one machine. Exit 0 only on a GO verdict with PostgreSQL equal to
// DynamoDB; 1 on NO-GO or a difference; 2 when the demo could not run.
DemoOptions options;
try
{
    options = DemoOptions.Parse(args);
}
catch (UsageException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine(DemoOptions.Usage);
    return 2;
}
if (options.Help)
{
    Console.WriteLine(DemoOptions.Usage);
    return 0;
}

using var cancellation = new CancellationTokenSource();
// Ctrl-C and SIGTERM cancel the run; the finally blocks then stop every child process and server.
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

try
{
    await using var stack = DemoStack.Locate(options);
    await using var run = new DemoRun(options, stack, Console.Out);
    return await run.RunAsync(cancellation.Token) ? 0 : 1;
}
catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
{
    Console.Error.WriteLine("demo cancelled; its processes are stopped");
    return 2;
}
catch (Exception e) when (e is InvalidOperationException or IOException or Npgsql.NpgsqlException or Amazon.Runtime.AmazonServiceException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    cancellation.Cancel();
}
