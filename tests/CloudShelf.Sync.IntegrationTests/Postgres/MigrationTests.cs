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
    public async Task Many_cold_starts_migrating_at_once_apply_each_migration_exactly_once()
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
}
