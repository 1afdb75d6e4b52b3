using NiusTv.Tests.EndToEnd;
using Xunit;

namespace NiusTv.Tests.Models;

/// <summary>`nius bench models` as a user runs it, on the fixture sizes only (the published ones take minutes).</summary>
[Collection("nius processes")]
[Trait("Speed", "Slow")]
public sealed class ModelBenchTests
{
    [Fact]
    public async Task Bench_models_json_gives_times_parameter_counts_and_the_pytorch_anchor_for_the_fixture_sizes()
    {
        var fixtures = Path.GetDirectoryName(SharedFixtures.Folder("tacotron2"))!;
        var r = await Nius.RunAsync(["bench", "models", "--small-only", "--runs", "1", "--only", "tacotron2", "waveglow", "--fixtures", fixtures, "--json"],
            TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var results = r.Json.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal([("Tacotron2", "fixture"), ("WaveGlow", "fixture")],
            results.Select(x => (x.GetProperty("model").GetString(), x.GetProperty("config").GetString())));
        // Our parameter counts equal those PyTorch counted for the same configurations.
        Assert.All(results, x => Assert.Equal(x.GetProperty("pyTorchParameters").GetInt64(), x.GetProperty("parameters").GetInt64()));
        Assert.Equal(0.0905, results[0].GetProperty("pyTorchSeconds").GetDouble());
        Assert.All(results, x => Assert.True(x.GetProperty("medianSeconds").GetDouble() > 0));
        Assert.Equal(2, r.Json.GetProperty("threads").GetInt32());

        var bad = await Nius.RunAsync(["bench", "models", "--only", "tacotron3"]);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("--only: 'tacotron3' is not a model", bad.Stderr);
    }
}
