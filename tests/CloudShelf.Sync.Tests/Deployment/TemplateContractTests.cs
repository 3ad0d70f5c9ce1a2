using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Observability;
using YamlDotNet.RepresentationModel;

namespace CloudShelf.Sync.Tests.Deployment;

/// <summary>
/// Keeps template.yaml, samconfig.toml and the Makefile in step with the code they deploy
/// (docs/architecture.md): what the bootstrap hosts, what it reads from its environment,
/// what it emits, and the guarantees the stream event source and IAM must give.
/// </summary>
public sealed class TemplateContractTests
{
    /// <summary>Actions that AWS authorizes on no narrower resource than "*" (each explained in template.yaml).</summary>
    private static readonly HashSet<string> UnscopableActions = new(StringComparer.OrdinalIgnoreCase)
    {
        // Lambda's VPC networking (AWSLambdaVPCAccessExecutionRole).
        "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
        "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
        // Active tracing.
        "xray:PutTraceSegments", "xray:PutTelemetryRecords",
        "dynamodb:ListStreams",
    };

    /// <summary>Variables the code cannot run without in AWS (no connection string there).</summary>
    private static readonly string[] RequiredInAws =
    [
        SyncSettings.DbSecretIdVariable,
        SyncSettings.BooksTableVariable,
        SyncSettings.UsersTableVariable,
        SyncSettings.OrdersTableVariable,
        SyncSettings.ServiceNameVariable,
    ];

    /// <summary>Variables for local runs only: never given a value by the template.</summary>
    private static readonly string[] LocalOnly =
        [SyncSettings.PostgresConnectionVariable, SyncSettings.DynamoDbEndpointVariable, SyncSettings.DynamoDbStreamsEndpointVariable];

    private static readonly string[] MetricDimensions = ["Service", "Table"];

    private readonly SamTemplate _template = SamTemplate.Load();

    private IReadOnlyList<(string Id, YamlMappingNode Resource)> Functions => _template.Resources(SamTemplate.FunctionType);

    private string Handler(YamlMappingNode function) =>
        Yaml.Text(_template.FunctionProperty(function, "Handler") ?? throw new InvalidOperationException("A function has no Handler."));

    // ---------------------------------------------------------------------------------------------
    // Functions and their build
    // ---------------------------------------------------------------------------------------------

    [Fact]
    public void Every_handler_in_the_template_is_one_the_bootstrap_hosts()
    {
        Assert.NotEmpty(Functions);
        var handlers = Functions.Select(f => (f.Id, Handler: Handler(f.Resource))).ToList();
        if (_template.GlobalFunction is { } globals && Yaml.Find(globals, "Handler") is { } global)
            handlers.Add(("Globals", Yaml.Text(global)));

        Assert.All(handlers, h => Assert.True(FunctionCatalog.Names.Contains(h.Handler),
            $"{h.Id}: Handler '{h.Handler}' is not one of FunctionCatalog.Names ({string.Join(", ", FunctionCatalog.Names)})."));
    }

