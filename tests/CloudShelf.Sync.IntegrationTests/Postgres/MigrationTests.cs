using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.Postgres;

namespace CloudShelf.Sync.IntegrationTests.Postgres;

[Collection(SyncServerCollection.Name)]
public sealed class MigrationTests(SyncServerFixture fixture)
{
    [Fact]
    public async Task A_second_migration_run_is_a_no_op()
    {
        var connection = await fixture.Server.CreateDatabaseAsync();
        await using var services = SyncDatabase.CreateServices(connection, TextWriter.Null);

        var first = await services.Migrator.MigrateAsync();
        var second = await services.Migrator.MigrateAsync();

        Assert.Equal(SchemaMigrator.Embedded.Select(m => m.Name), first.Select(m => m.Name));
        Assert.Empty(second);
    }

    [Fact]
    public async Task Many_deploys_migrating_at_once_apply_each_migration_exactly_once()
    {
        var connection = await fixture.Server.CreateDatabaseAsync();
        var runs = Enumerable.Range(0, 6).Select(async _ =>
        {
            await using var services = SyncDatabase.CreateServices(connection, TextWriter.Null);
            return await services.Migrator.MigrateAsync();
        });

        var applied = await Task.WhenAll(runs);

        Assert.Equal(SchemaMigrator.Embedded.Count, applied.Sum(a => a.Count));
        await using var check = SyncDatabase.CreateServices(connection, TextWriter.Null);
        await using var command = check.DataSource.CreateCommand("SELECT count(*) FROM cloudshelf_sync.schema_migrations");
        Assert.Equal((long)SchemaMigrator.Embedded.Count, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Every_mapped_column_exists_with_a_matching_type()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        foreach (var table in db.Services.Mapping.Tables)
        {
            var columns = table.Columns.Select(c => (table.Table, c.Column, c.Type))
                .Concat(table.Children.SelectMany(ch => ch.Columns.Select(c => (ch.Table, c.Column, c.Type))));
            foreach (var (name, column, type) in columns)
            {
                await using var command = db.Services.DataSource.CreateCommand(
                    "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2");
                command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = $"{table.Schema}.{name}" });
                command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = column });
                var actual = (string?)await command.ExecuteScalarAsync();
                var wanted = type switch
                {
                    Mapping.ColumnType.Text => "text",
                    Mapping.ColumnType.Numeric => "numeric",
                    Mapping.ColumnType.Integer => "integer",
                    Mapping.ColumnType.Boolean => "boolean",
                    Mapping.ColumnType.Date => "date",
                    Mapping.ColumnType.Timestamp => "timestamp with time zone",
                    Mapping.ColumnType.TextArray => "text[]",
                    Mapping.ColumnType.Json => "jsonb",
                    _ => "?",
                };
                Assert.True(wanted == actual, $"{name}.{column}: mapping says {wanted}, schema has {actual ?? "no column"}");
            }
        }
    }

    private static int BuildVersion => SchemaMigrator.Embedded[^1].Version;

    private static Migration Next(string header, string sql) =>
        new(BuildVersion + 1, $"{BuildVersion + 1:0000}_next_release.sql", header + sql);

    [Fact]
    public async Task Each_migration_records_the_oldest_build_it_tolerates()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        var contract = Next($"{Migration.CompatibilityMarker} {BuildVersion}\n", "ALTER TABLE cloudshelf.books DROP COLUMN description;\n");

        await new SchemaMigrator(db.Services.DataSource, [.. SchemaMigrator.Embedded, contract]).MigrateAsync();

        Assert.Equal(0, await db.ScalarAsync<int>("SELECT max(compatible_with_builds_from) FROM cloudshelf_sync.schema_migrations WHERE version <= " + BuildVersion));
        Assert.Equal(BuildVersion, await db.ScalarAsync<int>("SELECT compatible_with_builds_from FROM cloudshelf_sync.schema_migrations WHERE version = " + (BuildVersion + 1)));
        Assert.Equal(SchemaStatus.NewerCompatible, (await db.Services.Migrator.CheckAsync()).Status);
    }

    [Fact]
    public async Task An_older_build_migrating_a_newer_compatible_schema_applies_nothing_and_succeeds()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await new SchemaMigrator(db.Services.DataSource, [.. SchemaMigrator.Embedded, Next("", "ALTER TABLE cloudshelf.books ADD COLUMN subtitle text;\n")])
            .MigrateAsync();

        var applied = await db.Services.Migrator.MigrateAsync();

        Assert.Empty(applied);
        var schema = await db.Services.Migrator.EnsureCompatibleAsync();
        Assert.Equal((SchemaStatus.NewerCompatible, BuildVersion + 1, BuildVersion), (schema.Status, schema.DatabaseVersion, schema.BuildVersion));
    }

    [Fact]
    public async Task An_older_build_migrating_past_a_contract_migration_is_refused_naming_both_versions()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await new SchemaMigrator(db.Services.DataSource,
            [.. SchemaMigrator.Embedded, Next($"{Migration.CompatibilityMarker} {BuildVersion + 1}\n", "ALTER TABLE cloudshelf.books DROP COLUMN description;\n")])
            .MigrateAsync();

        var migrate = await Assert.ThrowsAsync<SchemaMismatchException>(() => db.Services.Migrator.MigrateAsync());
        var start = await Assert.ThrowsAsync<SchemaMismatchException>(() => db.Services.Migrator.EnsureCompatibleAsync());

        Assert.Equal(SchemaStatus.Incompatible, migrate.Compatibility.Status);
        Assert.Equal(migrate.Message, start.Message);
        Assert.Contains($"schema is at version {BuildVersion + 1}", start.Message, StringComparison.Ordinal);
        Assert.Contains($"this build is at version {BuildVersion}", start.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_never_migrated_is_too_old_and_the_check_creates_nothing()
    {
        var connection = await fixture.Server.CreateDatabaseAsync();
        await using var services = SyncDatabase.CreateServices(connection, TextWriter.Null);

        var error = await Assert.ThrowsAsync<SchemaMismatchException>(() => services.Migrator.EnsureCompatibleAsync());

        Assert.Equal((SchemaStatus.TooOld, 0), (error.Compatibility.Status, error.Compatibility.DatabaseVersion));
        await using var command = services.DataSource.CreateCommand("SELECT to_regnamespace('cloudshelf_sync') IS NULL");
        Assert.Equal(true, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task The_check_reads_a_migrations_table_written_before_builds_recorded_compatibility()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await using (var drop = db.Services.DataSource.CreateCommand("ALTER TABLE cloudshelf_sync.schema_migrations DROP COLUMN compatible_with_builds_from"))
            await drop.ExecuteNonQueryAsync();

        Assert.Equal(SchemaStatus.Current, (await db.Services.Migrator.EnsureCompatibleAsync()).Status);
        Assert.Empty(await db.Services.Migrator.MigrateAsync());
        Assert.Equal(0, await db.ScalarAsync<int>("SELECT max(compatible_with_builds_from) FROM cloudshelf_sync.schema_migrations"));
    }

    [Fact]
    public async Task The_functions_check_the_schema_and_sync_with_only_DML_rights()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        var role = "sync_dml_" + Guid.NewGuid().ToString("N")[..12];
        await using (var grant = db.Services.DataSource.CreateCommand($"""
            CREATE ROLE {role} LOGIN;
            GRANT USAGE ON SCHEMA cloudshelf, cloudshelf_sync TO {role};
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA cloudshelf, cloudshelf_sync TO {role};
            GRANT USAGE ON ALL SEQUENCES IN SCHEMA cloudshelf, cloudshelf_sync TO {role};
            """))
            await grant.ExecuteNonQueryAsync();
        var asFunction = new Npgsql.NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = role }.ConnectionString;
        try
        {
            await using var services = SyncDatabase.CreateServices(asFunction, TextWriter.Null);
            Assert.Equal(SchemaStatus.Current, (await services.Migrator.EnsureCompatibleAsync()).Status);
            var response = await services.StreamSync.HandleAsync(
                await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "events", "mixed-batch.json")), CancellationToken.None);

            Assert.Equal("{\"batchItemFailures\":[]}", System.Text.Encoding.UTF8.GetString(response));
            Assert.True(await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.books") > 0);
            await Assert.ThrowsAsync<Npgsql.PostgresException>(() => services.Migrator.MigrateAsync());
        }
        finally
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await using var drop = db.Services.DataSource.CreateCommand($"DROP OWNED BY {role}; DROP ROLE {role}");
            await drop.ExecuteNonQueryAsync();
        }
    }
}
