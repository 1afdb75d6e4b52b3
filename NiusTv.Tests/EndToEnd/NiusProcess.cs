using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using NiusTv.Steps.Tools;

namespace NiusTv.Tests.EndToEnd;

/// <summary>Runs the real `nius` executable (the Host build output) as a child process, the way a user does.</summary>
public static class Nius
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string HostDll { get; } = FindHostDll();

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "NiusTv.Actors.sln"))) return dir.FullName;
        throw new InvalidOperationException("cannot find the repository root above " + AppContext.BaseDirectory);
    }

    private static string FindHostDll()
    {
        var local = Path.Combine(AppContext.BaseDirectory, "nius.dll");
        if (File.Exists(local) && File.Exists(Path.Combine(AppContext.BaseDirectory, "nius.runtimeconfig.json"))) return local;
        var config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        return Path.Combine(RepoRoot, "NiusTv.Host", "bin", config, "net10.0", "nius.dll");
    }

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public JsonElement Json => JsonDocument.Parse(Stdout).RootElement.Clone();
    }

    /// <param name="stdin">written to the process and closed, as a pipe feeds it; by default stdin is closed at once.</param>
    public static async Task<Result> RunAsync(IEnumerable<string> args, TimeSpan? timeout = null, string? workingDirectory = null, string? stdin = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        using var p = Start(args, workingDirectory, environment);
        if (stdin is not null) await p.StandardInput.WriteAsync(stdin);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(true);
            throw new TimeoutException($"nius {string.Join(' ', args)} did not finish: {await stderr}");
        }
        return new Result(p.ExitCode, await stdout, await stderr);
    }

    public static Process Start(IEnumerable<string> args, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepoRoot,
        };
        psi.ArgumentList.Add(HostDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NIUSTV_HOME"] = RepoRoot;
        psi.Environment.Remove("NIUSTV_ADMIN_TOKEN");
        psi.Environment.Remove("NIUSTV__Node__AdminToken");
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        return Process.Start(psi)!;
    }
}

/// <summary>A `nius node` process on its own data, out and admin port. Kill() is a hard kill (SIGKILL): nothing
/// gets a chance to flush, as when a machine dies.</summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    public string Admin { get; }
    public string Data { get; }
    public string Out { get; }
    /// <summary>The admin token the node demands, passed on by <see cref="CliAsync"/>; null when it demands none.</summary>
    public string? Token { get; private init; }

    private NodeProcess(Process process, string admin, string data, string @out)
    {
        _process = process;
        Admin = admin;
        Data = data;
        Out = @out;
        process.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Log { get { lock (_log) return _log.ToString(); } }

    public static Task<NodeProcess> StartAsync(string data, string @out, string assets, string? admin = null, params string[] extra) =>
        StartConfiguredAsync(data, @out, assets, admin, null, null, extra);

    /// <param name="token">set as the node's admin token (NIUSTV__Node__AdminToken), as a deployment does.</param>
    /// <param name="environment">more environment variables for the node.</param>
    public static async Task<NodeProcess> StartConfiguredAsync(string data, string @out, string assets, string? admin, string? token,
        IReadOnlyDictionary<string, string>? environment, params string[] extra)
    {
        admin ??= $"127.0.0.1:{LoopbackPorts.Free()}";
        var env = new Dictionary<string, string>(environment ?? new Dictionary<string, string>());
        if (token is not null) env["NIUSTV__Node__AdminToken"] = token;
        var p = Nius.Start(["node", "--data", data, "--out", @out, "--assets", assets, "--admin", admin, .. extra], environment: env);
        var node = new NodeProcess(p, admin, data, @out) { Token = token };
        await node.WaitUntilUpAsync();
        return node;
    }

    public bool HasExited => _process.HasExited;

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token); return true; }
        catch (OperationCanceledException) { return false; }
    }

    private async Task WaitUntilUpAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        if (Token is not null) http.DefaultRequestHeaders.Authorization = new("Bearer", Token);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"nius node exited with {_process.ExitCode}:\n{Log}");
            try
            {
                var body = await http.GetStringAsync($"http://{Admin}/api/node");
                if (JsonDocument.Parse(body).RootElement.GetProperty("status").GetString() == "up") return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException("nius node did not come up:\n" + Log);
    }

    public Task<Nius.Result> CliAsync(params string[] args) =>
        Nius.RunAsync([.. args, "--admin", Admin, .. Token is null ? Array.Empty<string>() : ["--token", Token]]);

    public async Task<JsonElement> ShowAsync(string id)
    {
        var r = await CliAsync("story", "show", id, "--json");
        if (r.ExitCode != 0) throw new InvalidOperationException($"story show {id} failed: {r.Stderr}\n{Log}");
        return r.Json;
    }

    public async Task<JsonElement> WaitForAsync(string id, Func<JsonElement, bool> until, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var story = await ShowAsync(id);
            if (until(story)) return story;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"story {id}: {story}\n{Log}");
            await Task.Delay(300);
        }
    }

    public static bool Finished(JsonElement s) => s.GetProperty("state").GetString() is "completed" or "failed" or "cancelled";

    public int Pid => _process.Id;

    /// <summary>SIGKILL to the node alone, as `kill -9 PID` does: its children are not signalled.</summary>
    public void KillNodeOnly()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit();
    }

    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
