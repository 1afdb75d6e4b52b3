using System.Diagnostics;
using System.Text.Json;
using NiusTv.Steps.Render.Pix2PixHD;
using NiusTv.Steps.Render.Pix2PixHD.Training;
using NiusTv.Steps.Tools;
using NiusTv.Tests.EndToEnd;
using NiusTv.Tests.Render.Footage;
using SkiaSharp;
using Xunit;

namespace NiusTv.Tests.Render.Training;

/// <summary>`nius train presenter` on the real FGNet clip (scripts/setup caches it): a small generator (64×64, ngf 16,
/// ndf 16) trained on the CPU through the CLI, as a user runs it. The run is made once for the class; its first 20 s
/// give 432 training frames and 48 held out.</summary>
[Collection("nius processes")]
[Trait("Speed", "Slow")]
public sealed class Pix2PixHDTrainingTests(Pix2PixHDTrainingTests.Trained trained) : IClassFixture<Pix2PixHDTrainingTests.Trained>
{
    public static readonly string[] Small = ["--ngf", "16", "--ndf", "16", "--batch", "4"];

    public sealed class Trained : IAsyncLifetime
    {
        public TempFolder Dir { get; } = new();
        public string Presenters => Dir.Combine("presenters");
        public string Data => Dir.Combine("data");
        public string Checkpoint => Dir.Combine("franck-p2p");
        public Dictionary<string, string> Environment => new() { ["NIUSTV__Presenters__Root"] = Presenters };
        public Nius.Result Run { get; private set; } = null!;
        public List<JsonElement> Events { get; private set; } = null!;

        public async ValueTask InitializeAsync()
        {
            Directory.CreateDirectory(Presenters);
            FootageTestSupport.Presenter(Presenters, "franck", FootageTestSupport.RequireFranck(), new() { ["use"] = new { from = 0, to = 20 } });
            Directory.CreateSymbolicLink(Path.Combine(Presenters, "default"), Path.Combine(Nius.RepoRoot, "presenters", "default"));
            Run = await Train(this, ["--out", Checkpoint, "--iterations", "60", "--checkpoint-every", "30", "--json"], TimeSpan.FromMinutes(10));
            Events = Run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        }

