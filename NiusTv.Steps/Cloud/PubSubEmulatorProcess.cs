using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NiusTv.Steps.Tools;

namespace NiusTv.Steps.Cloud;

/// <summary>The real Pub/Sub emulator (`gcloud beta emulators pubsub start`) on a free loopback port, killed with
/// its Java child on dispose: for the tests and for `nius bench ingest`, which need a Pub/Sub that runs here.</summary>
public sealed class PubSubEmulatorProcess : IAsyncDisposable
{
    private ToolProcess? _process;

    public string HostPort { get; private set; } = "";

    /// <summary>A client for a project of its own, so users of one emulator never see each other's messages.</summary>
    public PubSubRestClient Client(string project) => new(new Uri($"http://{HostPort}/"), project, GoogleAccessTokens.None);

    public static async Task<PubSubEmulatorProcess> StartAsync(CancellationToken ct = default)
    {
        var emulator = new PubSubEmulatorProcess();
        try
        {
            await emulator.StartProcessAsync(ct);
            return emulator;
        }
        catch
        {
            await emulator.DisposeAsync();
            throw;
        }
    }

    private async Task StartProcessAsync(CancellationToken ct)
    {
        if (!File.Exists("/usr/bin/gcloud") && FindOnPath("gcloud") is null)
            throw new InvalidOperationException("the Pub/Sub emulator is needed: install google-cloud-cli and google-cloud-cli-pubsub-emulator (gcloud beta emulators pubsub)");
        for (var attempt = 0; ; attempt++)
        {
            // Another process can take the port between our probe and the emulator's bind: try a few.
            HostPort = $"127.0.0.1:{LoopbackPorts.Free()}";
            var psi = new ProcessStartInfo("gcloud");
            foreach (var a in new[] { "beta", "emulators", "pubsub", "start", $"--host-port={HostPort}", "--project=demo", "--quiet" })
                psi.ArgumentList.Add(a);
            _process = ToolProcess.Start(psi, ToolStdout.Tail);
            if (await WaitReadyAsync(TimeSpan.FromSeconds(30), ct)) return;
            var log = _process.StderrTail;
            Kill();
            if (attempt == 2)
                throw new InvalidOperationException($"the Pub/Sub emulator did not answer on {HostPort} within 30 s:\n{log}");
        }
    }

    private async Task<bool> WaitReadyAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !_process!.HasExited)
        {
            try
            {
                if ((await http.GetStringAsync($"http://{HostPort}/", ct)).Trim() == "Ok") return true;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested) { }
            await Task.Delay(200, ct);
        }
        return false;
    }

    private void Kill()
    {
        _process?.Dispose();
        _process = null;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        return ValueTask.CompletedTask;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

}
