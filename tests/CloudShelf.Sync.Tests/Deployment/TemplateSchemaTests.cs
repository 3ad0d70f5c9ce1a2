using CloudShelf.Sync.Testing;

namespace CloudShelf.Sync.Tests.Deployment;

/// <summary>
/// template.yaml against AWS's published resource schemas (CloudFormation's registry schemas and
/// SAM's specification, from the npm package @aws-cdk/aws-service-spec), so that a misspelt or
/// missing property, a GetAtt of an attribute that does not exist, or a Ref to nothing fails
/// `make test` rather than a deployment.
/// </summary>
public sealed class TemplateSchemaTests
{
    private static readonly Lazy<string> TemplateText = new(() => File.ReadAllText(Path.Combine(RepositoryRoot.Find(), "template.yaml")));

    [Fact]
    public void The_template_matches_the_published_resource_schemas()
    {
        var errors = Validate(SamTemplate.Load(), SchemaAllowList.Load());

        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }

    [Fact]
    public void Every_allow_list_entry_is_needed_by_the_template()
    {
        var allowList = SchemaAllowList.Load();

        Validate(SamTemplate.Load(), allowList);

        Assert.Empty(allowList.Entries.Except(allowList.Used));
    }

    [Fact]
    public void An_allow_list_entry_without_a_reason_is_refused()
    {
        var error = Assert.Throws<FormatException>(() => SchemaAllowList.Parse(["AWS::Serverless::Function.ScheduleEvent.State"]));

        Assert.Contains("no comment", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Each row breaks a copy of template.yaml in one place; the validator must name the fault. The
    /// places are ones other work is unlikely to move (log groups, roles, alarms, Globals); a row
    /// whose original text is gone fails on its first assertion and needs a new place.
    /// </summary>
    [Theory]
    // A misspelt property three levels down (Alarm > Metrics[] > MetricStat > Metric).
    [InlineData("              MetricName: RecordsFailed\n", "              MetricNme: RecordsFailed\n",
        "'MetricNme' is not a property of AWS::CloudWatch::Alarm Metric; did you mean 'MetricName'?")]
    // A misspelt top-level property.
    [InlineData("      RetentionInDays: !Ref LogRetentionDays\n", "      RetentionInDay: !Ref LogRetentionDays\n",
        "'RetentionInDay' is not a property of AWS::Logs::LogGroup Properties; did you mean 'RetentionInDays'?")]
    // A misspelt property of a nested SAM type, and one of SAM's Globals.
    [InlineData("      EventInvokeConfig:\n        MaximumRetryAttempts: 0\n", "      EventInvokeConfig:\n        MaximumRetryAttempt: 0\n",
        "'MaximumRetryAttempt' is not a property of AWS::Serverless::Function EventInvokeConfig; did you mean 'MaximumRetryAttempts'?")]
    [InlineData("    Tracing: Active\n", "    Tracin: Active\n", "'Tracin' is not a property of AWS::Serverless::Function Properties; did you mean 'Tracing'?")]
    // A required nested property left out (a dimension without its value).
    [InlineData("        - Name: Service\n          Value: !Ref ServiceName\n      Statistic: Sum\n", "        - Name: Service\n      Statistic: Sum\n",
        "AWS::CloudWatch::Alarm Dimension requires 'Value', which is missing")]
    // An object where a list belongs.
    [InlineData("      AlarmActions: [!Ref AlarmTopicArn]\n", "      AlarmActions: {Topic: !Ref AlarmTopicArn}\n", "expected a list, found a mapping")]
    // A resource type that does not exist.
    [InlineData("    Type: AWS::Logs::LogGroup\n", "    Type: AWS::Logs::Loggroup\n", "'AWS::Logs::Loggroup' is not a resource type")]
    // GetAtt of an attribute the resource type does not have, and of a resource that does not exist.
    [InlineData("!GetAtt StreamSyncLogGroup.Arn", "!GetAtt StreamSyncLogGroup.ARN", "GetAtt: AWS::Logs::LogGroup has no attribute 'ARN'")]
    [InlineData("!GetAtt BackfillLogGroup.Arn", "!GetAtt BackfilLogGroup.Arn",
        "GetAtt: 'BackfilLogGroup' is not a resource of the template; did you mean 'BackfillLogGroup'?")]
    // Ref to a resource that does not exist.
    [InlineData("- !Ref FunctionBasePolicy\n", "- !Ref FunctionBasePolicies\n", "Ref 'FunctionBasePolicies' names no parameter")]
    // Sub placeholders: a misspelt parameter, a misspelt pseudo parameter, an attribute that does not exist.
    [InlineData("cloudshelf-sync-${Stage}-backfill\n", "cloudshelf-sync-${Stag}-backfill\n", "Sub ${Stag} names no parameter, resource or pseudo parameter; did you mean 'Stage'?")]
    [InlineData(":ssm:${AWS::Region}:", ":ssm:${AWS::Regoin}:", "Sub ${AWS::Regoin} names no parameter")]
    [InlineData("!Sub ${BackfillFunction.Arn}:*", "!Sub ${BackfillFunction.Arnn}:*", "Sub ${BackfillFunction.Arnn}: AWS::Lambda::Function has no attribute 'Arnn'")]
    // An If on a condition that is not defined.
    [InlineData("          - !If\n            - HasDbSecretKmsKey\n", "          - !If\n            - HasDbSecretKey\n", "If names condition 'HasDbSecretKey'")]
    public void A_broken_copy_of_the_template_fails_naming_the_fault(string original, string broken, string expected)
    {
        Assert.Contains(original, TemplateText.Value, StringComparison.Ordinal);
        var copy = SamTemplate.Parse(ReplaceFirst(TemplateText.Value, original, broken));

        var errors = Validate(copy, SchemaAllowList.Load());

        Assert.True(errors.Any(e => e.Contains(expected, StringComparison.Ordinal)),
            $"expected an error containing \"{expected}\", got:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}");
    }

    [Fact]
    public void Without_the_allow_list_the_newer_SAM_properties_are_reported()
    {
        var errors = Validate(SamTemplate.Load(), new SchemaAllowList([]));

        Assert.Contains(errors, e => e.Contains("'State' is not a property of AWS::Serverless::Function ScheduleEvent", StringComparison.Ordinal));
    }

    [Fact]
    public void Names_that_SAM_generates_can_be_referenced_and_others_cannot()
    {
        var template = SamTemplate.Parse("""
            Transform: AWS::Serverless-2016-10-31
            Resources:
              Worker:
                Type: AWS::Serverless::Function
                Properties:
                  Handler: worker
                  Runtime: provided.al2023
                  CodeUri: .
                  Events:
                    Tick:
                      Type: Schedule
                      Properties:
                        Schedule: rate(1 minute)
              Reporter:
                Type: AWS::Serverless::Function
                Properties:
                  Handler: reporter
                  Runtime: provided.al2023
                  CodeUri: .
                  Role: !GetAtt WorkerRole.Arn
            Outputs:
              Rule:
                Value: !GetAtt WorkerTick.Arn
              Permission:
                Value: !Ref WorkerTickPermission
              FunctionArn:
                Value: !Sub "${Worker.Arn} in ${AWS::Region}"
              NotGenerated:
                Value: !GetAtt ReporterRole.Arn
              NotAnAttribute:
                Value: !GetAtt Worker.Name
            """);

        var errors = Validate(template, new SchemaAllowList([]));

        Assert.Equal(
            ["GetAtt: 'ReporterRole' is not a resource of the template", "GetAtt: AWS::Lambda::Function has no attribute 'Name'"],
            errors.Select(e => e[(e.IndexOf("): ", StringComparison.Ordinal) + 3)..]).Select(e => e.Split(';', '(')[0].TrimEnd()).Order(StringComparer.Ordinal));
    }

    private static IReadOnlyList<string> Validate(SamTemplate template, SchemaAllowList allowList) =>
        new TemplateValidator(template, ResourceSchemas.Load(), allowList).Validate();

    private static string ReplaceFirst(string text, string original, string replacement)
    {
        var at = text.IndexOf(original, StringComparison.Ordinal);
        return string.Concat(text.AsSpan(0, at), replacement, text.AsSpan(at + original.Length));
    }
}
