using System.Diagnostics;
using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using NiusTv.Actors.Admission;
using NiusTv.Steps;
using NiusTv.Steps.Models;
using NiusTv.Steps.Render;
using NiusTv.Steps.Render.Pix2PixHD;
using NiusTv.Steps.Stories;
using TorchSharp.PyBridge;
using Xunit;

namespace NiusTv.Tests.Render;

/// <summary>The neural renderer on small random-weight checkpoints written in the test (the content is noise, as
/// expected without trained weights): sizes, batching, the GPU grant around a run, and clear checkpoint errors.</summary>
[Trait("Speed", "Slow")]
public sealed class Pix2PixHDRendererTests(ITestOutputHelper output) : Akka.Hosting.TestKit.TestKit("pix2pixhd-render-tests", output)
{
    private readonly ITestOutputHelper _output = output;

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) { }

    /// <summary>Writes state_dict.pt (PyTorch zip format, via PyBridge) and config.json the way a trained checkpoint
    /// folder would hold them.</summary>
    internal static string WriteCheckpoint(TempFolder dir, string netG = "global", int labelNc = 8, int ngf = 8, int down = 2,
        int blocks = 1, int[]? renderHw = null, string name = "ckpt")
    {
        var folder = dir.Folder(name);
        TorchSharp.torch.random.manual_seed(7);
        var parameters = new Dictionary<string, object>
        {
            ["label_nc"] = labelNc, ["output_nc"] = 3, ["ngf_global"] = ngf, ["ngf_local"] = ngf / 2,
            ["n_downsample_global"] = down, ["n_blocks_global"] = blocks, ["n_local_enhancers"] = 1, ["n_blocks_local"] = 1,
        };
        if (renderHw is not null) parameters["render_hw"] = renderHw;
        var config = new Pix2PixHDConfig
        {
            InputNc = labelNc, NgfGlobal = ngf, NgfLocal = ngf / 2, NDownsampleGlobal = down, NBlocksGlobal = blocks,
            NLocalEnhancers = 1, NBlocksLocal = 1,
        };
        using TorchSharp.torch.nn.Module generator = netG == "local"
            ? new LocalEnhancer(config)
            : new GlobalGenerator(labelNc, 3, ngf, down, blocks);
        generator.save_py(Path.Combine(folder, "state_dict.pt"));
        File.WriteAllText(Path.Combine(folder, "config.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model"] = "pix2pixHD generator (test, random weights)", ["netG"] = netG, ["params"] = parameters,
        }));
        return folder;
    }

    private static async Task<List<byte[]>> Render(Pix2PixHDRenderer renderer, int frames, int w, int h, Func<Task>? during = null)
    {
        var result = new List<byte[]>();
        await renderer.RenderAsync(SyntheticFace.Request(SyntheticFace.Track(frames), w, h), async f =>
        {
            result.Add(f.ToArray());
            if (during is not null) await during();
        }, new ProgressLog(), TestContext.Current.CancellationToken);
        return result;
    }

    private async Task<GpuSlotReport> Slot(IActorRef gpu) =>
        (await gpu.Ask<List<GpuSlotReport>>(new GpuAdmissionProtocol.GetSlots(), TimeSpan.FromSeconds(3))).Single();

    [Fact]
    public async Task Renders_every_frame_at_the_slot_size_while_holding_a_GPU_grant()
    {
        using var dir = new TempFolder();
        using var checkpoint = Pix2PixHDCheckpoint.Load(WriteCheckpoint(dir));
        Assert.False(checkpoint.IsLocal);
        Assert.Equal(4, checkpoint.SizeMultiple);
        // 90x50 is not a multiple of 4: the generator runs at 92x52 and the frames are cropped back.
        var renderer = new Pix2PixHDRenderer(checkpoint, batchSize: 2);
        Assert.Equal((52, 92), renderer.InputSize(90, 50));

        var gpu = Sys.ActorOf(GpuAdmissions.Create(1, TimeSpan.FromSeconds(30), shareCluster: false));
        var admission = new GpuAdmissionClient(Sys, gpu);
        Assert.Null((await Slot(gpu)).Holder);
        var holders = new List<string?>();
        var frames = new List<byte[]>();
        await renderer.RenderAdmittedAsync(admission, SyntheticFace.Request(SyntheticFace.Track(5), 90, 50), async f =>
        {
            frames.Add(f.ToArray());
            holders.Add((await Slot(gpu)).Holder);
        }, new ProgressLog(), TestContext.Current.CancellationToken);
        await AwaitAssertAsync(async () => Assert.Null((await Slot(gpu)).Holder), TimeSpan.FromSeconds(3));

        Assert.Equal(5, frames.Count);
        Assert.All(holders, h => Assert.StartsWith("story-1/", h));
        Assert.All(frames, f => Assert.Equal(90 * 50 * 4, f.Length));
        Assert.All(frames, f => Assert.True(Enumerable.Range(0, 90 * 50).All(i => f[i * 4 + 3] == 255)));
        // Noise, but not a constant image, and the open-mouth frames (3, 4) differ from the closed ones (0-2).
        Assert.True(frames[0].Where((_, i) => i % 4 != 3).Distinct().Count() > 16);
        Assert.Equal(frames[0], frames[1]);
        Assert.NotEqual(frames[0], frames[3]);
    }

    [Fact]
    public async Task A_render_that_overruns_its_lease_stops_with_a_transient_failure_and_frees_the_GPU()
    {
        using var dir = new TempFolder();
        using var checkpoint = Pix2PixHDCheckpoint.Load(WriteCheckpoint(dir));
        var gpu = Sys.ActorOf(GpuAdmissions.Create(1, TimeSpan.FromSeconds(0.5), shareCluster: false));
        var admission = new GpuAdmissionClient(Sys, gpu);
        var count = 0;
        var e = await Assert.ThrowsAsync<StepFailure>(() => new Pix2PixHDRenderer(checkpoint, batchSize: 1).RenderAdmittedAsync(admission,
            SyntheticFace.Request(SyntheticFace.Track(50), 32, 32), async _ =>
            {
                // The first frame is held until the admission actor has taken the GPU back, so the lease surely runs
                // out mid-render however fast or slow this machine is; a renderer that ignored the revocation would
                // then deliver all 50 frames.
                if (++count == 1) await AwaitAssertAsync(async () => Assert.Null((await Slot(gpu)).Holder), TimeSpan.FromSeconds(10));
            }, new ProgressLog(), TestContext.Current.CancellationToken));
        Assert.True(e.Transient);
        Assert.Contains("gpu-0", e.Message);
        Assert.InRange(count, 1, 49);
        await AwaitAssertAsync(async () => Assert.Null((await Slot(gpu)).Holder), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task A_batch_gives_the_same_frames_as_one_at_a_time()
    {
        using var dir = new TempFolder();
        using var checkpoint = Pix2PixHDCheckpoint.Load(WriteCheckpoint(dir));
        var one = await Render(new Pix2PixHDRenderer(checkpoint, batchSize: 1), 7, 64, 48);
        var batched = await Render(new Pix2PixHDRenderer(checkpoint, batchSize: 3), 7, 64, 48);
        Assert.Equal(7, batched.Count);
        for (var i = 0; i < 7; i++)
        {
            // Float rounding in batched convolutions may move a byte by one.
            var worst = one[i].Zip(batched[i], (a, b) => Math.Abs(a - b)).Max();
            Assert.True(worst <= 1, $"frame {i}: batched differs by {worst}");
        }
    }

    [Fact]
    public async Task A_generator_trained_at_a_fixed_size_draws_at_that_height_in_the_slots_shape_and_is_scaled_to_the_slot()
    {
        using var dir = new TempFolder();
        using var checkpoint = Pix2PixHDCheckpoint.Load(WriteCheckpoint(dir, renderHw: [32, 64]));
        var renderer = new Pix2PixHDRenderer(checkpoint);
        // 100x60 at height 32 is 53 wide (the face at its trained scale, nothing stretched), padded to 56.
        Assert.Equal((32, 56), renderer.InputSize(100, 60));
        Assert.Equal((32, 32), renderer.InputSize(60, 60));
        var frames = await Render(renderer, 2, 100, 60);
        Assert.All(frames, f => Assert.Equal(100 * 60 * 4, f.Length));
    }

    [Fact]
    public async Task A_local_enhancer_checkpoint_renders_too()
    {
        using var dir = new TempFolder();
        using var checkpoint = Pix2PixHDCheckpoint.Load(Path.Combine(WriteCheckpoint(dir, netG: "local"), "state_dict.pt"));
        Assert.True(checkpoint.IsLocal);
        Assert.Equal(8, checkpoint.SizeMultiple);
        var frames = await Render(new Pix2PixHDRenderer(checkpoint, batchSize: 2), 3, 72, 40);
        Assert.Equal(3, frames.Count);
        Assert.All(frames, f => Assert.Equal(72 * 40 * 4, f.Length));
    }

    [Fact]
    public void Without_netG_in_the_config_the_weights_tell_global_from_local()
    {
        using var dir = new TempFolder();
        var folder = WriteCheckpoint(dir, netG: "local");
        var config = Path.Combine(folder, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"netG\":\"local\",", ""));
        using var checkpoint = Pix2PixHDCheckpoint.Load(folder);
        Assert.True(checkpoint.IsLocal);
    }

    [Fact]
    public void Weights_for_other_sizes_list_the_missing_unexpected_and_misshaped_keys()
    {
        using var dir = new TempFolder();
        var folder = WriteCheckpoint(dir, blocks: 1, ngf: 8);
        var config = Path.Combine(folder, "config.json");
        // The config now claims two residual blocks and ngf 16: every layer after the first block moves or grows.
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"n_blocks_global\":1", "\"n_blocks_global\":2").Replace("\"ngf_global\":8", "\"ngf_global\":16"));
        var e = Assert.Throws<CheckpointException>(() => Pix2PixHDCheckpoint.Load(folder));
        Assert.Contains(Path.Combine(folder, "state_dict.pt"), e.Message);
        Assert.Contains("missing keys", e.Message);
        Assert.Contains("model.11.conv_block.1.weight", e.Message);
        Assert.Contains("unexpected keys", e.Message);
        Assert.Contains("model.18.weight", e.Message);
        Assert.Contains("wrong shapes", e.Message);
        Assert.Contains("model.1.weight: checkpoint [8, 8, 7, 7], model [16, 8, 7, 7]", e.Message);
    }

    [Fact]
    public void A_truncated_checkpoint_is_a_clear_error()
    {
        using var dir = new TempFolder();
        var weights = Path.Combine(WriteCheckpoint(dir), "state_dict.pt");
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length / 3)]);
        var e = Assert.Throws<CheckpointException>(() => Pix2PixHDCheckpoint.Load(weights));
        Assert.Contains("truncated or corrupted", e.Message);
    }

    [Fact]
    public void A_checkpoint_with_fewer_labels_than_the_face_map_is_refused_by_name()
    {
        using var dir = new TempFolder();
        var e = Assert.Throws<CheckpointException>(() => Pix2PixHDCheckpoint.Load(WriteCheckpoint(dir, labelNc: 4)));
        Assert.Contains("label_nc 4", e.Message);
        Assert.Contains("inner mouth", e.Message);
    }

    [Fact]
    public void A_folder_without_weights_and_an_unknown_device_are_clear_errors()
    {
        using var dir = new TempFolder();
        var empty = dir.Folder("empty");
        Assert.Contains("state_dict.pt", Assert.Throws<CheckpointException>(() => Pix2PixHDCheckpoint.Load(empty)).Message);
        Assert.Contains("no such", Assert.Throws<CheckpointException>(() => Pix2PixHDCheckpoint.Load(dir.Combine("nope"))).Message);
        Assert.Contains("tpu", Assert.Throws<CheckpointException>(() => Pix2PixHDCheckpoint.Load(WriteCheckpoint(dir), "tpu")).Message);
        if (!TorchSharp.torch.cuda.is_available())
            Assert.Contains("CUDA is not available", Assert.Throws<CheckpointException>(() => Pix2PixHDCheckpoint.ParseDevice("cuda:0")).Message);
    }

    /// <summary>Printed for the record (`nius bench render` measures more sizes and configurations).</summary>
    [Fact]
    public async Task Frames_per_second_of_the_small_random_generator_at_1024x512()
    {
        const int w = 1024, h = 512;
        using var dir = new TempFolder();
        using var checkpoint = Pix2PixHDCheckpoint.Load(WriteCheckpoint(dir));
        var renderer = new Pix2PixHDRenderer(checkpoint, batchSize: 2);
        await Render(renderer, 1, w, h);
        var clock = Stopwatch.StartNew();
        var frames = await Render(renderer, 4, w, h);
        _output.WriteLine($"pix2pixhd small (ngf 8, 2 down, 1 block, {checkpoint.Parameters} parameters) {w}x{h}: " +
            $"{frames.Count / clock.Elapsed.TotalSeconds:F2} frames/s, batch 2, float32 CPU");
        Assert.Equal(4, frames.Count);
    }
}
