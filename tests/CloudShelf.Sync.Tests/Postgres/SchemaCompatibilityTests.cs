using CloudShelf.Sync.Postgres;

namespace CloudShelf.Sync.Tests.Postgres;

public sealed class SchemaCompatibilityTests
{
    private static Migration Expand(int version) => new(version, $"{version:0000}_expand.sql", $"ALTER TABLE t ADD COLUMN c{version} text;\n");

    private static Migration Contract(int version, int from) =>
        new(version, $"{version:0000}_contract.sql", $"{Migration.CompatibilityMarker} {from}\nALTER TABLE t DROP COLUMN c{from - 1};\n");

    private static AppliedMigration Applied(Migration migration) =>
        new(migration.Version, migration.Name, migration.Checksum, migration.CompatibleWithBuildsFrom);

    private static readonly Migration[] Build = [Expand(1), Expand(2), Expand(3)];

    [Fact]
    public void A_schema_with_exactly_the_builds_migrations_is_current()
    {
        var result = SchemaCompatibility.Evaluate(Build, Build.Select(Applied).ToList());

        Assert.Equal((SchemaStatus.Current, 3, 3, true), (result.Status, result.DatabaseVersion, result.BuildVersion, result.CanRun));
    }

    [Fact]
    public void A_schema_ahead_by_expand_migrations_only_lets_the_older_build_run()
    {
        var result = SchemaCompatibility.Evaluate(Build, [.. Build.Select(Applied), Applied(Expand(4)), Applied(Expand(5))]);

        Assert.Equal((SchemaStatus.NewerCompatible, 5, 3, true), (result.Status, result.DatabaseVersion, result.BuildVersion, result.CanRun));
    }

    [Fact]
    public void A_contract_migration_that_names_this_build_or_an_older_one_lets_it_run()
    {
        var result = SchemaCompatibility.Evaluate(Build, [.. Build.Select(Applied), Applied(Contract(4, 3))]);

        Assert.Equal(SchemaStatus.NewerCompatible, result.Status);
    }

    [Fact]
    public void A_contract_migration_for_newer_builds_refuses_this_one_naming_both_versions_and_the_migration()
    {
        var result = SchemaCompatibility.Evaluate(Build, [.. Build.Select(Applied), Applied(Expand(4)), Applied(Contract(5, 4))]);

        Assert.Equal((SchemaStatus.Incompatible, false), (result.Status, result.CanRun));
        Assert.Contains("schema is at version 5", result.Message, StringComparison.Ordinal);
        Assert.Contains("this build is at version 3", result.Message, StringComparison.Ordinal);
        Assert.Contains("0005_contract.sql works only with builds from version 4 on", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_schema_missing_a_migration_of_the_build_is_too_old_and_names_what_is_missing()
    {
        var result = SchemaCompatibility.Evaluate(Build, [Applied(Build[0])]);

        Assert.Equal((SchemaStatus.TooOld, 1, false), (result.Status, result.DatabaseVersion, result.CanRun));
        Assert.Contains("0002_expand.sql, 0003_expand.sql not applied", result.Message, StringComparison.Ordinal);
        Assert.Contains("cloudshelf-sync migrate", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_database_without_migrations_is_too_old_at_version_0()
    {
        var result = SchemaCompatibility.Evaluate(Build, []);

        Assert.Equal((SchemaStatus.TooOld, 0), (result.Status, result.DatabaseVersion));
        Assert.Contains("schema is at version 0", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_known_migration_applied_from_another_script_is_refused_as_edited()
    {
        var edited = Applied(Build[1]) with { Checksum = "0000" };

        var result = SchemaCompatibility.Evaluate(Build, [Applied(Build[0]), edited, Applied(Build[2])]);

        Assert.Equal(SchemaStatus.Edited, result.Status);
        Assert.Contains("0002_expand.sql was changed after it was applied", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_migration_older_than_the_build_is_judged_by_its_marker_like_a_newer_one()
    {
        // Migrations merged from parallel branches can be applied out of number order.
        var result = SchemaCompatibility.Evaluate([Expand(1), Expand(3)], [Applied(Expand(1)), Applied(Contract(2, 2)), Applied(Expand(3))]);

        Assert.Equal(SchemaStatus.NewerCompatible, result.Status);
    }

    [Fact]
    public void A_migration_without_a_marker_is_an_expand_step()
    {
        Assert.Equal(0, Expand(7).CompatibleWithBuildsFrom);
    }

    [Fact]
    public void The_marker_in_the_leading_comment_makes_a_contract_step()
    {
        var migration = new Migration(7, "0007_drop.sql", "-- Drops books.legacy, unused since 0006.\n--   compatible-with-builds-from: 6\n\nALTER TABLE b DROP COLUMN legacy;\n");

        Assert.Equal(6, migration.CompatibleWithBuildsFrom);
    }

    [Fact]
    public void A_marker_after_the_first_statement_does_not_count()
    {
        var migration = new Migration(7, "0007_x.sql", "ALTER TABLE b ADD COLUMN x text;\n-- compatible-with-builds-from: 7\n");

        Assert.Equal(0, migration.CompatibleWithBuildsFrom);
    }

    [Theory]
    [InlineData("-- compatible-with-builds-from: 8")]
    [InlineData("-- compatible-with-builds-from: 0")]
    [InlineData("-- compatible-with-builds-from: soon")]
    public void A_marker_that_names_no_version_up_to_its_own_is_refused_naming_the_file(string marker)
    {
        var error = Assert.Throws<InvalidOperationException>(() => new Migration(7, "0007_x.sql", marker + "\nSELECT 1;\n"));

        Assert.Contains("0007_x.sql", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_shipped_migration_reads_with_a_valid_marker()
    {
        Assert.NotEmpty(SchemaMigrator.Embedded);
        Assert.All(SchemaMigrator.Embedded, m => Assert.InRange(m.CompatibleWithBuildsFrom, 0, m.Version));
    }
}
