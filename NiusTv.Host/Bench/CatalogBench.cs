using System.Collections.Immutable;
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Akka.Actor;
using Akka.Persistence;
using NiusTv.Actors.Stories;
using NiusTv.Host.Cli;
using NiusTv.Host.Node;
using NiusTv.Steps;
using NiusTv.Steps.Stories;
using NiusTv.Steps.Tools;
using Spectre.Console;

namespace NiusTv.Host.Bench;

/// <summary>`nius bench catalog`: how a node's story list scales with the journal. It writes a synthetic journal of N
/// finished stories (each with the events a real run journals) on a node that folds them into its story list, as a
/// live node's lists and scrapes do, then restarts the node on the same data directory and times the first page of
/// <c>/api/stories</c> and then repeated ones, and the CPU the node uses while idle.</summary>
public static class CatalogBench
{
    /// <param name="FoldSeconds">the first fold of the whole journal (no checkpoint yet), which a node pays once per data directory.</param>
    public sealed record Report(string Machine, int Cores, int Stories, long Events, double WriteSeconds, double FoldSeconds, double FirstListMs,
        double ListP50Ms, double ListP99Ms, int Lists, int PageSize, double IdleSeconds, double IdleCpuPercent);

    public static Command Command()
    {
        var stories = new Option<int>("--stories") { Description = "stories in the synthetic journal (default 20000)", DefaultValueFactory = _ => 20000 };
        var idle = new Option<int>("--idle-seconds") { Description = "how long the node is left idle for the CPU figure (default 30)", DefaultValueFactory = _ => 30 };
        var cmd = new Command("catalog", "list latency (first page, p50/p99) and idle CPU of a node over a synthetic journal of N stories")
            { stories, idle, CommonOptions.Json };
        cmd.SetAction(async (r, ct) =>
        {
            var json = r.GetValue(CommonOptions.Json);
            var count = r.GetValue(stories);
            var idleSeconds = r.GetValue(idle);
            if (count < 1) throw new CliException("--stories: give at least 1", 2);
            if (idleSeconds < 1) throw new CliException("--idle-seconds: give at least 1", 2);
            var say = json ? (Action<string>)(_ => { }) : line => Console.Error.WriteLine("bench: " + line);
            var scratch = Directory.CreateTempSubdirectory("nius-bench-catalog-");
            try
            {
                NodeSettings Settings() => new()
                {
                    DataDir = Path.Combine(scratch.FullName, "data"), Out = Path.Combine(scratch.FullName, "out"),
                    Admin = $"127.0.0.1:{LoopbackPorts.Free()}",
                };

                // 1. The journal, written by a node of its own, through the journal plugin like the stories do.
                var write = Stopwatch.StartNew();
                long events;
                double writeSeconds, foldSeconds;
                await using (var writer = NodeHost.Build(Settings(), LogLevel.Warning))
                {
                    await writer.StartAsync(ct);
                    events = await WriteJournalAsync(writer.Services.GetRequiredService<ActorSystem>(), count, say, ct);
                    writeSeconds = write.Elapsed.TotalSeconds;
                    say($"{count} stories, {events} events written in {writeSeconds:0.0} s; folding them into the story list…");
                    var fold = Stopwatch.StartNew();
                    await writer.Services.GetRequiredService<StoryCatalog>().ListAsync(ct);
                    foldSeconds = fold.Elapsed.TotalSeconds;
                    say($"folded in {foldSeconds:0.0} s; restarting the node");
                    await writer.StopAsync(CancellationToken.None);
                }

                // 2. The node restarted on that journal and its data directory: the first page, then repeated pages.
                var settings = Settings();
                await using var app = NodeHost.Build(settings, LogLevel.Warning);
                await app.StartAsync(ct);
                using var client = new AdminClient(settings.Admin, null);
                await NodeVerbs.WaitUntilUp(client, ct);
                const int pageSize = 50;
                var clock = Stopwatch.StartNew();
                var first = await client.GetAsync($"api/stories?limit={pageSize}", ct);
                var firstMs = clock.Elapsed.TotalMilliseconds;
                if (!first.Ok || first.As<List<StorySummary>>().Count != Math.Min(pageSize, count)) throw new CliException("the first page was not a page: " + first.ErrorText);
                var times = new List<double>();
                const int lists = 100;
                for (var i = 0; i < lists; i++)
                {
                    clock.Restart();
                    var page = await client.GetAsync($"api/stories?limit={pageSize}", ct);
                    times.Add(clock.Elapsed.TotalMilliseconds);
                    if (!page.Ok) throw new CliException("a page failed: " + page.ErrorText);
                }
                times.Sort();
                say($"first page {firstMs:0} ms; then p50 {Percentile(times, 0.5):0.0} ms, p99 {Percentile(times, 0.99):0.0} ms");

                // 3. Idle: what the node's own timers and tasks cost, with nobody asking anything. The runtime first
                // finishes recompiling the code the lists made hot (its tiered JIT, once per process): that is warm-up,
                // not what the node costs while it idles. Code that runs once a second (cluster heartbeats, load
                // reports) reaches its last tier only after a minute or more, in small batches a few seconds apart,
                // so the JIT counts as settled after 10 s without a compile, not 3.
                var settled = await JitSettledAsync(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(180), ct);
                say($"the runtime's JIT settled after {settled.TotalSeconds:0.0} s; idle for {idleSeconds} s…");
                var process = Process.GetCurrentProcess();
                process.Refresh();
                var cpuBefore = process.TotalProcessorTime;
                var wall = Stopwatch.StartNew();
                await Task.Delay(TimeSpan.FromSeconds(idleSeconds), ct);
                process.Refresh();
                var idleWall = wall.Elapsed.TotalSeconds;
                var idleCpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds / idleWall * 100;
                await app.StopAsync(CancellationToken.None);

                var report = new Report(Environment.MachineName, Environment.ProcessorCount, count, events, Math.Round(writeSeconds, 1),
                    Math.Round(foldSeconds, 1), Math.Round(firstMs, 1), Math.Round(Percentile(times, 0.5), 2), Math.Round(Percentile(times, 0.99), 2), lists, pageSize,
                    Math.Round(idleWall, 1), Math.Round(idleCpu, 2));
                if (json) Console.WriteLine(JsonSerializer.Serialize(report, NodeHost.Json));
                else
                {
                    var table = new Table().AddColumns("stories", "events", "first page", "p50", "p99", "idle CPU (of one core)");
                    table.AddRow(count.ToString(), events.ToString(), $"{report.FirstListMs:0} ms", $"{report.ListP50Ms:0.0} ms",
                        $"{report.ListP99Ms:0.0} ms", $"{report.IdleCpuPercent:0.00} %");
                    AnsiConsole.Write(table);
                }
                return 0;
            }
            finally
            {
                try { scratch.Delete(recursive: true); } catch (IOException) { }
            }
        });
        return cmd;
    }

