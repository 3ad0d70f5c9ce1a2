using Spectre.Console;

namespace CloudShelf.Sync.Cli;

/// <summary>
/// The backfill's progress bar on stderr (items, items/s, ETA) when a person watches it; nothing
/// when stderr is piped or redirected, so logs stay one JSON object per line.
/// </summary>
internal sealed class BackfillProgress : IProgress<int>
{
    private readonly ProgressTask _task;
    private readonly Lock _gate = new();
    private long _items;

    private BackfillProgress(ProgressTask task) => _task = task;

    public static async Task<T> RunAsync<T>(CliContext cli, long estimate, Func<IProgress<int>?, Task<T>> work)
    {
        if (!cli.ErrorIsTerminal) return await work(null);
        var progress = new Progress(cli.Error, cli.Time)
        {
            AutoClear = false,
            HideCompleted = false,
            RefreshRate = TimeSpan.FromMilliseconds(200),
        };
        progress.Columns(new ProgressBarColumn(), new PercentageColumn(), new ItemRateColumn(), new RemainingTimeColumn());
        return await progress.StartAsync(async context =>
        {
            // DescribeTable's ItemCount lags by hours and is 0 for a young table: then the bar has no end to show.
            var task = context.AddTask("backfill", maxValue: Math.Max(estimate, 1));
            task.IsIndeterminate = estimate <= 0;
            var result = await work(new BackfillProgress(task));
            task.Value = task.MaxValue;
            task.StopTask();
            return result;
        });
    }

    public void Report(int value)
    {
        lock (_gate)
        {
            _items += value;
            // The estimate is approximate: grow the bar's end rather than sit at 100 % with work left.
            if (_items > _task.MaxValue) _task.MaxValue = _items;
            _task.Value = _items;
        }
    }
}
