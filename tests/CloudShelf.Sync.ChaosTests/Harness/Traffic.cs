using System.Globalization;
using Amazon.DynamoDBv2.Model;
using CloudShelf.Sync.Testing;
using static CloudShelf.Sync.Testing.Items;

namespace CloudShelf.Sync.ChaosTests.Harness;

/// <summary>
/// Phase 1 traffic through the AWS SDK: puts, updates and deletes over a few overlapping keys per table
/// (so deletes meet later re-inserts and updates meet deletes), seeded so a scenario replays the same
/// writes. E-mail addresses are unique per write: a shared one is a defect, which only the poison
/// scenario plants.
/// </summary>
public sealed class Traffic(ChaosStack stack, int seed)
{
    /// <summary>Keys per table the traffic writes.</summary>
    public const int Keys = 8;

    private readonly Random _random = new(seed);
    private int _writes;

    /// <summary>Writes sent so far.</summary>
    public int Writes => Volatile.Read(ref _writes);

    /// <summary>Sends <paramref name="operations"/> writes, pausing between them so that the traffic overlaps the faults.</summary>
    public async Task RunAsync(int operations, TimeSpan pause, CancellationToken cancellationToken = default)
    {
        for (var i = 0; i < operations && !cancellationToken.IsCancellationRequested; i++)
        {
            await WriteOneAsync(i, cancellationToken);
            Interlocked.Increment(ref _writes);
            if (pause > TimeSpan.Zero) await Task.Delay(pause, cancellationToken);
        }
    }

    private async Task WriteOneAsync(int i, CancellationToken ct)
    {
        var key = _random.Next(Keys);
        var n = i.ToString(CultureInfo.InvariantCulture);
        switch (_random.Next(10))
        {
            case 0 or 1:
                await stack.PutAsync(stack.Books, Book($"book-{key}", price: $"{10 + i % 7}.{i % 100:00}", stock: i % 13, title: $"Title {n}"), ct);
                break;
            case 2:
                await stack.Client.UpdateItemAsync(new UpdateItemRequest
                {
                    TableName = stack.Books,
                    Key = new() { ["bookId"] = new() { S = $"book-{key}" } },
                    UpdateExpression = "SET stock = :s, updatedAt = :u ADD tags :t",
                    ExpressionAttributeValues = new()
                    {
                        [":s"] = new() { N = n },
                        [":u"] = new() { S = $"2026-12-01T10:{i / 60 % 60:00}:{i % 60:00}.000Z" },
                        [":t"] = new() { SS = [$"tag-{i % 3}"] },
                    },
                }, ct);
                break;
            case 3:
                await stack.DeleteAsync(stack.Books, "bookId", $"book-{key}", ct);
                break;
            case 4 or 5:
                var user = User($"user-{key}", $"user-{key}-{n}@example.com");
                user["name"] = S($"Reader {n}");
                await stack.PutAsync(stack.Users, user, ct);
                break;
            case 6:
                await stack.DeleteAsync(stack.Users, "userId", $"user-{key}", ct);
                break;
            case 7 or 8:
                await stack.PutAsync(stack.Orders, Order($"order-{key}", 1 + i % 4, i % 2 == 0 ? "PAID" : "SHIPPED"), ct);
                break;
            default:
                if (_random.Next(2) == 0)
                {
                    await stack.DeleteAsync(stack.Orders, "orderId", $"order-{key}", ct);
                }
                else
                {
                    await stack.Client.UpdateItemAsync(new UpdateItemRequest
                    {
                        TableName = stack.Orders,
                        Key = new() { ["orderId"] = new() { S = $"order-{key}" } },
                        UpdateExpression = "SET #s = :s",
                        ExpressionAttributeNames = new() { ["#s"] = "status" },
                        ExpressionAttributeValues = new() { [":s"] = new() { S = "DELIVERED" } },
                    }, ct);
                }
                break;
        }
    }
}