    [Fact]
    public void Every_function_the_bootstrap_hosts_is_deployed_once()
    {
        var handlers = Functions.Select(f => Handler(f.Resource)).ToList();

        Assert.Equal(FunctionCatalog.Names.Order(StringComparer.Ordinal), handlers.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_function_runs_the_bootstrap_on_the_custom_runtime()
    {
        Assert.All(Functions, f =>
        {
            Assert.Equal("provided.al2023", Yaml.Text(_template.FunctionProperty(f.Resource, "Runtime")!));
            var architectures = Yaml.Items(_template.FunctionProperty(f.Resource, "Architectures")!);
            Assert.Equal("${Architecture}", Yaml.Render(Assert.Single(architectures)));
        });
        Assert.Equal(["x86_64", "arm64"], Yaml.Items(Yaml.Find(_template.Parameter("Architecture"), "AllowedValues")!).Select(Yaml.Text));
        Assert.Equal("x86_64", Yaml.Text(Yaml.Find(_template.Parameter("Architecture"), "Default")!));
    }

    [Fact]
    public void Every_function_is_built_by_the_Makefile_target_of_its_logical_id()
    {
        var targets = MakefileTargets.Load();

        Assert.Contains("publish", targets);
        Assert.All(Functions, f =>
        {
            var metadata = Yaml.Map(f.Resource, "Metadata");
            Assert.Equal("makefile", Yaml.Text(Yaml.Find(metadata, "BuildMethod")!));
            Assert.True(targets.Contains($"build-{f.Id}"), $"The Makefile has no build-{f.Id} target for sam build.");
        });
    }

    // ---------------------------------------------------------------------------------------------
    // Environment
    // ---------------------------------------------------------------------------------------------

    [Fact]
    public void Every_variable_the_code_requires_in_AWS_is_set_for_every_function()
    {
        Assert.All(Functions, f =>
        {
            var environment = _template.Environment(f.Resource);
            foreach (var name in RequiredInAws)
            {
                Assert.True(environment.TryGetValue(name, out var value), $"{f.Id} does not set {name}.");
                // Unconditionally: an !If could leave it out.
                Assert.NotEqual("!If", Yaml.TagOf(value));
                Assert.False(value is YamlScalarNode { Value: "" } && Yaml.TagOf(value) is null, $"{f.Id} sets {name} to the empty string.");
            }
        });
    }

    [Fact]
    public void Every_CLOUDSHELF_and_POWERTOOLS_variable_the_template_sets_is_one_the_code_reads()
    {
        var known = typeof(SyncSettings).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.Name.EndsWith("Variable", StringComparison.Ordinal))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToHashSet(StringComparer.Ordinal);

        Assert.All(Functions, f =>
        {
            foreach (var name in _template.Environment(f.Resource).Keys)
            {
                if (!name.StartsWith("CLOUDSHELF_", StringComparison.Ordinal) && !name.StartsWith("POWERTOOLS_", StringComparison.Ordinal)) continue;
                Assert.True(known.Contains(name), $"{f.Id} sets {name}, which no SyncSettings constant names: a typo, or a setting the code ignores.");
            }
        });
    }

    [Fact]
    public void The_connection_string_and_the_DynamoDB_endpoint_are_never_given_a_value_in_AWS()
    {
        Assert.All(Functions, f =>
        {
            var environment = _template.Environment(f.Resource);
            foreach (var name in LocalOnly)
            {
                // Declared empty is allowed (sam local invoke --env-vars fills only declared variables).
                if (environment.TryGetValue(name, out var value))
                    Assert.True(value is YamlScalarNode { Value: "" } && Yaml.TagOf(value) is null, $"{f.Id} gives {name} a value.");
            }
        });
    }

    [Fact]
    public void Table_names_and_their_IAM_resources_come_from_the_same_stream_ARNs()
    {
        var parameters = _template.ParametersByName();
        foreach (var (variable, streamParameter) in new[]
                 {
                     (SyncSettings.BooksTableVariable, "BooksStreamArn"), (SyncSettings.UsersTableVariable, "UsersStreamArn"),
                     (SyncSettings.OrdersTableVariable, "OrdersStreamArn"),
                 })
        {
            Assert.True(parameters.ContainsKey(streamParameter), $"No {streamParameter} parameter.");
            Assert.All(Functions, f =>
            {
                var value = _template.Environment(f.Resource)[variable];
                Assert.Contains(Yaml.Descendants(value), n => Yaml.RefTarget(n) == streamParameter);
            });
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Metrics, alarms, dashboard (docs/architecture.md, section 7)
    // ---------------------------------------------------------------------------------------------

    [Fact]
    public void Alarms_and_the_dashboard_use_only_metrics_the_code_emits()
    {
        var ours = _template.MetricUses().Where(m => m.Namespace == MetricNames.Namespace).ToList();

        Assert.NotEmpty(ours);
        Assert.All(ours, m => Assert.True(MetricNames.All.Contains(m.Name),
            $"{m.Where} uses {m.Namespace} {m.Name}, which is not in MetricNames.All: the code never emits it."));
        Assert.All(_template.MetricUses(), m => Assert.True(m.Namespace == MetricNames.Namespace || m.Namespace.StartsWith("AWS/", StringComparison.Ordinal),
            $"{m.Where} uses namespace '{m.Namespace}', neither {MetricNames.Namespace} nor an AWS one."));
    }

    [Fact]
    public void Alarms_and_the_dashboard_filter_on_the_dimensions_the_code_emits()
    {
        var service = Yaml.Render(_template.Environment(Functions[0].Resource)[SyncSettings.ServiceNameVariable]);
        var tables = CloudShelfMapping.Create(SourceTableNames.Default).Tables.Select(t => t.Table).ToHashSet(StringComparer.Ordinal);

        Assert.All(_template.MetricUses().Where(m => m.Namespace == MetricNames.Namespace), m =>
        {
            Assert.All(m.Dimensions, d => Assert.True(MetricDimensions.Contains(d.Name),
                $"{m.Where}: {m.Name} has dimension '{d.Name}'; the code emits only Service and Table."));
            var serviceDimension = m.Dimensions.SingleOrDefault(d => d.Name == "Service");
            Assert.True(serviceDimension is not null, $"{m.Where}: {m.Name} has no Service dimension; every metric the code emits has one.");
            Assert.True(serviceDimension.Value == service,
                $"{m.Where}: {m.Name} filters on Service '{serviceDimension.Value}', but the functions report {SyncSettings.ServiceNameVariable} '{service}'.");
            if (m.Dimensions.SingleOrDefault(d => d.Name == "Table") is { } table)
                Assert.True(table.Value is not null && tables.Contains(table.Value),
                    $"{m.Where}: {m.Name} filters on Table '{table.Value}', not a table the mapping writes ({string.Join(", ", tables)}).");
        });
    }

    [Fact]
    public void The_seed_alerts_have_alarms_the_service_wide_error_rate_and_the_stream_lag()
    {
        var alarms = _template.Resources("AWS::CloudWatch::Alarm").Select(a => SamTemplate.Properties(a.Resource)).ToList();

        // Error rate > 1 %: metric math over the service-wide record counters.
        var errorRate = alarms.Single(a => Yaml.Find(a, "Metrics") is YamlSequenceNode metrics
            && metrics.Children.Cast<YamlMappingNode>().Any(q => Yaml.Find(q, "Expression") is { } e && Yaml.Text(e).Contains("IF(", StringComparison.Ordinal)));
        var metricNames = Yaml.Descendants(Yaml.Find(errorRate, "Metrics")!).OfType<YamlMappingNode>()
            .Select(m => Yaml.Find(m, "MetricName")).OfType<YamlScalarNode>().Select(n => n.Value).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(new HashSet<string?> { MetricNames.RecordsFailed, MetricNames.RecordsApplied, MetricNames.RecordsQuarantined }, metricNames);
        Assert.Equal(1, double.Parse(Yaml.Text(Yaml.Find(errorRate, "Threshold")!), CultureInfo.InvariantCulture));

        // Quarantined > 0.
        Assert.Contains(alarms, a => Yaml.Find(a, "MetricName") is { } n && Yaml.Text(n) == MetricNames.RecordsQuarantined
                                     && Yaml.Text(Yaml.Find(a, "Threshold")!) == "0");

        // Sync lag > 30 s: IteratorAge (milliseconds) of stream-sync, or SyncLagSeconds once emitted.
        var streamSync = Functions.Single(f => Handler(f.Resource) == "stream-sync").Id;
        Assert.Contains(alarms, a =>
            (Yaml.Find(a, "MetricName") is { } n && Yaml.Text(n) == "IteratorAge" && Yaml.Text(Yaml.Find(a, "Threshold")!) == "30000"
             && Yaml.Descendants(a).Any(d => Yaml.RefTarget(d) == streamSync))
            || (Yaml.Find(a, "MetricName") is { } s && Yaml.Text(s) == MetricNames.SyncLagSeconds));

        // Lambda errors of every function.
        Assert.All(Functions, f => Assert.Contains(alarms, a =>
            Yaml.Find(a, "MetricName") is { } n && Yaml.Text(n) == "Errors" && Yaml.Descendants(a).Any(d => Yaml.RefTarget(d) == f.Id)));
    }

    [Fact]
    public void The_error_rate_alarm_counts_failed_and_quarantined_records_over_all_handled_as_cutover_check_does()
    {
        var errorRate = SamTemplate.Properties(_template.Resource("ErrorRateAlarm"));
        var queries = Yaml.Items(Yaml.Find(errorRate, "Metrics")!).Cast<YamlMappingNode>().ToList();
        string IdOf(string metric) => Yaml.Text(Yaml.Find(queries.Single(q => Yaml.Descendants(q).OfType<YamlScalarNode>().Any(n => n.Value == metric)), "Id")!);
        var (failed, applied, quarantined) = (IdOf(MetricNames.RecordsFailed), IdOf(MetricNames.RecordsApplied), IdOf(MetricNames.RecordsQuarantined));
        var returned = queries.Single(q => Yaml.Find(q, "ReturnData") is { } r && Yaml.Text(r) == "true");
        var handled = queries.Single(q => Yaml.Find(q, "ReturnData") is { } r && Yaml.Text(r) == "false" && Yaml.Find(q, "Expression") is not null);

        Assert.Equal($"IF({Yaml.Text(Yaml.Find(handled, "Id")!)} > 0, 100 * (FILL({failed}, 0) + FILL({quarantined}, 0)) / {Yaml.Text(Yaml.Find(handled, "Id")!)}, 0)",
            Yaml.Text(Yaml.Find(returned, "Expression")!));
        Assert.Equal($"FILL({failed}, 0) + FILL({applied}, 0) + FILL({quarantined}, 0)", Yaml.Text(Yaml.Find(handled, "Expression")!));
        Assert.Equal(new CloudShelf.Sync.Cutover.CutoverSettings().MaxErrorRate * 100, double.Parse(Yaml.Text(Yaml.Find(errorRate, "Threshold")!), CultureInfo.InvariantCulture));
    }

    [Fact]
    public void A_non_empty_quarantine_the_iterator_age_and_any_batch_given_up_to_the_on_failure_bucket_alarm()
    {
        var alarms = _template.Resources("AWS::CloudWatch::Alarm").Select(a => SamTemplate.Properties(a.Resource)).ToList();
        bool Metric(YamlMappingNode a, string name) => Yaml.Find(a, "MetricName") is { } n && Yaml.Text(n) == name;

        var open = alarms.Single(a => Metric(a, MetricNames.QuarantineOpen));
        Assert.Equal(("0", "GreaterThanThreshold", "Maximum"),
            (Yaml.Text(Yaml.Find(open, "Threshold")!), Yaml.Text(Yaml.Find(open, "ComparisonOperator")!), Yaml.Text(Yaml.Find(open, "Statistic")!)));

        var streamSync = Functions.Single(f => Handler(f.Resource) == "stream-sync").Id;
        Assert.Contains(alarms, a => Metric(a, "IteratorAge") && Yaml.Text(Yaml.Find(a, "Threshold")!) == "30000"
                                     && Yaml.Descendants(a).Any(d => Yaml.RefTarget(d) == streamSync));

        // The alarm watches the bucket every mapping sends its given-up batches to, through a request-metrics filter it has.
        var destinations = Yaml.Map(SamTemplate.Properties(_template.Resource(streamSync)), "Events").Children.Values.Cast<YamlMappingNode>()
            .Select(e => Yaml.GetAttTarget(Yaml.Find(Yaml.Map(Yaml.Map(SamTemplate.Properties(e), "DestinationConfig"), "OnFailure"), "Destination")!)!.Value.Resource)
            .Distinct().ToList();
        var bucket = Assert.Single(destinations);
        var filters = Yaml.Items(Yaml.Find(SamTemplate.Properties(_template.Resource(bucket)), "MetricsConfigurations")!)
            .Cast<YamlMappingNode>().Select(f => Yaml.Text(Yaml.Find(f, "Id")!)).ToHashSet(StringComparer.Ordinal);
        var given = alarms.Single(a => Metric(a, "PutRequests"));
        var dimensions = Yaml.Items(Yaml.Find(given, "Dimensions")!).Cast<YamlMappingNode>()
            .ToDictionary(d => Yaml.Text(Yaml.Find(d, "Name")!), d => Yaml.Find(d, "Value")!);
        Assert.Equal("AWS/S3", Yaml.Text(Yaml.Find(given, "Namespace")!));
        Assert.Equal(bucket, Yaml.RefTarget(dimensions["BucketName"]));
        Assert.Contains(Yaml.Text(dimensions["FilterId"]), filters);
        Assert.Equal("0", Yaml.Text(Yaml.Find(given, "Threshold")!));
    }

    [Fact]
    public void The_dashboard_shows_lag_headroom_unapplied_lost_drift_and_applied_failed_quarantined_for_every_table()
    {
        var (id, _) = Assert.Single(_template.Resources("AWS::CloudWatch::Dashboard"));
        var uses = _template.MetricUses().Where(u => u.Where.StartsWith($"dashboard {id}", StringComparison.Ordinal) && u.Namespace == MetricNames.Namespace).ToList();
        var tables = CloudShelf.Sync.Mapping.CloudShelfMapping.Create(CloudShelf.Sync.Mapping.SourceTableNames.Default).Tables.Select(t => t.Table);
        foreach (var metric in new[]
                 {
                     MetricNames.SyncLagSeconds, MetricNames.RetentionHeadroomSeconds, MetricNames.UnappliedChanges, MetricNames.LostChanges,
                     MetricNames.DataDriftCount, MetricNames.RecordsApplied, MetricNames.RecordsFailed, MetricNames.RecordsQuarantined,
                 })
        {
            foreach (var table in tables)
                Assert.True(uses.Any(u => u.Name == metric && u.Dimensions.Any(d => d.Name == "Table" && d.Value == table)),
                    $"The dashboard does not show {metric} of {table}.");
        }
        Assert.Contains(uses, u => u.Name == MetricNames.QuarantineOpen);
    }

    [Fact]
    public void Every_alarm_is_on_the_dashboard_and_in_the_alarm_names_output()
    {
        var alarms = _template.Resources("AWS::CloudWatch::Alarm").Select(a => a.Id).ToHashSet(StringComparer.Ordinal);
        var (_, dashboard) = Assert.Single(_template.Resources("AWS::CloudWatch::Dashboard"));
        using var body = SamTemplate.DashboardBody(dashboard);
        var shown = body.RootElement.GetProperty("widgets").EnumerateArray()
            .Where(w => w.GetProperty("type").GetString() == "alarm")
            .SelectMany(w => w.GetProperty("properties").GetProperty("alarms").EnumerateArray())
            .Select(a => a.GetString()!.Replace("${", "", StringComparison.Ordinal).Replace(".Arn}", "", StringComparison.Ordinal))
            .ToHashSet(StringComparer.Ordinal);
        var output = Yaml.Descendants(Yaml.Map(Yaml.Map(_template.Root, "Outputs"), "AlarmNames")).Select(Yaml.RefTarget).OfType<string>().ToHashSet(StringComparer.Ordinal);

        Assert.Equal(alarms.Order(StringComparer.Ordinal), shown.Order(StringComparer.Ordinal));
        Assert.Equal(alarms.Order(StringComparer.Ordinal), output.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_alarm_notifies_the_alarm_topic()
    {
        Assert.All(_template.Resources("AWS::CloudWatch::Alarm"), a =>
        {
            var actions = Yaml.Find(SamTemplate.Properties(a.Resource), "AlarmActions");
            Assert.True(actions is not null && Yaml.Items(actions).Any(n => Yaml.RefTarget(n) == "AlarmTopicArn"),
                $"{a.Id} does not notify AlarmTopicArn.");
        });
    }

    // ---------------------------------------------------------------------------------------------
    // Stream event source (docs/architecture.md, sections 2 and 6)
    // ---------------------------------------------------------------------------------------------

    [Fact]
    public void Stream_sync_reads_the_three_streams_with_partial_failures_bisection_and_retries_bounded_by_record_age()
    {
        var streamSync = Functions.Single(f => Handler(f.Resource) == "stream-sync");
        var events = Yaml.Map(SamTemplate.Properties(streamSync.Resource), "Events").Children.Values.Cast<YamlMappingNode>()
            .Where(e => Yaml.Text(Yaml.Find(e, "Type")!) == "DynamoDB")
            .Select(SamTemplate.Properties)
            .ToList();

        Assert.Equal(["BooksStreamArn", "OrdersStreamArn", "UsersStreamArn"],
            events.Select(e => Yaml.RefTarget(Yaml.Find(e, "Stream")!)).Order(StringComparer.Ordinal));
        Assert.All(events, e =>
        {
            Assert.Equal("TRIM_HORIZON", Yaml.Text(Yaml.Find(e, "StartingPosition")!));
            Assert.Contains("ReportBatchItemFailures", Yaml.Items(Yaml.Find(e, "FunctionResponseTypes")!).Select(Yaml.Text));
            Assert.Equal("true", Yaml.Text(Yaml.Find(e, "BisectBatchOnFunctionError")!));

            // Bounded by age, not by count: an outage fails every try at once, so a count runs out in
            // minutes and Lambda skips the records to the on-failure queue, which keeps only positions.
            Assert.Equal("-1", Yaml.Text(Yaml.Find(e, "MaximumRetryAttempts") ?? throw new Xunit.Sdk.XunitException("No MaximumRetryAttempts.")));
            var age = _template.IntegerRange(Yaml.Find(e, "MaximumRecordAgeInSeconds") ?? throw new Xunit.Sdk.XunitException("No MaximumRecordAgeInSeconds."));
            // Well inside the streams' 24-hour retention: a record given up is still there to be read again.
            Assert.True(age is { Min: >= 3600, Max: <= 43200 }, $"MaximumRecordAgeInSeconds is not bounded to 1..12 hours: {age}.");

            // An S3 destination keeps the batch itself (SQS and SNS only its position), so that
            // `quarantine import --s3` can make it replayable after the stream has dropped it.
            var onFailure = Yaml.Map(Yaml.Map(e, "DestinationConfig"), "OnFailure");
            var destination = Yaml.GetAttTarget(Yaml.Find(onFailure, "Destination")!);
            Assert.True(destination is { Attribute: "Arn" }, "The OnFailure destination is not !GetAtt <bucket>.Arn.");
            Assert.Equal("AWS::S3::Bucket", Yaml.Text(Yaml.Find(_template.Resource(destination.Value.Resource), "Type")!));
        });
    }

    [Fact]
    public void Stream_run_defaults_are_the_template_stream_settings_and_function_timeout()
    {
        var defaults = new CloudShelf.Sync.Cli.LocalMapping.LocalMappingOptions();
        long Default(string parameter) => long.Parse(Yaml.Text(Yaml.Find(_template.Parameter(parameter), "Default")!), CultureInfo.InvariantCulture);
        var streamSync = Functions.Single(f => Handler(f.Resource) == "stream-sync").Resource;

        Assert.Equal(Default("StreamBatchSize"), defaults.BatchSize);
        Assert.Equal(Default("StreamBatchingWindowSeconds"), (long)defaults.BatchWindow.TotalSeconds);
        Assert.Equal(Default("StreamParallelizationFactor"), defaults.Parallelization);
        Assert.Equal(Default("StreamMaximumRecordAgeSeconds"), (long)defaults.MaximumRecordAge!.Value.TotalSeconds);
        // MaximumRetryAttempts is -1 in the template (the test above).
        Assert.Equal(-1, defaults.MaximumRetries);
        Assert.True(defaults.BisectOnError);
        Assert.Equal("TRIM_HORIZON", defaults.StartingPosition.Type.ToString());
        // A stop waits for the batches in flight at most this long, as Lambda waits for stream-sync.
        Assert.Equal(long.Parse(Yaml.Text(_template.FunctionProperty(streamSync, "Timeout")!), CultureInfo.InvariantCulture),
            (long)defaults.FunctionTimeout.TotalSeconds);
    }

    // ---------------------------------------------------------------------------------------------
    // Backfill state machine
    // ---------------------------------------------------------------------------------------------

    private static string JsonName(string property) =>
        typeof(BackfillSegmentRequest).GetProperty(property)!.GetCustomAttribute<System.Text.Json.Serialization.JsonPropertyNameAttribute>()!.Name;

    [Fact]
    public void Every_backfill_segment_gets_a_read_rate_from_the_execution_input_or_the_template_parameter()
    {
        var machine = SamTemplate.Properties(_template.Resource("BackfillStateMachine"));
        var substitutions = Yaml.Map(machine, "DefinitionSubstitutions");
        Assert.Equal("BackfillSegmentReadUnitsPerSecond", Yaml.RefTarget(Yaml.Find(substitutions, "SegmentReadUnitsPerSecond")!));
        Assert.True(_template.IntegerRange(Yaml.Find(substitutions, "SegmentReadUnitsPerSecond")!) is { Min: >= 1 },
            "BackfillSegmentReadUnitsPerSecond allows a rate below 1 RCU/s.");

        var states = Yaml.Map(Yaml.Map(machine, "Definition"), "States");
        var rate = JsonName(nameof(BackfillSegmentRequest.ReadUnitsPerSecond));
        // Both ways into the map leave the rate at $.rate: the input's when it has one, else the parameter's.
        var choice = Yaml.Map(states, Yaml.Text(Yaml.Required(Yaml.Map(machine, "Definition"), "StartAt")));
        Assert.Equal("Choice", Yaml.Text(Yaml.Required(choice, "Type")));
        Assert.Equal("$." + rate, Yaml.Text(Yaml.Required((YamlMappingNode)Yaml.Items(Yaml.Required(choice, "Choices")).Single(), "Variable")));
        var input = Yaml.Map(states, "InputReadRate");
        var fallback = Yaml.Map(states, "DefaultReadRate");
        Assert.Equal("$." + rate, Yaml.Text(Yaml.Required(Yaml.Map(input, "Parameters"), rate + ".$")));
        Assert.Equal("States.StringToJson('${SegmentReadUnitsPerSecond}')", Yaml.Text(Yaml.Required(Yaml.Map(fallback, "Parameters"), rate + ".$")));
        Assert.All(new[] { input, fallback }, pass =>
        {
            Assert.Equal("$.rate", Yaml.Text(Yaml.Required(pass, "ResultPath")));
            Assert.Equal("Segments", Yaml.Text(Yaml.Required(pass, "Next")));
        });

        // Each segment's payload is a BackfillSegmentRequest with the rate.
        var selector = Yaml.Map(Yaml.Map(states, "Segments"), "ItemSelector");
        Assert.Equal(
            new[] { nameof(BackfillSegmentRequest.Table), nameof(BackfillSegmentRequest.Segment), nameof(BackfillSegmentRequest.TotalSegments), nameof(BackfillSegmentRequest.ReadUnitsPerSecond) }
                .Select(p => JsonName(p) + ".$").Order(StringComparer.Ordinal),
            selector.Children.Keys.Select(Yaml.Text).Order(StringComparer.Ordinal));
        Assert.Equal("$.rate." + rate, Yaml.Text(Yaml.Required(selector, rate + ".$")));
    }

    [Fact]
    public void The_sample_state_machine_input_sets_a_read_rate_and_segments_the_backfill_function_accepts()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "events", "backfill", "state-machine-input.json");
        using var input = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));

        Assert.True(input.RootElement.GetProperty(JsonName(nameof(BackfillSegmentRequest.ReadUnitsPerSecond))).GetDouble() > 0);
        var segments = input.RootElement.GetProperty("segments").EnumerateArray().ToList();
        Assert.NotEmpty(segments);
        Assert.All(segments, segment =>
        {
            var request = System.Text.Json.JsonSerializer.Deserialize(segment.GetRawText(), BackfillJsonContext.Default.BackfillSegmentRequest)!;
            Assert.InRange(request.Segment, 0, request.TotalSegments - 1);
            Assert.False(string.IsNullOrEmpty(request.Table));
        });
    }

    [Fact]
    public void The_failed_batches_bucket_is_private_encrypted_expires_its_records_and_stream_sync_may_write_it()
    {
        var (id, bucket) = Assert.Single(_template.Resources("AWS::S3::Bucket"));
        var properties = SamTemplate.Properties(bucket);
        Assert.NotNull(Yaml.Find(properties, "BucketEncryption"));
        var block = Yaml.Map(properties, "PublicAccessBlockConfiguration");
        Assert.All(new[] { "BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets" },
            k => Assert.Equal("true", Yaml.Text(Yaml.Find(block, k)!)));
        var rule = Assert.IsType<YamlMappingNode>(Assert.Single(Yaml.Items(Yaml.Find(Yaml.Map(properties, "LifecycleConfiguration"), "Rules")!)));
        Assert.Equal("Enabled", Yaml.Text(Yaml.Find(rule, "Status")!));
        Assert.Equal("FailedBatchRetentionDays", Yaml.RefTarget(Yaml.Find(rule, "ExpirationInDays")!));

        // Lambda writes the destination with the function's execution role: PutObject on its objects, ListBucket on it.
        var statements = PolicyStatements().Where(s => s.Where.StartsWith("StreamSyncRole", StringComparison.Ordinal)).ToList();
        Assert.Contains(statements, s => Yaml.Items(Yaml.Find(s.Statement, "Action")!).Any(a => Yaml.Text(a) == "s3:PutObject")
                                         && Yaml.Items(Yaml.Find(s.Statement, "Resource")!).All(r => Yaml.Render(r) == $"${{{id}.Arn}}/*"));
        Assert.Contains(statements, s => Yaml.Items(Yaml.Find(s.Statement, "Action")!).Any(a => Yaml.Text(a) == "s3:ListBucket")
                                         && Yaml.Items(Yaml.Find(s.Statement, "Resource")!).All(r => Yaml.GetAttTarget(r) == (id, "Arn")));
    }

    [Fact]
    public void Sync_lag_may_only_read_the_three_streams_and_is_told_which_they_are()
    {
        var syncLag = Functions.Single(f => Handler(f.Resource) == FunctionCatalog.SyncLag);
        var role = Yaml.GetAttTarget(Yaml.Find(SamTemplate.Properties(syncLag.Resource), "Role")!)!.Value.Resource;
        var dynamo = PolicyStatements().Where(s => s.Where.StartsWith(role + " ", StringComparison.Ordinal))
            .Where(s => Yaml.Items(Yaml.Find(s.Statement, "Action")!).Any(a => Yaml.Text(a).StartsWith("dynamodb:", StringComparison.Ordinal)))
            .ToList();

        var statement = Assert.Single(dynamo).Statement;
        Assert.Equal(["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
            Yaml.Items(Yaml.Find(statement, "Action")!).Select(Yaml.Text).Order(StringComparer.Ordinal));
        Assert.Equal(["BooksStreamArn", "OrdersStreamArn", "UsersStreamArn"],
            Yaml.Items(Yaml.Find(statement, "Resource")!).Select(r => Yaml.RefTarget(r)).Order(StringComparer.Ordinal));
        var environment = _template.Environment(syncLag.Resource);
        foreach (var (variable, parameter) in new[]
                 {
                     (SyncSettings.BooksStreamArnVariable, "BooksStreamArn"), (SyncSettings.UsersStreamArnVariable, "UsersStreamArn"),
                     (SyncSettings.OrdersStreamArnVariable, "OrdersStreamArn"),
                 })
            Assert.Equal(parameter, Yaml.RefTarget(environment[variable]));
    }

    [Theory]
    [InlineData(MetricNames.SyncLagSeconds, "GreaterThanThreshold", 30)]
    [InlineData(MetricNames.RetentionHeadroomSeconds, "LessThanThreshold", 21600)]
    [InlineData(MetricNames.LostChanges, "GreaterThanThreshold", 0)]
    public void Every_synced_table_has_its_lag_alarm_on_the_alarm_topic_and_its_dashboard_line(string metric, string comparison, double threshold)
    {
        var tables = CloudShelfMapping.Create(SourceTableNames.Default).Tables.Select(t => t.Table).ToList();
        var alarms = _template.Resources("AWS::CloudWatch::Alarm").Select(a => SamTemplate.Properties(a.Resource))
            .Where(a => Yaml.Find(a, "MetricName") is { } n && Yaml.Text(n) == metric)
            .ToList();

        var alarmed = alarms.Select(a =>
        {
            Assert.Equal(comparison, Yaml.Text(Yaml.Find(a, "ComparisonOperator")!));
            Assert.Equal(threshold, double.Parse(Yaml.Text(Yaml.Find(a, "Threshold")!), CultureInfo.InvariantCulture));
            var table = Yaml.Items(Yaml.Find(a, "Dimensions")!).Cast<YamlMappingNode>().Single(d => Yaml.Text(Yaml.Find(d, "Name")!) == "Table");
            return Yaml.Text(Yaml.Find(table, "Value")!);
        });
        Assert.Equal(tables.Order(StringComparer.Ordinal), alarmed.Order(StringComparer.Ordinal));

        var dashboard = _template.MetricUses().Where(u => u.Where.StartsWith("dashboard", StringComparison.Ordinal) && u.Name == metric);
        foreach (var table in tables) Assert.Contains(dashboard, u => u.Dimensions.Any(d => d.Name == "Table" && d.Value == table));
    }

    [Fact]
    public void The_scheduled_functions_run_on_schedules()
    {
        foreach (var (handler, rate) in new[] { (FunctionCatalog.DriftDetector, "rate(15 minutes)"), (FunctionCatalog.SyncLag, "rate(1 minute)") })
        {
            var function = Functions.Single(f => Handler(f.Resource) == handler);
            var schedules = Yaml.Map(SamTemplate.Properties(function.Resource), "Events").Children.Values.Cast<YamlMappingNode>()
                .Where(e => Yaml.Text(Yaml.Find(e, "Type")!) == "Schedule")
                .Select(e => Yaml.Find(SamTemplate.Properties(e), "Schedule")!)
                // A schedule given as a parameter (drift-detector's and sync-lag's) runs on the parameter's default.
                .Select(n => Yaml.RefTarget(n) is { } parameter ? Yaml.Text(Yaml.Find(_template.Parameter(parameter), "Default")!) : Yaml.Text(n));
            Assert.Equal(rate, Assert.Single(schedules));
        }
    }

    [Fact]
    public void The_drift_schedule_is_a_parameter_and_drift_over_10_items_in_any_table_alarms()
    {
        var drift = Functions.Single(f => Handler(f.Resource) == FunctionCatalog.DriftDetector);
        var schedule = Yaml.Descendants(Yaml.Map(SamTemplate.Properties(drift.Resource), "Events")).OfType<YamlMappingNode>()
            .Select(m => Yaml.Find(m, "Schedule")).Single(n => n is not null)!;
        Assert.Equal(("!Ref", "DriftSchedule"), (Yaml.TagOf(schedule), Yaml.Text(schedule)));
        Assert.True(_template.Environment(drift.Resource).ContainsKey(SyncSettings.DriftRepairVariable));

        var alarm = _template.Resources("AWS::CloudWatch::Alarm").Single(a =>
            Yaml.Descendants(a.Resource).OfType<YamlScalarNode>().Any(n => n.Value == MetricNames.DataDriftCount)).Resource;
        var properties = SamTemplate.Properties(alarm);
        Assert.Equal("10", Yaml.Text(Yaml.Find(properties, "Threshold")!));
        Assert.Equal("GreaterThanThreshold", Yaml.Text(Yaml.Find(properties, "ComparisonOperator")!));
        var tables = Yaml.Descendants(Yaml.Find(properties, "Metrics")!).OfType<YamlMappingNode>()
            .Where(m => Yaml.Find(m, "Name") is { } n && Yaml.Text(n) == "Table").Select(m => Yaml.Text(Yaml.Find(m, "Value")!)).ToHashSet();
        Assert.Equal(CloudShelf.Sync.Mapping.CloudShelfMapping.Create(CloudShelf.Sync.Mapping.SourceTableNames.Default).Tables.Select(t => t.Table).ToHashSet(), tables);
    }

    // ---------------------------------------------------------------------------------------------
    // IAM
    // ---------------------------------------------------------------------------------------------

    private IEnumerable<(string Where, YamlMappingNode Statement)> PolicyStatements()
    {
        // Statements of execution policies: wherever they sit (inline, managed, behind an !If).
        foreach (var type in new[] { "AWS::IAM::Role", "AWS::IAM::ManagedPolicy", "AWS::IAM::Policy", SamTemplate.FunctionType })
        {
            foreach (var (id, resource) in _template.Resources(type))
            {
                var properties = SamTemplate.Properties(resource);
                foreach (var key in new[] { "Policies", "PolicyDocument" })
                {
                    if (Yaml.Find(properties, key) is not { } policies) continue;
                    foreach (var statement in Yaml.Descendants(policies).OfType<YamlMappingNode>().Where(m => Yaml.Find(m, "Effect") is not null))
                    {
                        var sid = Yaml.Find(statement, "Sid") is { } s ? Yaml.Text(s) : "(no Sid)";
                        yield return ($"{id} {sid}", statement);
                    }
                }
            }
        }
    }

    [Fact]
    public void No_IAM_statement_grants_an_action_with_a_wildcard()
    {
        var statements = PolicyStatements().ToList();

        Assert.NotEmpty(statements);
        Assert.All(statements, s =>
        {
            Assert.True(Yaml.Find(s.Statement, "NotAction") is null, $"{s.Where} uses NotAction.");
            Assert.True(Yaml.Find(s.Statement, "NotResource") is null, $"{s.Where} uses NotResource.");
            var actions = Yaml.Items(Yaml.Find(s.Statement, "Action") ?? throw new Xunit.Sdk.XunitException($"{s.Where} has no Action."));
            Assert.All(actions, a => Assert.False(Yaml.Text(a).Contains('*', StringComparison.Ordinal), $"{s.Where} grants '{Yaml.Text(a)}'."));
        });
    }

    [Fact]
    public void Only_actions_without_resource_level_permissions_are_granted_on_every_resource()
    {
        Assert.All(PolicyStatements().Where(s => Yaml.Find(s.Statement, "Resource") is { } r
                                                 && Yaml.Items(r).Any(n => n is YamlScalarNode { Value: "*" } && Yaml.TagOf(n) is null)),
            s => Assert.All(Yaml.Items(Yaml.Find(s.Statement, "Action")!), a => Assert.True(UnscopableActions.Contains(Yaml.Text(a)),
                $"{s.Where} grants {Yaml.Text(a)} on \"*\"; scope it to the resources the function uses.")));
    }

    [Fact]
    public void Every_function_runs_under_its_own_role_with_no_policies_SAM_would_add()
    {
        var roles = new HashSet<string>(StringComparer.Ordinal);
        Assert.All(Functions, f =>
        {
            var properties = SamTemplate.Properties(f.Resource);
            var role = Yaml.GetAttTarget(Yaml.Find(properties, "Role") ?? throw new Xunit.Sdk.XunitException($"{f.Id} has no Role: SAM would generate one with AWS managed policies."));
            Assert.True(role is { Attribute: "Arn" }, $"{f.Id}: Role is not !GetAtt <role>.Arn.");
            Assert.Equal("AWS::IAM::Role", Yaml.Text(Yaml.Find(_template.Resource(role.Value.Resource), "Type")!));
            Assert.True(roles.Add(role.Value.Resource), $"{f.Id} shares {role.Value.Resource} with another function.");
            Assert.Null(Yaml.Find(properties, "Policies"));

            // Managed policies only from this template: AWS's grant their actions on "*".
            var managed = Yaml.Find(SamTemplate.Properties(_template.Resource(role.Value.Resource)), "ManagedPolicyArns");
            Assert.All(managed is null ? [] : Yaml.Items(managed), arn =>
                Assert.Equal("AWS::IAM::ManagedPolicy", Yaml.Text(Yaml.Find(_template.Resource(Yaml.RefTarget(arn)!), "Type")!)));
        });
    }

    // ---------------------------------------------------------------------------------------------
    // Logs
    // ---------------------------------------------------------------------------------------------

    [Fact]
    public void Every_function_has_a_log_group_with_retention_that_only_its_role_writes_to()
    {
        var logGroups = _template.Resources("AWS::Logs::LogGroup")
            .ToDictionary(g => Yaml.Render(Yaml.Find(SamTemplate.Properties(g.Resource), "LogGroupName")!)!, g => g, StringComparer.Ordinal);

        Assert.All(Functions, f =>
        {
            var properties = SamTemplate.Properties(f.Resource);
            var name = Yaml.Render(Yaml.Find(properties, "FunctionName") ?? throw new Xunit.Sdk.XunitException($"{f.Id} has no FunctionName."));
            Assert.True(logGroups.TryGetValue("/aws/lambda/" + name, out var group), $"{f.Id} has no log group /aws/lambda/{name}.");
            Assert.NotNull(Yaml.Find(SamTemplate.Properties(group.Resource), "RetentionInDays"));

            var role = _template.Resource(Yaml.GetAttTarget(Yaml.Find(properties, "Role")!)!.Value.Resource);
            var logResources = Yaml.Descendants(Yaml.Find(SamTemplate.Properties(role), "Policies")!).OfType<YamlMappingNode>()
                .Where(s => Yaml.Find(s, "Action") is { } a && Yaml.Items(a).Any(n => Yaml.Text(n) == "logs:PutLogEvents"))
                .SelectMany(s => Yaml.Items(Yaml.Find(s, "Resource")!))
                .Select(Yaml.GetAttTarget)
                .ToList();
            Assert.Equal([(group.Id, "Arn")], logResources.Select(r => r!.Value));
        });
    }

    // ---------------------------------------------------------------------------------------------
    // samconfig.toml
    // ---------------------------------------------------------------------------------------------

    [Fact]
    public void Samconfig_deploys_dev_and_prod_to_separate_stacks_and_asks_before_changing_prod()
    {
        var config = SamConfig.Load();
        var dev = config.Section("dev.deploy.parameters");
        var prod = config.Section("prod.deploy.parameters");

        Assert.NotNull(dev);
        Assert.NotNull(prod);
        Assert.Equal("0.1", Assert.Single(config.Sections[""]["version"]));
        Assert.NotEqual(Assert.Single(dev["stack_name"]), Assert.Single(prod["stack_name"]));
        Assert.Equal("true", Assert.Single(prod["confirm_changeset"]));
        Assert.Equal("dev", SamConfig.ParameterOverrides(dev).Single(p => p.Key == "Stage").Value);
        Assert.Equal("prod", SamConfig.ParameterOverrides(prod).Single(p => p.Key == "Stage").Value);
    }

    [Fact]
    public void Samconfig_gives_every_required_parameter_a_value_the_template_allows()
    {
        var config = SamConfig.Load();
        var parameters = _template.ParametersByName();
        var required = parameters.Where(p => Yaml.Find(p.Value, "Default") is null).Select(p => p.Key).ToList();

        var sections = config.Sections.Where(s => s.Key.EndsWith(".parameters", StringComparison.Ordinal) && s.Value.ContainsKey("parameter_overrides")).ToList();
        Assert.NotEmpty(sections);
        foreach (var (header, section) in sections)
        {
            var overrides = SamConfig.ParameterOverrides(section);
            foreach (var (key, value) in overrides)
            {
                Assert.True(parameters.TryGetValue(key, out var parameter), $"[{header}] overrides {key}, which template.yaml does not declare.");
                var problem = Disallowed(parameter, value);
                Assert.True(problem is null, $"[{header}] {key}={value}: {problem}");
            }

            if (header.EndsWith(".deploy.parameters", StringComparison.Ordinal))
            {
                var given = overrides.Select(o => o.Key).ToHashSet(StringComparer.Ordinal);
                Assert.All(required, name => Assert.True(given.Contains(name), $"[{header}] gives no value to {name}, which has no default."));
            }
        }
    }

    /// <summary>Why CloudFormation would refuse <paramref name="value"/> for the parameter, or null.</summary>
    private static string? Disallowed(YamlMappingNode parameter, string value)
    {
        if (Yaml.Find(parameter, "AllowedValues") is { } allowed && !Yaml.Items(allowed).Select(Yaml.Text).Contains(value, StringComparer.Ordinal))
            return "not one of AllowedValues";
        if (Yaml.Find(parameter, "AllowedPattern") is { } pattern && !Regex.IsMatch(value, "^(?:" + Yaml.Text(pattern) + ")$"))
            return $"does not match AllowedPattern {Yaml.Text(pattern)}";
        if (Yaml.Text(Yaml.Find(parameter, "Type")!) == "Number")
        {
            if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)) return "not a number";
            if (Yaml.Find(parameter, "MinValue") is { } min && number < Yaml.Integer(min)) return "below MinValue";
            if (Yaml.Find(parameter, "MaxValue") is { } max && number > Yaml.Integer(max)) return "above MaxValue";
        }

        return null;
    }
}
