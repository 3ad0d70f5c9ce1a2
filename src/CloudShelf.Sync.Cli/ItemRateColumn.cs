using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace CloudShelf.Sync.Cli;

/// <summary>A progress column: items done of the estimate, and items per second.</summary>
internal sealed class ItemRateColumn : ProgressColumn
{
    public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
    {
        var total = task.IsIndeterminate ? "?" : task.MaxValue.ToString("N0", CultureInfo.InvariantCulture);
        var rate = task.Speed is { } speed ? speed.ToString("N0", CultureInfo.InvariantCulture) : "-";
        return new Text(string.Create(CultureInfo.InvariantCulture, $"{task.Value:N0}/{total} items  {rate} items/s"));
    }
}
