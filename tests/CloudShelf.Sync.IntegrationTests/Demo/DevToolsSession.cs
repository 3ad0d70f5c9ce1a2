using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace CloudShelf.Sync.IntegrationTests.Demo;

/// <summary>One DevTools protocol connection: commands matched to their answers by id, events handed to <see cref="Event"/>.</summary>
internal sealed class DevToolsSession : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly CancellationToken _cancellationToken;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonNode>> _pending = new();
    private readonly Task _receiving;
    private int _nextId;

    public DevToolsSession(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        _socket = socket;
        _cancellationToken = cancellationToken;
        _receiving = Task.Run(ReceiveAsync, CancellationToken.None);
    }

    /// <summary>Method and parameters of each event, on the receiving thread.</summary>
    public event Action<string, JsonNode>? Event;

    /// <summary>Sends a command and returns its <c>result</c>; a protocol error is thrown.</summary>
    public async Task<JsonNode> SendAsync(string method, JsonObject? parameters)
    {
        var id = Interlocked.Increment(ref _nextId);
        var answer = new TaskCompletionSource<JsonNode>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, endOfMessage: true, _cancellationToken);
        return await answer.Task.WaitAsync(_cancellationToken);
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var part = await _socket.ReceiveAsync(buffer, _cancellationToken);
                if (part.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, part.Count);
                if (!part.EndOfMessage) continue;
                var node = JsonNode.Parse(message.ToArray())!;
                message.SetLength(0);
                if (node["id"] is { } id && _pending.TryRemove(id.GetValue<int>(), out var answer))
                {
                    if (node["error"] is { } error) answer.TrySetException(new InvalidOperationException("DevTools: " + error.ToJsonString()));
                    else answer.TrySetResult(node["result"] ?? new JsonObject());
                }
                else if (node["method"] is { } method)
                {
                    Event?.Invoke(method.GetValue<string>(), node["params"] ?? new JsonObject());
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            foreach (var answer in _pending.Values) answer.TrySetException(e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            }
            catch (WebSocketException)
            {
                // The browser may be gone already.
            }
        }
        try
        {
            await _receiving.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            // The socket is abandoned with the browser, which is killed next.
        }
    }
}
