using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Functions.Runtime;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Observability;

// Start-up (once per execution environment): settings, clients, the data source, migrations.
// Anything that fails here is an init error: Lambda reports it and retires the environment.
var environment = ProcessEnvironment.Instance;
var runtimeApi = environment.Get("AWS_LAMBDA_RUNTIME_API");
if (string.IsNullOrWhiteSpace(runtimeApi))
{
    Console.Error.WriteLine("AWS_LAMBDA_RUNTIME_API is not set: bootstrap runs under Lambda (or a local Runtime API).");
    return 2;
}

using var api = new RuntimeApiClient(runtimeApi);
var handlerName = environment.Get("_HANDLER");
var context = new LogContext
{
    Service = environment.Get(SyncSettings.ServiceNameVariable) is { Length: > 0 } service ? service : "cloudshelf-sync",
    FunctionName = environment.Get("AWS_LAMBDA_FUNCTION_NAME") ?? handlerName,
};
var log = new JsonLogger(Console.Out, context, TimeProvider.System,
    JsonLogger.ParseLevel(environment.Get(SyncSettings.LogLevelVariable), LogLevel.Information));
var metrics = new EmfMetrics(Console.Out, context.Service, TimeProvider.System);

SyncServices? services = null;
IFunctionHandler handler;
try
{
    if (FunctionCatalog.NeedsServices(handlerName ?? ""))
    {
        services = await SyncServices.CreateAsync(SyncSettings.Load(environment), log, metrics, TimeProvider.System);
        await services.Migrator.MigrateAsync();
    }
    handler = FunctionCatalog.Create(handlerName, services);
}
catch (Exception e)
{
    log.Error(e, "Start-up failed", new LogField("handler", handlerName));
    await api.ReportInitErrorAsync(e, CancellationToken.None);
    return 1;
}

await using (services)
{
    var margin = LambdaRuntime.DefaultDeadlineMargin;
    await new LambdaRuntime(api, context, log, metrics, TimeProvider.System, margin).RunAsync(handler, CancellationToken.None);
}
return 0;
