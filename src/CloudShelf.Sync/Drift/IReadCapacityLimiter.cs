namespace CloudShelf.Sync.Drift;

/// <summary>Keeps the read capacity consumed under a rate: called after each read with what it consumed.</summary>
public interface IReadCapacityLimiter
{
    /// <summary>Accounts for <paramref name="units"/> read capacity units and waits as long as the rate requires.</summary>
    Task WaitAsync(double units, CancellationToken cancellationToken);
}
