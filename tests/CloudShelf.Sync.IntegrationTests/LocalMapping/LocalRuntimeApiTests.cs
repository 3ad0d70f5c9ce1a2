using System.Net.Http.Headers;
using System.Text;
using CloudShelf.Sync.Cli.LocalMapping;

namespace CloudShelf.Sync.IntegrationTests.LocalMapping;

/// <summary>The local Runtime API on its own: what a runtime sees, and that a stop leaves no caller waiting.</summary>
public sealed class LocalRuntimeApiTests
{
    [Fact]
    public async Task A_runtime_takes_the_invocation_with_its_headers_and_its_response_completes_it()
    {
        await using var api = LocalRuntimeApi.Start();
        using var http = new HttpClient { BaseAddress = new Uri($"http://{api.HostAndPort}/2018-06-01/") };
        var deadline = DateTimeOffset.UtcNow.AddMinutes(1);
        var invocation = api.InvokeAsync("{\"Records\":[]}"u8.ToArray(), deadline, CancellationToken.None);

        using var next = await http.GetAsync("runtime/invocation/next");
        var id = next.Headers.GetValues("Lambda-Runtime-Aws-Request-Id").Single();
        Assert.Equal(deadline.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            next.Headers.GetValues("Lambda-Runtime-Deadline-Ms").Single());
        Assert.Equal("{\"Records\":[]}", await next.Content.ReadAsStringAsync());
        using var body = new StringContent("{\"batchItemFailures\":[]}", Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        using var posted = await http.PostAsync($"runtime/invocation/{id}/response", body);

        Assert.Equal(System.Net.HttpStatusCode.Accepted, posted.StatusCode);
        Assert.Equal((true, "{\"batchItemFailures\":[]}"), await invocation);
    }

    // Regression: disposing answered only the invocations a runtime had taken; one still queued waited forever.
    [Fact]
    public async Task Stopping_answers_invocations_no_runtime_took_and_those_one_took_as_failed()
    {
        var api = LocalRuntimeApi.Start();
        using var http = new HttpClient { BaseAddress = new Uri($"http://{api.HostAndPort}/2018-06-01/") };
        var taken = api.InvokeAsync("{}"u8.ToArray(), DateTimeOffset.UtcNow.AddMinutes(1), CancellationToken.None);
        using (await http.GetAsync("runtime/invocation/next")) { }
        var queued = api.InvokeAsync("{}"u8.ToArray(), DateTimeOffset.UtcNow.AddMinutes(1), CancellationToken.None);

        await api.DisposeAsync();

        Assert.False((await taken.WaitAsync(TimeSpan.FromSeconds(30))).Ok);
        Assert.False((await queued.WaitAsync(TimeSpan.FromSeconds(30))).Ok);
        Assert.Equal((false, "The local Runtime API stopped."), await api.InvokeAsync("{}"u8.ToArray(), DateTimeOffset.UtcNow, CancellationToken.None));
    }
}
