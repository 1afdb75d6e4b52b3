using System.Text.Json;
using System.Text.Json.Serialization;
using NiusTv.Steps.Models;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace NiusTv.Steps.Render.Pix2PixHD.Training;

/// <summary>Whose footage a generator learned: the presenter and the SHA-256 of its clip. The renderer refuses a
/// checkpoint trained on another presenter or on another clip of the same name.</summary>
public sealed record TrainingIdentity(string Presenter, string ClipSha256);

/// <summary>Held-out figures at one iteration: L1 is the mean absolute difference of pixel values over 255 (0 is
/// identical, 1 is black against white); PSNR in dB. The untrained figures are those of the same frames before the
/// first step.</summary>
public sealed record TrainingEvaluation(long Iteration, int HeldOutFrames, double L1, double Psnr)
{
    public double? UntrainedL1 { get; init; }
    public double? UntrainedPsnr { get; init; }
}

/// <summary>training.json: where a run stands and what it is, so <c>--resume</c> can continue it and refuse a
/// mismatch.</summary>
public sealed record TrainingState(long Iteration, TrainingOptions Options, TrainingIdentity Identity, TrainingEvaluation Untrained,
    TrainingEvaluation Latest, int TrainFrames, int HeldOutFrames)
{
    /// <exception cref="CheckpointException">the saved run is not the one asked for, naming the file and both values.</exception>
    public void CheckMatches(TrainingOptions asked, TrainingIdentity identity, string file)
    {
        var o = Options;
        void Same<T>(string what, T saved, T now)
        {
            if (!EqualityComparer<T>.Default.Equals(saved, now))
                throw new CheckpointException($"{file}: this run was trained with {what} {saved}, not {now}; resume it with the same {what} or start a new --out");
        }
        Same("presenter", Identity.Presenter, identity.Presenter);
        Same("--size", $"{o.Width}x{o.Height}", $"{asked.Width}x{asked.Height}");
        Same("--ngf", o.Ngf, asked.Ngf);
        Same("--ndf", o.Ndf, asked.Ndf);
        Same("downsamplings", o.NDownsample, asked.NDownsample);
        Same("residual blocks", o.NBlocks, asked.NBlocks);
        Same("discriminator layers", o.DiscriminatorLayers, asked.DiscriminatorLayers);
        Same("discriminator scales", o.DiscriminatorScales, asked.DiscriminatorScales);
        if (Identity.ClipSha256 != identity.ClipSha256)
            throw new CheckpointException($"{file}: this run was trained on presenter '{identity.Presenter}' clip sha256 {Identity.ClipSha256[..12]}…, " +
                $"but the presenter's clip is now sha256 {identity.ClipSha256[..12]}…; start a new --out for the new clip");
    }
}