        public ValueTask DisposeAsync()
        {
            Dir.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private static Task<Nius.Result> Train(Trained t, string[] extra, TimeSpan timeout, string size = "64x64") =>
        Nius.RunAsync(["train", "presenter", "franck", "--data", t.Data, "--size", size, .. Small, .. extra], timeout, environment: t.Environment);

    private static void Say(string line) => TestContext.Current.SendDiagnosticMessage(line);

    [Fact]
    public void Sixty_iterations_lower_the_held_out_L1_by_at_least_40_percent_against_the_untrained_generator()
    {
        Assert.True(trained.Run.ExitCode == 0, trained.Run.Stderr);
        var eval = JsonDocument.Parse(File.ReadAllText(Path.Combine(trained.Checkpoint, "eval.json"))).RootElement;
        double l1 = eval.GetProperty("l1").GetDouble(), untrained = eval.GetProperty("untrainedL1").GetDouble();
        Say($"held-out L1 {l1:0.0000} (untrained {untrained:0.0000}), PSNR {eval.GetProperty("psnr").GetDouble():0.00} dB (untrained {eval.GetProperty("untrainedPsnr").GetDouble():0.00})");
        Assert.Equal(60, eval.GetProperty("iteration").GetInt64());
        Assert.Equal(48, eval.GetProperty("heldOutFrames").GetInt32());
        Assert.True(eval.GetProperty("psnr").GetDouble() > eval.GetProperty("untrainedPsnr").GetDouble());
        Assert.True(l1 <= 0.6 * untrained, $"held-out L1 {l1:0.0000} is not 40% below the untrained {untrained:0.0000}");
    }

    [Fact]
    public void Json_mode_prints_only_json_events_start_progress_checkpoints_and_done()
    {
        var kinds = trained.Events.Select(e => e.GetProperty("event").GetString()).ToList();
        Assert.Equal("done", kinds[^1]);
        Assert.Contains("start", kinds);
        Assert.Contains("progress", kinds);
        Assert.Equal([30L, 60L], trained.Events.Where(e => e.GetProperty("event").GetString() == "checkpoint").Select(e => e.GetProperty("iteration").GetInt64()));
        var start = trained.Events.Single(e => e.GetProperty("event").GetString() == "start");
        Assert.Equal(432, start.GetProperty("trainFrames").GetInt32());
        Assert.Equal(48, start.GetProperty("heldOutFrames").GetInt32());
    }

    [Fact]
    public void The_checkpoint_folder_loads_as_a_renderer_checkpoint_and_eval_png_shows_six_held_out_frames()
    {
        using var checkpoint = Pix2PixHDCheckpoint.Load(trained.Checkpoint);
        Assert.False(checkpoint.IsLocal);
        Assert.Equal((64, 64), checkpoint.RenderSize);
        Assert.Equal(8, checkpoint.LabelNc);
        Assert.Equal(new TrainingIdentity("franck", FootageTestSupport.Library(trained.Presenters).MediaSha256("franck")), checkpoint.TrainedFor);
        foreach (var file in new[] { "state_dict.pt", "config.json", "netD.pt", "optimizer_G.bin", "optimizer_D.bin", "training.json", "losses.csv" })
            Assert.True(File.Exists(Path.Combine(trained.Checkpoint, file)), file);
        // NVIDIA's key names, so the folder reads like one of pix2pixHD's own.
        var d = Steps.Models.StateDict.Read(Path.Combine(trained.Checkpoint, "netD.pt"));
        Assert.Contains("scale0_layer0.0.weight", d.Keys);
        Assert.Contains("scale1_layer4.0.bias", d.Keys);
        using var sheet = SKBitmap.Decode(Path.Combine(trained.Checkpoint, "eval.png"));
        Assert.Equal((3 * 64, 6 * 64), (sheet.Width, sheet.Height));
    }

    [Fact]
    public async Task Ctrl_C_saves_a_checkpoint_that_resume_continues_on_the_same_losses_as_an_uninterrupted_run()
    {
        using var dir = new TempFolder();
        var ct = TestContext.Current.CancellationToken;
        var straight = dir.Combine("straight");
        var r = await Train(trained, ["--out", straight, "--iterations", "24", "--checkpoint-every", "100", "--json"], TimeSpan.FromMinutes(5));
        Assert.True(r.ExitCode == 0, r.Stderr);

        var stopped = dir.Combine("stopped");
        using var p = Nius.Start(["train", "presenter", "franck", "--data", trained.Data, "--size", "64x64", .. Small, "--out", stopped, "--iterations", "24",
            "--checkpoint-every", "100", "--json"], environment: trained.Environment);
        p.StandardInput.Close();
        var stderr = p.StandardError.ReadToEndAsync(ct);
        string? line;
        while ((line = await p.StandardOutput.ReadLineAsync(ct)) is not null)
            if (JsonDocument.Parse(line).RootElement.GetProperty("event").GetString() == "progress") break;
        Assert.NotNull(line);
        // What a terminal sends on Ctrl+C.
        Process.Start("kill", ["-INT", p.Id.ToString()])!.WaitForExit();
        var rest = await p.StandardOutput.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        var last = JsonDocument.Parse(rest.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;
        Assert.True(p.ExitCode == 130, $"exit {p.ExitCode}: {await stderr}");
        Assert.Equal("stopped", last.GetProperty("event").GetString());
        var savedAt = last.GetProperty("iteration").GetInt64();
        Say($"Ctrl+C stopped the run at iteration {savedAt} of 24");
        Assert.InRange(savedAt, 1, 23);
        Assert.Equal(savedAt, new TrainingFolder(stopped).ReadState().Iteration);

        var resumed = await Train(trained, ["--out", stopped, "--iterations", "24", "--checkpoint-every", "100", "--resume", "--json"], TimeSpan.FromMinutes(5));
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        var start = resumed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Single(e => e.GetProperty("event").GetString() == "start");
        Assert.Equal(savedAt, start.GetProperty("iteration").GetInt64());

        var a = new TrainingFolder(straight).ReadLosses();
        var b = new TrainingFolder(stopped).ReadLosses();
        Assert.Equal(Enumerable.Range(0, 24).Select(i => (long)i), b.Select(l => l.Iteration));
        for (var i = 0; i < 24; i++)
        {
            Assert.True(Math.Abs(a[i].GFeat - b[i].GFeat) <= 1e-3 * Math.Abs(a[i].GFeat) && Math.Abs(a[i].DReal - b[i].DReal) <= 1e-3 * Math.Max(1e-3, Math.Abs(a[i].DReal)),
                $"iteration {i} (resumed at {savedAt}): straight G_Feat {a[i].GFeat} D_real {a[i].DReal}, resumed G_Feat {b[i].GFeat} D_real {b[i].DReal}");
        }
    }

    [Fact]
    public async Task A_corrupt_or_mismatched_resume_folder_is_refused_naming_the_file()
    {
        using var dir = new TempFolder();
        var copy = dir.Combine("copy");
        Directory.CreateDirectory(copy);
        foreach (var f in Directory.GetFiles(trained.Checkpoint)) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));

        var bigger = await Train(trained, ["--out", copy, "--iterations", "70", "--resume"], TimeSpan.FromMinutes(2), size: "128x128");
        Assert.Equal(2, bigger.ExitCode);
        Assert.Contains(Path.Combine(copy, "training.json") + ": this run was trained with --size 64x64, not 128x128", bigger.Stderr);

        var netD = Path.Combine(copy, "netD.pt");
        var bytes = File.ReadAllBytes(netD);
        File.WriteAllBytes(netD, bytes[..(bytes.Length / 2)]);
        var corrupt = await Train(trained, ["--out", copy, "--iterations", "70", "--resume"], TimeSpan.FromMinutes(2));
        Assert.Equal(2, corrupt.ExitCode);
        Assert.Contains("error: " + netD + ": not a readable PyTorch state dict", corrupt.Stderr);

        var empty = await Train(trained, ["--out", dir.Folder("empty"), "--iterations", "70", "--resume"], TimeSpan.FromMinutes(2));
        Assert.Equal(2, empty.ExitCode);
        Assert.Contains(Path.Combine(dir.Combine("empty"), "training.json") + ": missing", empty.Stderr);

        var again = await Train(trained, ["--out", trained.Checkpoint, "--iterations", "70"], TimeSpan.FromMinutes(2));
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("a training checkpoint is already there; continue it with --resume", again.Stderr);
    }

