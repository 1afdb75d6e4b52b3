using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using NiusTv.Steps.Tools;

namespace NiusTv.Host.Node;

/// <summary>A throwaway PostgreSQL server for multi-node tests and `nius bench cluster`: initdb into a temp folder,
/// started on a free loopback port with its socket in that folder, stopped and deleted at the end. Each cluster takes
/// its own database, because two clusters sharing one journal would look like split brain (two live copies of one
/// entity).</summary>
public sealed class ThrowawayPostgres : IAsyncDisposable
{
    private const string User = "nius";
    private readonly string _dir = Directory.CreateTempSubdirectory("nius-pg-").FullName;
    private int _databases;

    public int Port { get; } = LoopbackPorts.Free();

    private string Data => Path.Combine(_dir, "data");

    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = User, Database = database, Pooling = true }.ConnectionString;

    public async Task StartAsync()
    {
        var bin = FindBinaries();
        // PostgreSQL refuses to run as root: in CI containers the tests do, so the server runs as the postgres user.
        if (Environment.UserName == "root") Run("chown", ["-R", "postgres:postgres", _dir]);
        RunAsServerUser(Path.Combine(bin, "initdb"), ["-D", Data, "-U", User, "--auth=trust", "-E", "UTF8", "--no-sync"]);
        await ResumeAsync();
    }

    /// <summary>Stops the server, keeping its data: for tests of what a node does while its journal is down.</summary>
    public void Stop()
    {
        RunAsServerUser(Path.Combine(FindBinaries(), "pg_ctl"), ["-D", Data, "-m", "fast", "-w", "stop"]);
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>Starts the server (again) on the same port and data.</summary>
    public async Task ResumeAsync()
    {
        RunAsServerUser(Path.Combine(FindBinaries(), "pg_ctl"), ["-D", Data, "-l", Path.Combine(_dir, "server.log"), "-w", "-t", "60",
            "-o", $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start"]);
        await using var db = new NpgsqlConnection(ConnectionString("postgres"));
        await db.OpenAsync();
    }

    /// <summary>A fresh, empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"nius_{Interlocked.Increment(ref _databases)}";
        await using var db = new NpgsqlConnection(ConnectionString("postgres"));
        await db.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", db);
        await cmd.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try { RunAsServerUser(Path.Combine(FindBinaries(), "pg_ctl"), ["-D", Data, "-m", "immediate", "stop"]); }
        catch (InvalidOperationException) { } // already gone; the folder still goes
        try { Directory.Delete(_dir, true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }

    private static string FindBinaries()
    {
        var root = "/usr/lib/postgresql";
        var bin = Directory.Exists(root)
            ? Directory.GetDirectories(root).Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => d, StringComparer.Ordinal).FirstOrDefault()
            : null;
        return bin ?? throw new InvalidOperationException("PostgreSQL server binaries not found under /usr/lib/postgresql: run scripts/setup");
    }

    private static void RunAsServerUser(string file, IReadOnlyList<string> args)
    {
        if (Environment.UserName == "root") Run("runuser", ["-u", "postgres", "--", file, .. args]);
        else Run(file, args);
    }

    private static void Run(string file, IReadOnlyList<string> args)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = "/" };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = ToolProcess.Start(info);
        var stdout = p.StdoutText.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {p.ExitCode}: {p.StderrTail}{stdout}");
    }
}