/// <summary>A training checkpoint folder. What the renderer loads (<c>Render:Pix2PixHD:Checkpoint</c>):
/// <c>state_dict.pt</c> (the generator, PyTorch zip format, NVIDIA's key names) and <c>config.json</c>. What
/// <c>--resume</c> needs besides: <c>netD.pt</c> (the discriminators, NVIDIA's key names), <c>optimizer_G.bin</c> and
/// <c>optimizer_D.bin</c> (Adam's moments and step counts, TorchSharp's format), <c>training.json</c> and
/// <c>losses.csv</c>. Every checkpoint also writes <c>eval.json</c> and <c>eval.png</c>. Files are written beside
/// their final name and renamed, training.json last, so a run killed mid-write leaves the previous checkpoint whole.</summary>
public sealed class TrainingFolder(string path)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string Path { get; } = System.IO.Path.GetFullPath(path);
    public string Generator => Combine("state_dict.pt");
    public string Config => Combine("config.json");
    public string Discriminator => Combine("netD.pt");
    public string OptimizerG => Combine("optimizer_G.bin");
    public string OptimizerD => Combine("optimizer_D.bin");
    public string TrainingJson => Combine("training.json");
    public string Losses => Combine("losses.csv");
    public string EvalJson => Combine("eval.json");
    public string EvalPng => Combine("eval.png");

    public bool HoldsTraining => File.Exists(TrainingJson);

    private string Combine(string name) => System.IO.Path.Combine(Path, name);

    public void Write(GlobalGenerator generator, MultiscaleDiscriminator discriminator, OptimizerHelper optimizerG,
        OptimizerHelper optimizerD, TrainingState state, byte[] evalPng)
    {
        Directory.CreateDirectory(Path);
        var o = state.Options;
        var config = new Dictionary<string, object>
        {
            ["netG"] = "global", ["label_nc"] = FaceRegions.Count, ["input_nc"] = FaceRegions.Count, ["output_nc"] = 3,
            ["ngf_global"] = o.Ngf, ["n_downsample_global"] = o.NDownsample, ["n_blocks_global"] = o.NBlocks,
            ["render_hw"] = new[] { o.Height, o.Width }, ["presenter"] = state.Identity.Presenter,
            ["presenter_clip_sha256"] = state.Identity.ClipSha256, ["iteration"] = state.Iteration,
        };
        var evaluation = new
        {
            iteration = state.Iteration, heldOutFrames = state.Latest.HeldOutFrames, l1 = state.Latest.L1, psnr = state.Latest.Psnr,
            untrainedL1 = state.Untrained.L1, untrainedPsnr = state.Untrained.Psnr,
        };
        var written = new List<(string Temp, string Final)>();
        string Temp(string final)
        {
            var temp = final + ".writing";
            written.Add((temp, final));
            return temp;
        }
        generator.save_py(Temp(Generator));
        discriminator.save_py(Temp(Discriminator));
        optimizerG.save_state_dict(Temp(OptimizerG));
        optimizerD.save_state_dict(Temp(OptimizerD));
        File.WriteAllText(Temp(Config), JsonSerializer.Serialize(config, Json));
        File.WriteAllText(Temp(EvalJson), JsonSerializer.Serialize(evaluation, Json));
        File.WriteAllBytes(Temp(EvalPng), evalPng);
        File.WriteAllText(Temp(TrainingJson), JsonSerializer.Serialize(state, Json));
        foreach (var (temp, final) in written) File.Move(temp, final, overwrite: true);
    }

    /// <exception cref="CheckpointException">training.json is missing or unreadable, naming it.</exception>
    public TrainingState ReadState()
    {
        if (!Directory.Exists(Path)) throw new CheckpointException($"{Path}: no such training checkpoint folder to resume");
        if (!File.Exists(TrainingJson))
            throw new CheckpointException($"{TrainingJson}: missing, so {Path} is not a training checkpoint that can be resumed " +
                "(nius train presenter writes it with every checkpoint)");
        try
        {
            var state = JsonSerializer.Deserialize<TrainingState>(File.ReadAllText(TrainingJson), Json);
            if (state is null || state.Options is null || state.Identity is null || state.Untrained is null || state.Iteration < 0)
                throw new JsonException("fields are missing");
            return state;
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{TrainingJson}: not a readable training state ({e.Message})", e);
        }
    }

    /// <summary>Loads the saved networks and optimizer states into freshly built ones of the same sizes.</summary>
    /// <exception cref="CheckpointException">a file missing, corrupt or of other sizes, naming it.</exception>
    public void LoadInto(GlobalGenerator generator, MultiscaleDiscriminator discriminator, OptimizerHelper optimizerG, OptimizerHelper optimizerD)
    {
        foreach (var file in new[] { Generator, Discriminator, OptimizerG, OptimizerD })
            if (!File.Exists(file)) throw new CheckpointException($"{file}: missing; --resume needs the whole checkpoint folder");
        StateDict.LoadInto(generator, Generator);
        StateDict.LoadInto(discriminator, Discriminator);
        LoadOptimizer(optimizerG, OptimizerG);
        LoadOptimizer(optimizerD, OptimizerD);
    }

    private static void LoadOptimizer(OptimizerHelper optimizer, string file)
    {
        try { optimizer.load_state_dict(file); }
        catch (Exception e) when (e is not CheckpointException)
        {
            throw new CheckpointException($"{file}: not a readable optimizer state for these networks ({e.GetType().Name}: {e.Message})", e);
        }
    }

    public void ResetLosses() => File.WriteAllText(Losses, "iteration,g_gan,g_feat,g_vgg,d_real,d_fake\n");

    /// <summary>Drops loss lines after the saved iteration (written after the last checkpoint by a run that was
    /// then killed), so the file stays one line per iteration.</summary>
    public void TruncateLosses(long iteration)
    {
        if (!File.Exists(Losses)) { ResetLosses(); return; }
        var lines = File.ReadAllLines(Losses);
        var kept = lines.Take(1).Concat(lines.Skip(1).Where(l => long.TryParse(l.Split(',')[0], out var i) && i < iteration));
        File.WriteAllLines(Losses, kept);
    }

    public StreamWriter AppendLosses() => new(Losses, append: true);

    /// <summary>Each iteration's losses as written.</summary>
    public IReadOnlyList<IterationLosses> ReadLosses() =>
        File.ReadAllLines(Losses).Skip(1).Where(l => l.Length > 0).Select(l =>
        {
            var v = l.Split(',');
            double D(int i) => double.Parse(v[i], System.Globalization.CultureInfo.InvariantCulture);
            return new IterationLosses(long.Parse(v[0], System.Globalization.CultureInfo.InvariantCulture), D(1), D(2), D(3), D(4), D(5));
        }).ToArray();
}
