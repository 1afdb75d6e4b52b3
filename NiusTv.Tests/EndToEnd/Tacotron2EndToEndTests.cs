using System.Text.Json;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Tools;
using NiusTv.Tests.Speech;
using Xunit;

namespace NiusTv.Tests.EndToEnd;

/// <summary>A real `nius node` speaking through Tacotron2 + WaveGlow from small random-weight checkpoints made here:
/// the models load once at start-up, `nius models show` lists them, a story becomes an MP4 (its sound is noise, as
/// expected without trained weights), and bad checkpoints or devices stop the start with the setting named.</summary>
[Collection("nius processes")]
[Trait("Speed", "Slow")]
public sealed class Tacotron2EndToEndTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private Dictionary<string, string> Environment(string t2, string wg) => new()
    {
        ["NIUSTV__Speech__Tacotron2__Checkpoint"] = t2,
        ["NIUSTV__Speech__WaveGlow__Checkpoint"] = wg,
        // Random weights never finish a decode on their own; keeping what the step limit gives is the point here.
        ["NIUSTV__Speech__Tacotron2__AcceptIncompleteDecodes"] = "true",
    };

    [Fact]
    public async Task A_node_with_tacotron2_and_pix2pixhd_checkpoints_turns_a_story_into_an_h264_aac_mp4_and_lists_its_models()
    {
        var t2 = RandomSpeechCheckpoints.Tacotron2(_dir.Path, maxDecoderSteps: 40);
        var wg = RandomSpeechCheckpoints.WaveGlow(_dir.Path);
        var p2p = Render.Pix2PixHDRendererTests.WriteCheckpoint(_dir, name: "pix2pixhd");
        var assets = _dir.Folder("assets");
        var environment = Environment(t2, wg);
        environment["NIUSTV__Render__Renderer"] = "pix2pixhd";
        environment["NIUSTV__Render__Pix2PixHD__Checkpoint"] = p2p;
        await using var node = await NodeProcess.StartConfiguredAsync(_dir.Combine("data"), _dir.Combine("out"), assets, null, null, environment);

        var show = await node.CliAsync("models", "show", "--json");
        Assert.True(show.ExitCode == 0, show.Stderr);
        var models = show.Json.GetProperty("models").EnumerateArray().ToList();
        Assert.Equal("cpu", show.Json.GetProperty("device").GetString());
        Assert.Equal(["tacotron2", "waveglow", "pix2pixhd"], models.Select(m => m.GetProperty("name").GetString()));
        Assert.Equal([t2, wg, Path.Combine(p2p, "state_dict.pt")], models.Select(m => m.GetProperty("checkpoint").GetString()));
        Assert.All(models, m => Assert.True(m.GetProperty("parameters").GetInt64() > 10_000 && m.GetProperty("bytes").GetInt64() >= 4 * m.GetProperty("parameters").GetInt64()));
        var table = await node.CliAsync("models", "show");
        Assert.Contains("Tacotron2", table.Stdout);
        Assert.Single(node.Log.Split('\n'), l => l.Contains("speech: tacotron2 + waveglow on cpu"));

        var file = _dir.Combine("story.json");
        File.WriteAllText(file, JsonSerializer.Serialize(new
        {
            id = "neural-harbour", title = "Harbour reopens",
            paragraphs = new[]
            {
                "The harbour reopened on Monday. Boats came back before dawn.",
                "Traders said it was the best catch in years. The market stayed open late!",
            },
            output = new { width = 320, height = 180, fps = 10 },
        }));
        Assert.Equal(0, (await node.CliAsync("publish", file)).ExitCode);
        var story = await node.WaitForAsync("neural-harbour", NodeProcess.Finished, TimeSpan.FromMinutes(3));
        Assert.True(story.GetProperty("state").GetString() == "completed", story.ToString());

        var workspace = Path.Combine(node.Data, "workspaces", "neural-harbour", "r1");
        var timings = SpeechTimings.Load(Path.Combine(workspace, NiusTv.Steps.Artifacts.Timings.Name));
        var wav = WaveFile.Read(Path.Combine(workspace, NiusTv.Steps.Artifacts.Speech.Name));
        Assert.Equal(("tacotron2", 22050), (timings.Backend, wav.SampleRate));
        // 4 sentences of 40 frames x 256 samples, a 0.25 s pause inside each paragraph, 0.6 s between them.
        Assert.Equal(4 * 40 * 256 / 22050.0 + 2 * 0.25 + 0.6, wav.Duration, 3);
        Assert.Equal([0, 1], timings.Paragraphs.Select(p => p.Index));

        // Noise from untrained weights has nothing pocketsphinx can fit the script to: the phones are estimated, and the
        // timeline says so, rather than the story failing.
        var steps = story.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(NiusTv.Host.Node.NodeSteps.Pipeline.StepNames, steps.Select(s => s.GetProperty("name").GetString()));
        Assert.Equal("estimated", NiusTv.Steps.Phonemes.PhoneTrack.Load(Path.Combine(workspace, "phones.json")).Aligner);
        Assert.StartsWith("estimated (pocketsphinx", steps[2].GetProperty("backend").GetString());
        // The anchor went through the neural renderer, under a GPU admission grant (a CPU slot group on this node).
        Assert.Equal("pix2pixhd", steps[4].GetProperty("backend").GetString());
        var anchor = await MediaProbe.ProbeAsync(Path.Combine(workspace, "anchor.mkv"), TestContext.Current.CancellationToken);
        Assert.Equal(NiusTv.Steps.Render.RenderStep.SlotSize(320, 180), (anchor.Video!.Width!.Value, anchor.Video.Height!.Value));

        var probe = await MediaProbe.ProbeAsync(story.GetProperty("video").GetString()!, TestContext.Current.CancellationToken);
        Assert.Equal("h264", probe.Video!.CodecName);
        Assert.Equal("aac", probe.Audio!.CodecName);
        Assert.Equal((320, 180), (probe.Video.Width, probe.Video.Height));
        Assert.InRange(probe.FormatDuration, wav.Duration + 2.0 - 0.25, wav.Duration + 2.0 + 0.25);
    }

    [Fact]
    public async Task A_checkpoint_that_does_not_fit_its_config_stops_the_node_at_start_up_listing_the_keys()
    {
        var t2 = RandomSpeechCheckpoints.Tacotron2(_dir.Path, 10, decoderRnnDim: 48, configRnnDim: 64);
        var wg = RandomSpeechCheckpoints.WaveGlow(_dir.Path);
        var env = Environment(t2, wg);
        var r = await Nius.RunAsync(["node", "--data", _dir.Combine("data"), "--out", _dir.Combine("out"), "--admin", $"127.0.0.1:{LoopbackPorts.Free()}"],
            TimeSpan.FromMinutes(1), environment: env);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("error: Speech:Tacotron2:Checkpoint: " + t2 + ": checkpoint does not match the Tacotron2 configuration", r.Stderr);
        Assert.Contains("decoder.decoder_rnn.weight_hh: checkpoint [192, 48], model [256, 64]", r.Stderr);

        File.Delete(wg);
        r = await Nius.RunAsync(["node", "--data", _dir.Combine("data"), "--admin", $"127.0.0.1:{LoopbackPorts.Free()}"], TimeSpan.FromMinutes(1), environment: env);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"error: Speech:WaveGlow:Checkpoint: {wg}: no such checkpoint file", r.Stderr);
    }

    [Fact]
    public async Task Cuda_on_this_cpu_build_stops_the_node_naming_models_device()
    {
        var env = Environment(RandomSpeechCheckpoints.Tacotron2(_dir.Path, 10), RandomSpeechCheckpoints.WaveGlow(_dir.Path));
        env["NIUSTV__Models__Device"] = "cuda:0";
        var r = await Nius.RunAsync(["node", "--data", _dir.Combine("data"), "--admin", $"127.0.0.1:{LoopbackPorts.Free()}"], TimeSpan.FromMinutes(1), environment: env);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("error: Models:Device: 'cuda:0' needs CUDA", r.Stderr);
    }

    [Fact]
    public async Task Without_checkpoints_the_node_says_once_that_it_speaks_with_festival_and_shows_no_models()
    {
        await using var node = await NodeProcess.StartAsync(_dir.Combine("data"), _dir.Combine("out"), _dir.Folder("assets"));
        var show = await node.CliAsync("models", "show", "--json");
        Assert.True(show.ExitCode == 0, show.Stderr);
        Assert.Empty(show.Json.GetProperty("models").EnumerateArray());
        Assert.Contains("no models loaded", (await node.CliAsync("models", "show")).Stdout);
        Assert.Single(node.Log.Split('\n'), l => l.Contains("speaking with Festival"));
    }
}
