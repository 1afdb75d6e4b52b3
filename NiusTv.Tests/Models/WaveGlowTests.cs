using System.Collections;
using NiusTv.Host;
using NiusTv.Steps.Models;
using NiusTv.Steps.Models.Verify;
using TorchSharp.PyBridge;
using Xunit;

namespace NiusTv.Tests.Models;

[Trait("Speed", "Slow")]
public class WaveGlowTests
{
    [Fact]
    public void Inference_with_and_without_weight_norm_equals_the_pytorch_reference()
    {
        var report = FixtureVerifier.Verify(SharedFixtures.Folder("waveglow"));
        Assert.True(report.Passed, string.Join("\n", report.Rows.Select(r => $"{r.Output} {r.MaxAbsDiff:g3} tol {r.Tolerance:g3}")));
        Assert.Contains(report.Rows, r => r.Output == "audio");
        Assert.Contains(report.Rows, r => r.Output == "audio_no_weightnorm");
    }

    [Fact]
    public async Task The_verb_exits_1_when_an_output_is_above_tolerance()
    {
        var shared = SharedFixtures.Folder("waveglow");
        using var dir = new TempFolder();
        foreach (var f in new[] { "config.json", "state_dict.pt" }) File.Copy(Path.Combine(shared, f), dir.Combine(f));
        // A reference whose audio is off by 0.01 everywhere: far above 1e-4 relative, so verify must fail.
        var io = new Hashtable();
        foreach (var (k, t) in StateDict.Read(Path.Combine(shared, "io.pt"))) io[k] = k == "audio" ? t + 0.01f : t;
        await using (var stream = File.Create(dir.Combine("io.pt"))) PyTorchPickler.PickleStateDict(stream, io);

        Assert.Equal(1, await Program.InvokeAsync(Program.BuildRoot(), ["models", "verify", dir.Path, "--json"]));
        Assert.Equal(0, await Program.InvokeAsync(Program.BuildRoot(), ["models", "verify", shared, "--json"]));
    }
}
