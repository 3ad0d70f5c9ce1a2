using System.Globalization;
using CloudShelf.Sync.Postgres;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace CloudShelf.Sync.Cli;

/// <summary>
/// <c>quarantine list</c> for people. Piped or redirected: plain columns, one record per line, for
/// grep. On a terminal wide enough for the columns: a boxed table. On a narrower one: one block per
/// record, since eight columns squeezed into 80 would wrap every value into a tower of fragments.
/// </summary>
internal static class QuarantineTable
{
    /// <summary>Below this the fixed columns (id, table, event, time, status) leave too little room for key, sequence and reason.</summary>
    private const int TableWidth = 140;

    private static readonly string[] Headers = ["ID", "TABLE", "KEY", "EVENT", "SEQUENCE", "QUARANTINED (UTC)", "STATUS", "REASON"];

    public static void Write(CliContext cli, IReadOnlyList<QuarantinedRecord> records)
    {
        if (records.Count == 0)
        {
            cli.Out.WriteLine("no quarantined records");
            return;
        }
        if (cli.OutIsTerminal && cli.Out.Profile.Width < TableWidth)
        {
            foreach (var record in records) cli.Out.Write(Block(record));
        }
        else
        {
            var table = new Table { Border = cli.OutIsTerminal ? TableBorder.Rounded : TableBorder.None };
            foreach (var header in Headers)
                table.AddColumn(new TableColumn(new Text(header, new Style(decoration: Decoration.Bold))) { NoWrap = header != "REASON" });
            foreach (var r in records)
                table.AddRow(new Text(Id(r)), new Text(Table(r)), new Text(r.Key ?? "-"), new Text(r.EventName ?? "-"),
                    new Text(r.SequenceNumber ?? "-"), new Text(Time(r)), Status(r), new Text(r.Reason));
            cli.Out.Write(table);
        }
        cli.Out.WriteLine($"{records.Count} record(s)");
    }

    private static IRenderable Block(QuarantinedRecord r)
    {
        var grid = new Grid().AddColumn(new GridColumn { NoWrap = true, Padding = new Padding(2, 0, 2, 0) }).AddColumn();
        grid.AddRow(new Text("key"), new Text(r.Key ?? "-"));
        grid.AddRow(new Text("event"), new Text($"{r.EventName ?? "-"} at sequence {r.SequenceNumber ?? "-"}"));
        grid.AddRow(new Text("quarantined"), new Text(Time(r) + " UTC"));
        grid.AddRow(new Text("reason"), new Text(r.Reason));
        var title = new Rule($"[bold]#{Markup.Escape(Id(r))}[/] {Markup.Escape(Table(r))} {(r.ResolvedAt is null ? "[yellow]open[/]" : $"[green]{Markup.Escape(r.Resolution ?? "resolved")}[/]")}")
        {
            Justification = Justify.Left,
        };
        return new Rows(title, grid, Text.Empty);
    }

    private static string Id(QuarantinedRecord r) => r.Id.ToString(CultureInfo.InvariantCulture);

    private static string Table(QuarantinedRecord r) => r.TargetTable ?? r.SourceTable ?? "-";

    private static string Time(QuarantinedRecord r) => r.QuarantinedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static Text Status(QuarantinedRecord r) =>
        r.ResolvedAt is null ? new Text("open", new Style(Color.Yellow)) : new Text(r.Resolution ?? "resolved", new Style(Color.Green));
}