    /// <summary>Waits until the JIT has compiled nothing for <paramref name="quiet"/> (at most <paramref name="limit"/>);
    /// returns how long that took.</summary>
    private static async Task<TimeSpan> JitSettledAsync(TimeSpan quiet, TimeSpan limit, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var count = System.Runtime.JitInfo.GetCompiledMethodCount();
        var since = clock.Elapsed;
        while (clock.Elapsed - since < quiet && clock.Elapsed < limit)
        {
            await Task.Delay(250, ct);
            var now = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (now != count) (count, since) = (now, clock.Elapsed);
        }
        return clock.Elapsed;
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>Each story as a real run journals it: accepted, every step started and completed, completed. Written in
    /// batches straight to the journal plugin, which is what a persistent actor's Persist does underneath.</summary>
    private static async Task<long> WriteJournalAsync(ActorSystem system, int count, Action<string> say, CancellationToken ct)
    {
        var journal = Persistence.Instance.Apply(system).JournalFor(null);
        var inbox = Inbox.Create(system);
        var pipeline = NodeSteps.Pipeline.StepNames;
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var writer = Guid.NewGuid().ToString();
        long events = 0;
        const int batch = 50; // 800 write confirmations per batch: the inbox that waits for them holds 1,000
        for (var from = 0; from < count; from += batch)
        {
            var writes = new List<IPersistentEnvelope>();
            for (var i = from; i < Math.Min(count, from + batch); i++)
            {
                var id = $"bench-{i:000000}";
                var at = start.AddMinutes(i);
                var story = new Story(id, $"Bench story {i}", [$"Story {i} of the catalog bench has one paragraph of ordinary news text."], [],
                    "default", "default", StoryPriority.Normal, StoryOutput.LocalDefault);
                var storyEvents = new List<IStoryEvent>
                {
                    new StoryEvents.Accepted(id, 1, story.ToCanonicalJson(), story.ContentHash(), pipeline, at),
                };
                foreach (var step in pipeline)
                {
                    storyEvents.Add(new StoryEvents.StepStarted(id, 1, step, 1, "bench:1", at));
                    storyEvents.Add(new StoryEvents.StepCompleted(id, 1, step, 1, "bench", [new ArtifactRecord(step + ".out", step + ".out", "00", 1)], at));
                }
                storyEvents.Add(new StoryEvents.Completed(id, 1, $"/out/videos/{id}.mp4", $"/out/videos/{id}.jpg", at));
                var persistenceId = StoryCatalog.PersistenceIdPrefix + id;
                writes.Add(new AtomicWrite(storyEvents.Select((e, n) => (IPersistentRepresentation)new Persistent(e, n + 1, persistenceId,
                    "", false, ActorRefs.NoSender, writer)).ToImmutableList()));
                events += storyEvents.Count;
            }
            journal.Tell(new WriteMessages(writes, inbox.Receiver, 1), inbox.Receiver);
            while (true)
            {
                var reply = await inbox.ReceiveAsync(TimeSpan.FromMinutes(2));
                if (reply is WriteMessagesSuccessful) break;
                if (reply is WriteMessagesFailed failed) throw new CliException("the journal refused the synthetic stories: " + failed.Cause.Message);
                if (reply is WriteMessageRejected rejected) throw new CliException("the journal rejected a synthetic event: " + rejected.Cause.Message);
            }
            ct.ThrowIfCancellationRequested();
            if ((from / batch) % 20 == 0) say($"{Math.Min(count, from + batch)} of {count} stories written");
        }
        return events;
    }
}
