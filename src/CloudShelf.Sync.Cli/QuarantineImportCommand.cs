using System.CommandLine;
using System.Text.Json;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.OnFailure;

namespace CloudShelf.Sync.Cli;

/// <summary>
/// <c>quarantine import (--s3 s3://bucket/prefix | --dir PATH) [--json]</c>: loads the batches the event
/// source mappings gave up on (their on-failure records, which hold the batch) into the quarantine, so
/// that <c>quarantine replay</c> applies them even after the stream has dropped them.
/// </summary>
internal static class QuarantineImportCommand
{
    public static Command Create(CliContext cli)
    {
        var s3 = new Option<string>("--s3") { Description = "The on-failure destination's bucket and prefix", HelpName = "s3://bucket/prefix" };
        var dir = new Option<string>("--dir") { Description = "A directory of on-failure records (the local mapping's folder)", HelpName = "PATH" };
        var json = CliOptions.Json();
        var command = new Command("import", "Quarantine the batches of on-failure records (the mappings' destination), so that replay applies them")
        {
            s3, dir, json,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(cli, parse.GetValue(s3), parse.GetValue(dir), parse.GetValue(json), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliContext cli, string? s3Uri, string? directory, bool json, CancellationToken cancellationToken)
    {
        var console = cli.Console;
        if ((s3Uri is null) == (directory is null))
            throw new UsageException("quarantine import needs either --s3 s3://bucket/prefix or --dir PATH.");
        (string Bucket, string Prefix)? s3Location = null;
        if (s3Uri is not null)
        {
            try
            {
                s3Location = S3OnFailureRecordSource.ParseUri(s3Uri);
            }
            catch (FormatException e)
            {
                throw new UsageException($"--s3: {e.Message}");
            }
        }
        if (directory is not null && !Directory.Exists(directory))
            throw new UsageException($"--dir: '{directory}' is not a directory.");

        await using var services = await cli.StartAsync("quarantine", cancellationToken);
        await services.Migrator.EnsureCompatibleAsync(cancellationToken);
        using var s3 = s3Location is null ? null : CreateS3Client(services.Settings);
        IOnFailureRecordSource source = s3Location is { } location
            ? new S3OnFailureRecordSource(s3!, location.Bucket, location.Prefix)
            : new DirectoryOnFailureRecordSource(directory!);

        OnFailureImportResult result;
        try
        {
            result = await new OnFailureImporter(services.Mapping, services.DataSource).ImportAsync(source, cancellationToken);
        }
        catch (FormatException e)
        {
            console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.CannotRun;
        }
        catch (AmazonServiceException e)
        {
            console.Error.WriteLine($"error: cannot read {s3Uri}: {e.Message}");
            return ExitCodes.CannotRun;
        }

        if (json)
        {
            console.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, int>
            {
                ["files"] = result.Files,
                ["records"] = result.Records,
                ["quarantined"] = result.Quarantined,
                ["alreadyQuarantined"] = result.Records - result.Skipped - result.Quarantined,
                ["skipped"] = result.Skipped,
            }, CliJsonContext.Default.DictionaryStringInt32));
        }
        else
        {
            console.Out.WriteLine(
                $"imported {result.Files} on-failure record(s), {result.Records} stream record(s): {result.Quarantined} quarantined, " +
                $"{result.Records - result.Skipped - result.Quarantined} already quarantined, {result.Skipped} skipped (tables not synced)");
            if (result.Quarantined > 0) console.Out.WriteLine("next: cloudshelf-sync quarantine replay --all-open");
        }
        return ExitCodes.Ok;
    }

    private static AmazonS3Client CreateS3Client(SyncSettings settings) =>
        new(new AmazonS3Config { RegionEndpoint = RegionEndpoint.GetBySystemName(settings.Region) });
}