    [Fact]
    public async Task A_node_renders_a_franck_story_with_the_trained_checkpoint_through_the_gpu_admission_path()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempFolder();
        var env = new Dictionary<string, string>(trained.Environment)
        {
            ["NIUSTV__Render__Renderer"] = "pix2pixhd", ["NIUSTV__Render__Pix2PixHD__Checkpoint"] = trained.Checkpoint,
        };
        // The node shares the class's data folder, so the clip's index is not built twice.
        await using var node = await NodeProcess.StartConfiguredAsync(trained.Data, dir.Combine("out"), dir.Folder("assets"), null, null, env);
        var file = dir.Combine("story.json");
        File.WriteAllText(file, JsonSerializer.Serialize(new
        {
            id = "trained-anchor", title = "Harbour reopens", presenter = "franck",
            paragraphs = new[] { "The harbour reopened on Monday. Boats came back before dawn." },
            output = new { width = 320, height = 180, fps = 10 },
        }));
        var publish = await node.CliAsync("publish", file);
        Assert.True(publish.ExitCode == 0, publish.Stderr);
        var story = await node.WaitForAsync("trained-anchor", NodeProcess.Finished, TimeSpan.FromMinutes(4));
        Assert.True(story.GetProperty("state").GetString() == "completed", story.ToString());
        var render = story.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "render");
        Assert.Equal("pix2pixhd", render.GetProperty("backend").GetString());
        var workspace = Path.Combine(node.Data, "workspaces", "trained-anchor", "r1");
        var anchor = Path.Combine(workspace, "anchor.mkv");
        var probe = await MediaProbe.ProbeAsync(anchor, ct);
        var (w, h) = Steps.Render.RenderStep.SlotSize(320, 180);
        Assert.Equal((w, h), (probe.Video!.Width!.Value, probe.Video.Height!.Value));

