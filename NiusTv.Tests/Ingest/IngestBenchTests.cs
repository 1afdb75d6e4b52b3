using NiusTv.Tests.EndToEnd;
using Xunit;

namespace NiusTv.Tests.Ingest;

/// <summary>`nius bench ingest` as a user runs it, on a few messages (the 200 of the real figure take a minute).</summary>
[Collection("nius processes")]
[Trait("Speed", "Slow")]
public sealed class IngestBenchTests
{
    [Fact]
    public async Task Bench_ingest_json_accepts_every_message_and_gives_publish_to_accepted_percentiles()
    {
        var r = await Nius.RunAsync(["bench", "ingest", "--messages", "8", "--mean-gap-ms", "100", "--json"], TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal((8, 8), (r.Json.GetProperty("messages").GetInt32(), r.Json.GetProperty("accepted").GetInt32()));
        var p50 = r.Json.GetProperty("p50Ms").GetDouble();
        var p99 = r.Json.GetProperty("p99Ms").GetDouble();
        Assert.True(p50 > 0 && p50 <= p99 && p99 <= r.Json.GetProperty("maxMs").GetDouble(), r.Stdout);

        var bad = await Nius.RunAsync(["bench", "ingest", "--messages", "0"]);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--messages: give at least 1", bad.Stderr);
    }
}
