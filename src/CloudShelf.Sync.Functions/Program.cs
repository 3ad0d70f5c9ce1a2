using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Functions.Runtime;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.Postgres;

// Start-up (once per execution environment): settings, clients, the data source, the schema check.
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
        // Migrations are applied by the deploy (cloudshelf-sync migrate), never here: the functions
        // need no DDL rights, and a rolled-back build keeps running on a newer, compatible schema.
        var schema = await services.Migrator.EnsureCompatibleAsync();
        if (schema.Status == SchemaStatus.NewerCompatible)
            log.Info("Schema is newer than this build and compatible with it",
                new LogField("schema_version", schema.DatabaseVersion), new LogField("build_schema_version", schema.BuildVersion));
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
    var margin = InvocationContext.DefaultDeadlineMargin;
    await new LambdaRuntime(api, context, log, metrics, TimeProvider.System, margin, ProcessInvocationEnvironment.Instance).RunAsync(handler, CancellationToken.None);
}
return 0;