        // The anchor is the trained generator's drawing, not the clip's footage: the (lossless) anchor frames equal
        // what the checkpoint draws for the story's landmarks here.
        var track = Steps.Landmarks.LandmarkTrack.Load(Path.Combine(workspace, "landmarks.json"));
        var shown = RenderStepTests.DecodeFrames(anchor, w, h);
        using var checkpoint = Pix2PixHDCheckpoint.Load(trained.Checkpoint);
        var presenter = FootageTestSupport.Library(trained.Presenters).Reference("franck");
        var short_ = track with { Frames = track.Frames[..3] };
        var drawn = new List<byte[]>();
        await new Pix2PixHDRenderer(checkpoint).RenderAsync(new Steps.Render.RenderRequest("trained-anchor", Steps.Stories.StoryPriority.Normal,
            presenter, short_, w, h), f => { drawn.Add(f.ToArray()); return ValueTask.CompletedTask; }, new Progress<double>(), ct);
        for (var i = 0; i < drawn.Count; i++)
        {
            var mean = drawn[i].Zip(shown[i], (a, b) => Math.Abs(a - b)).Average();
            Assert.True(mean < 2.0, $"anchor frame {i} differs from the trained generator's drawing by {mean:0.00} per byte");
        }
        var video = await MediaProbe.ProbeAsync(story.GetProperty("video").GetString()!, ct);
        Assert.Equal(("h264", 320, 180), (video.Video!.CodecName, video.Video.Width!.Value, video.Video.Height!.Value));
    }

    [Fact]
    public async Task A_node_without_the_presenter_the_checkpoint_learned_stops_at_start_up_naming_both()
    {
        using var dir = new TempFolder();
        var env = new Dictionary<string, string>
        {
            ["NIUSTV__Render__Renderer"] = "pix2pixhd", ["NIUSTV__Render__Pix2PixHD__Checkpoint"] = trained.Checkpoint,
        };
        var r = await Nius.RunAsync(["node", "--data", dir.Combine("data"), "--out", dir.Combine("out"), "--admin", $"127.0.0.1:{LoopbackPorts.Free()}"],
            TimeSpan.FromMinutes(1), environment: env);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("error: Render:Pix2PixHD:Checkpoint: " + Path.Combine(trained.Checkpoint, "state_dict.pt") +
            " was trained on presenter 'franck', which this node does not have (presenters in ", r.Stderr);
        Assert.Contains(": default)", r.Stderr);
    }

    [Fact]
    public async Task Bench_train_reports_iterations_per_second_and_seconds_per_epoch_per_size_and_width()
    {
        var r = await Nius.RunAsync(["bench", "train", "--size", "64", "--ngf", "8", "16", "--iterations", "1", "--json"], TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var rows = r.Json.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal([8, 16], rows.Select(x => x.GetProperty("ngf").GetInt32()));
        // An epoch is the 1,350 training images at the measured rate. Both figures are rounded as printed: the rate to
        // 3 decimals (on a slow machine, 0.124 it/s, that moves 1350 / rate by tens of seconds) and the epoch to whole
        // seconds (on a fast one, 105 s, that is half a percent). Allow both, relative to the figures themselves.
        Assert.All(rows, x =>
        {
            var rate = x.GetProperty("iterationsPerSecond").GetDouble();
            var epoch = x.GetProperty("secondsPerEpoch").GetDouble();
            Assert.True(rate > 0);
            Assert.True(epoch > 0);
            var slack = 0.0005 / rate + 0.5 / epoch + 0.0001;
            Assert.InRange(epoch * rate / 1350, 1 - slack, 1 + slack);
        });
        var bad = await Nius.RunAsync(["bench", "train", "--size", "100"], TimeSpan.FromMinutes(1));
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--size 100x100: width and height must be positive multiples of 16", bad.Stderr);
    }

    [Fact]
    public async Task With_vgg19_weights_the_perceptual_loss_joins_the_generator_loss_and_a_bad_file_is_named()
    {
        using var dir = new TempFolder();
        // torchvision's layout (features.N.*, plus a classifier the loss ignores); random weights are enough to show
        // the loss is computed and trained through.
        var vgg = dir.Combine("vgg19.pth");
        using (var features = new Vgg19Features())
        {
            var state = features.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
            state["classifier.0.weight"] = TorchSharp.torch.zeros(4, 4);
            using var stream = File.Create(vgg);
            TorchSharp.PyBridge.PyTorchPickler.PickleStateDict(stream, state);
        }
        var r = await Train(trained, ["--out", dir.Combine("with-vgg"), "--iterations", "2", "--vgg19", vgg, "--json"], TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("\"vgg\":true", r.Stdout);
        Assert.All(new TrainingFolder(dir.Combine("with-vgg")).ReadLosses(), l => Assert.True(l.GVgg > 0, $"iteration {l.Iteration}: G_VGG {l.GVgg}"));

        var broken = dir.Combine("broken.pth");
        File.WriteAllBytes(broken, File.ReadAllBytes(vgg)[..1000]);
        var bad = await Train(trained, ["--out", dir.Combine("bad-vgg"), "--iterations", "2", "--vgg19", broken], TimeSpan.FromMinutes(2));
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains(broken + ": not a readable PyTorch state dict", bad.Stderr);
    }
}
