using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CloudShelf.Sync.IntegrationTests.Demo;

/// <summary>
/// Debian's <c>chromium</c>, headless, driven over the DevTools protocol: it opens a local page,
/// records console errors, uncaught exceptions and every request for something other than the page's
/// own file, then rasterises each chart's SVG in the page and counts its coloured pixels. The browser
/// runs with a throwaway profile and is killed with its children when the rendering ends.
/// </summary>
public static partial class HeadlessChromium
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    // Runs in the page: each figure.chart's SVG drawn into a canvas at its on-screen size, and the
    // pixels whose channels differ by more than 60 counted (greys, black and white do not).
    private const string MeasureCharts = """
        (async () => {
          const out = [];
          for (const fig of document.querySelectorAll('figure.chart')) {
            const svg = fig.querySelector('svg');
            if (!svg) { out.push({ id: fig.id, width: 0, height: 0, colored: 0 }); continue; }
            const r = svg.getBoundingClientRect();
            const w = Math.round(r.width), h = Math.round(r.height);
            if (w < 1 || h < 1) { out.push({ id: fig.id, width: r.width, height: r.height, colored: 0 }); continue; }
            const url = URL.createObjectURL(new Blob([new XMLSerializer().serializeToString(svg)], { type: 'image/svg+xml' }));
            const img = new Image();
            const loaded = await new Promise(done => { img.onload = () => done(true); img.onerror = () => done(false); img.src = url; });
            let colored = 0;
            if (loaded) {
              const canvas = document.createElement('canvas');
              canvas.width = w; canvas.height = h;
              const g = canvas.getContext('2d');
              g.drawImage(img, 0, 0, w, h);
              const d = g.getImageData(0, 0, w, h).data;
              for (let i = 0; i < d.length; i += 4) {
                if (d[i + 3] > 128 && Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60) colored++;
              }
            }
            URL.revokeObjectURL(url);
            out.push({ id: fig.id, width: r.width, height: r.height, colored });
          }
          return JSON.stringify(out);
        })()
        """;

    /// <summary>Fails with a message naming the fix when Chromium is not installed.</summary>
    public static string Executable()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "chromium");
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException("chromium is not installed: `make deps` (as root) installs Debian's chromium package.");
    }

    public static async Task<PageRendering> RenderAsync(string page, CancellationToken cancellationToken = default)
    {
        var profile = Directory.CreateTempSubdirectory("cloudshelf-chromium-").FullName;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(Limit);
        var startInfo = new ProcessStartInfo(Executable()) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
            "--disable-extensions", "--disable-sync", "--window-size=1400,1000", "--remote-debugging-port=0",
            "--user-data-dir=" + profile, "about:blank",
        }) startInfo.ArgumentList.Add(argument);
        using var browser = Process.Start(startInfo) ?? throw new InvalidOperationException("chromium did not start.");
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stderr = new StringBuilder();
        browser.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr) stderr.AppendLine(e.Data);
            if (DevToolsLine().Match(e.Data) is { Success: true } m) listening.TrySetResult(m.Groups["port"].Value);
        };
        browser.OutputDataReceived += (_, _) => { };
        browser.BeginErrorReadLine();
        browser.BeginOutputReadLine();
        try
        {
            string port;
            try
            {
                port = await listening.Task.WaitAsync(limit.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                lock (stderr) throw new TimeoutException($"chromium did not open its DevTools port:\n{stderr}");
            }
            return await RenderWithAsync(port, Path.GetFullPath(page), limit.Token);
        }
        finally
        {
            if (!browser.HasExited)
            {
                browser.Kill(entireProcessTree: true);
                await browser.WaitForExitAsync(CancellationToken.None);
            }
            try
            {
                Directory.Delete(profile, recursive: true);
            }
            catch (IOException)
            {
                // A crash reporter may still hold a file; the temporary folder is cleaned up later.
            }
        }
    }

    private static async Task<PageRendering> RenderWithAsync(string port, string page, CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        var targets = JsonNode.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/json/list"), cancellationToken))!.AsArray();
        var socketUrl = targets.First(t => (string?)t!["type"] == "page")!["webSocketDebuggerUrl"]!.GetValue<string>();
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(socketUrl), cancellationToken);
        await using var session = new DevToolsSession(socket, cancellationToken);

        var pageUrl = new Uri(page).AbsoluteUri;
        var errors = new ConcurrentQueue<string>();
        var requests = new ConcurrentQueue<string>();
        var loaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        session.Event += (method, parameters) =>
        {
            switch (method)
            {
                case "Runtime.consoleAPICalled" when Text(parameters["type"]) is "error" or "assert":
                    errors.Enqueue("console." + parameters["type"] + ": " + string.Join(' ', parameters["args"]!.AsArray().Select(a => a?["value"]?.ToString() ?? a?["description"]?.ToString())));
                    break;
                case "Runtime.exceptionThrown":
                    var details = parameters["exceptionDetails"]!;
                    errors.Enqueue("uncaught: " + (details["exception"]?["description"]?.ToString() ?? details["text"]?.ToString()));
                    break;
                case "Log.entryAdded" when Text(parameters["entry"]?["level"]) is "error":
                    errors.Enqueue("log: " + parameters["entry"]!["text"] + " " + parameters["entry"]!["url"]);
                    break;
                case "Network.requestWillBeSent":
                    var url = Text(parameters["request"]?["url"]) ?? "";
                    if (url != pageUrl && !url.StartsWith("data:", StringComparison.Ordinal) && !url.StartsWith("blob:", StringComparison.Ordinal)) requests.Enqueue(url);
                    break;
                case "Page.loadEventFired":
                    loaded.TrySetResult();
                    break;
            }
        };
        foreach (var domain in new[] { "Runtime.enable", "Log.enable", "Network.enable", "Page.enable" }) await session.SendAsync(domain, null);
        await session.SendAsync("Page.navigate", new JsonObject { ["url"] = pageUrl });
        await loaded.Task.WaitAsync(cancellationToken);
        var result = await session.SendAsync("Runtime.evaluate", new JsonObject
        {
            ["expression"] = MeasureCharts, ["awaitPromise"] = true, ["returnByValue"] = true,
        });
        if (result["exceptionDetails"] is { } failed) throw new InvalidOperationException("measuring the charts failed: " + failed.ToJsonString());
        var charts = JsonNode.Parse(result["result"]!["value"]!.GetValue<string>())!.AsArray().Select(c => new ChartRendering(
            (string?)c!["id"] ?? "", c["width"]!.GetValue<double>(), c["height"]!.GetValue<double>(), c["colored"]!.GetValue<int>())).ToList();
        // Late console messages of the page's own scripts come in before this round trip returns.
        await session.SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = "0" });
        return new PageRendering([.. errors], [.. requests], charts);
    }

    private static string? Text(JsonNode? node) => node?.GetValueKind() == System.Text.Json.JsonValueKind.String ? node.GetValue<string>() : null;

    [GeneratedRegex(@"DevTools listening on ws://127\.0\.0\.1:(?<port>\d+)/")]
    private static partial Regex DevToolsLine();
}
