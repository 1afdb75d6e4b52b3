using NiusTv.Steps.Models;
using NiusTv.Steps.Models.Verify;
using NiusTv.Steps.Render.Pix2PixHD;
using Xunit;

namespace NiusTv.Tests.Models;

public class Pix2PixHDTests
{
    [Fact]
    public void Global_and_local_generators_equal_the_pytorch_reference()
    {
        var report = FixtureVerifier.Verify(SharedFixtures.Folder("pix2pixhd"));
        Assert.True(report.Passed, string.Join("\n", report.Rows.Select(r => $"{r.Output} {r.MaxAbsDiff:g3} tol {r.Tolerance:g3}")));
        Assert.Contains(report.Rows, r => r.Output == "global_output");
        Assert.Contains(report.Rows, r => r.Output == "local_output");
    }

    [Fact]
    public void A_truncated_checkpoint_is_a_clear_error()
    {
        using var dir = new TempFolder();
        var bytes = File.ReadAllBytes(Path.Combine(SharedFixtures.Folder("pix2pixhd"), "state_dict.pt"));
        var path = Path.Combine(dir.Path, "state_dict.pt");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<CheckpointException>(() => StateDict.Read(path));
        Assert.Contains("truncated or corrupted", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void A_renamed_key_is_reported_as_missing_and_unexpected()
    {
        var config = Pix2PixHDConfig.Load(Path.Combine(SharedFixtures.Folder("pix2pixhd"), "config.json"));
        var tensors = StateDict.Read(Path.Combine(SharedFixtures.Folder("pix2pixhd"), "state_dict.pt"));
        tensors["model.19.kernel"] = tensors["model.19.weight"];
        tensors.Remove("model.19.weight");
        using var g = new GlobalGenerator(config.InputNc, config.OutputNc, config.NgfGlobal, config.NDownsampleGlobal, config.NBlocksGlobal);
        var e = Assert.Throws<CheckpointException>(() => StateDict.LoadInto(g, tensors, "renamed.pt"));
        Assert.Contains("missing keys (1): model.19.weight", e.Message);
        Assert.Contains("unexpected keys (1): model.19.kernel", e.Message);
    }

    [Fact]
    public void A_checkpoint_for_other_sizes_names_the_wrong_shapes()
    {
        var tensors = StateDict.Read(Path.Combine(SharedFixtures.Folder("pix2pixhd"), "state_dict.pt"));
        // The published default (36 input channels) against the fixture's 4-label weights.
        using var g = new GlobalGenerator(36, 3, 8, 2, 2);
        var e = Assert.Throws<CheckpointException>(() => StateDict.LoadInto(g, tensors, "small.pt"));
        Assert.Contains("model.1.weight: checkpoint [8, 4, 7, 7], model [8, 36, 7, 7]", e.Message);
    }
}
