using System.Text.Json;
using NiusTv.Steps.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace NiusTv.Steps.Render.Pix2PixHD;

/// <summary>A pix2pixHD generator loaded once, on its device, ready to render: the weights (state_dict.pt, or
/// pix2pixHD's own latest_net_G.pth) with the config.json beside them. Independent of any registry, so a node-wide
/// model registry can hold it like any other model.</summary>
/// <remarks>config.json keys read here, besides the sizes <see cref="Pix2PixHDConfig"/> reads (top level or under
/// "params"): <c>netG</c> ("global" or "local"; absent: told from the weights, local when they hold model1_1.*),
/// <c>label_nc</c> (the one-hot width; must equal the input width, since the label map brings no instance-edge or
/// feature channels, and be at least <see cref="FaceRegions.Count"/>), and <c>render_hw</c> ([H, W], optional: the
/// size the generator was trained at; label maps are then drawn at that size and frames resized to the slot).</remarks>
public sealed class Pix2PixHDCheckpoint : IDisposable
{
    private Pix2PixHDCheckpoint(nn.Module<Tensor, Tensor> generator, Pix2PixHDConfig config, bool local, int labelNc,
        (int Height, int Width)? renderSize, Device device, ScalarType dtype, string source, long parameters,
        Training.TrainingIdentity? trainedFor = null)
    {
        TrainedFor = trainedFor;
        Generator = generator;
        Config = config;
        IsLocal = local;
        LabelNc = labelNc;
        RenderSize = renderSize;
        Device = device;
        DType = dtype;
        Source = source;
        Parameters = parameters;
    }

    public nn.Module<Tensor, Tensor> Generator { get; }
    public Pix2PixHDConfig Config { get; }
    /// <summary>netG=local (LocalEnhancer) rather than global.</summary>
    public bool IsLocal { get; }
    public int LabelNc { get; }
    public (int Height, int Width)? RenderSize { get; }
    public Device Device { get; }
    /// <summary>Float16 on CUDA, Float32 on the CPU.</summary>
    public ScalarType DType { get; }
    /// <summary>The weights file it came from.</summary>
    public string Source { get; }
    public long Parameters { get; }
    /// <summary>The presenter and clip a checkpoint made by <c>nius train presenter</c> learned (config.json's
    /// <c>presenter</c> and <c>presenter_clip_sha256</c>); null for other checkpoints.</summary>
    public Training.TrainingIdentity? TrainedFor { get; }
    public long ParameterBytes => Parameters * (DType == ScalarType.Float16 ? 2 : 4);

    /// <summary>Input height and width must be multiples of this: each downsampling halves them, and so does the
    /// LocalEnhancer's input pyramid.</summary>
    public int SizeMultiple => 1 << (Config.NDownsampleGlobal + (IsLocal ? Config.NLocalEnhancers : 0));

    /// <param name="path">A folder holding state_dict.pt (or latest_net_G.pth) and config.json, or the weights file
    /// itself with config.json beside it.</param>
    /// <param name="device">cpu, cuda or cuda:N.</param>
    /// <exception cref="CheckpointException">missing, unreadable or mismatched weights (every missing, unexpected and
    /// mis-shaped key listed), or a config the label map cannot feed.</exception>
    public static Pix2PixHDCheckpoint Load(string path, string device = "cpu")
    {
        var weights = WeightsPath(path);
        var configPath = Path.Combine(Path.GetDirectoryName(weights)!, "config.json");
        var config = Pix2PixHDConfig.Load(configPath);
        var (netG, labelNc, renderSize, trainedFor) = ReadRenderKeys(configPath, config);
        var target = ParseDevice(device);

        var tensors = StateDict.Read(weights);
        try
        {
            var local = netG switch
            {
                "local" => true,
                "global" => false,
                null => tensors.Keys.Any(k => k.StartsWith("model1_1.", StringComparison.Ordinal)),
                _ => throw new CheckpointException($"{configPath}: netG \"{netG}\" is not a pix2pixHD generator: use global or local"),
            };
            if (labelNc != config.InputNc)
                throw new CheckpointException($"{configPath}: label_nc {labelNc} but the generator takes {config.InputNc} input channels; " +
                    "the face label map feeds one-hot labels only (no instance-edge or feature channels), so they must be equal");
            if (labelNc < FaceRegions.Count)
                throw new CheckpointException($"{configPath}: label_nc {labelNc} is too small for the face label map, which uses " +
                    $"{FaceRegions.Count} ids (0-{FaceRegions.Count - 1}: {string.Join(", ", FaceRegions.Names)}); " +
                    "a checkpoint for it must be trained with label_nc >= " + FaceRegions.Count);
            var multiple = 1 << (config.NDownsampleGlobal + (local ? config.NLocalEnhancers : 0));
            if (renderSize is { } rs && (rs.Height % multiple != 0 || rs.Width % multiple != 0 || rs.Height <= 0 || rs.Width <= 0))
                throw new CheckpointException($"{configPath}: render_hw [{rs.Height}, {rs.Width}] must be positive multiples of {multiple} " +
                    $"(2^{(local ? "(n_downsample_global + n_local_enhancers)" : "n_downsample_global")})");

            nn.Module<Tensor, Tensor> generator = local
                ? new LocalEnhancer(config)
                : new GlobalGenerator(config.InputNc, config.OutputNc, config.NgfGlobal, config.NDownsampleGlobal, config.NBlocksGlobal);
            try
            {
                StateDict.LoadInto(generator, tensors, weights);
                var dtype = target.type == DeviceType.CUDA ? ScalarType.Float16 : ScalarType.Float32;
                generator.to(target).to(dtype);
                generator.eval();
                var parameters = generator.parameters().Sum(p => p.numel());
                return new Pix2PixHDCheckpoint(generator, config, local, labelNc, renderSize, target, dtype, weights, parameters, trainedFor);
            }
            catch
            {
                generator.Dispose();
                throw;
            }
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>A generator of <paramref name="config"/>'s sizes with PyTorch's default random initialisation, for
    /// benchmarks (the frames are noise).</summary>
    public static Pix2PixHDCheckpoint RandomWeights(Pix2PixHDConfig config, bool local, string device = "cpu")
    {
        if (config.InputNc < FaceRegions.Count)
            throw new CheckpointException($"input_nc {config.InputNc} is too small for the face label map's {FaceRegions.Count} ids");
        var target = ParseDevice(device);
        nn.Module<Tensor, Tensor> generator = local
            ? new LocalEnhancer(config)
            : new GlobalGenerator(config.InputNc, config.OutputNc, config.NgfGlobal, config.NDownsampleGlobal, config.NBlocksGlobal);
        var dtype = target.type == DeviceType.CUDA ? ScalarType.Float16 : ScalarType.Float32;
        generator.to(target).to(dtype);
        generator.eval();
        return new Pix2PixHDCheckpoint(generator, config, local, config.InputNc, null, target, dtype, "random weights",
            generator.parameters().Sum(p => p.numel()));
    }

    private static string WeightsPath(string path)
    {
        if (File.Exists(path)) return Path.GetFullPath(path);
        if (Directory.Exists(path))
        {
            foreach (var name in new[] { "state_dict.pt", "latest_net_G.pth" })
            {
                var candidate = Path.Combine(path, name);
                if (File.Exists(candidate)) return Path.GetFullPath(candidate);
            }
            throw new CheckpointException($"{path}: no pix2pixHD weights in this folder (looked for state_dict.pt and latest_net_G.pth)");
        }
        throw new CheckpointException($"{path}: no such pix2pixHD checkpoint (a folder with state_dict.pt and config.json, or the weights file)");
    }

    private static (string? NetG, int LabelNc, (int Height, int Width)? RenderSize, Training.TrainingIdentity? TrainedFor) ReadRenderKeys(
        string configPath, Pix2PixHDConfig config)
    {
        if (!File.Exists(configPath)) return (null, config.InputNc, null, null);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllText(configPath)); }
        catch (JsonException e) { throw new CheckpointException($"{configPath}: not valid JSON ({e.Message})", e); }
        using (doc)
        {
            var root = doc.RootElement;
            var p = root.TryGetProperty("params", out var nested) && nested.ValueKind == JsonValueKind.Object ? nested : root;
            JsonElement Find(string name) => p.TryGetProperty(name, out var v) ? v : root.TryGetProperty(name, out var w) ? w : default;
            var netG = Find("netG") is { ValueKind: JsonValueKind.String } n ? n.GetString() : null;
            var labelNc = Find("label_nc") is { ValueKind: JsonValueKind.Number } l ? l.GetInt32() : config.InputNc;
            (int Height, int Width)? size = null;
            if (Find("render_hw") is { ValueKind: JsonValueKind.Array } hw)
            {
                var v = hw.EnumerateArray().Select(e => e.TryGetInt32(out var i) ? i : -1).ToArray();
                if (v.Length != 2 || v.Any(i => i <= 0))
                    throw new CheckpointException($"{configPath}: render_hw must be [height, width] in pixels, not {hw.GetRawText()}");
                size = (v[0], v[1]);
            }
            Training.TrainingIdentity? trainedFor = null;
            if (Find("presenter") is { ValueKind: JsonValueKind.String } who)
                trainedFor = Find("presenter_clip_sha256") is { ValueKind: JsonValueKind.String } sha && sha.GetString() is { Length: 64 } hex
                    ? new Training.TrainingIdentity(who.GetString()!, hex)
                    : throw new CheckpointException($"{configPath}: names presenter \"{who.GetString()}\" but no presenter_clip_sha256 (64 hex digits) of the clip it was trained on");
            return (netG, labelNc, size, trainedFor);
        }
    }

    /// <summary>cpu, cuda, cuda:N; CUDA only where this build's libtorch has it and a GPU is present.</summary>
    public static Device ParseDevice(string device)
    {
        var name = device.Trim().ToLowerInvariant();
        if (name == "cpu") return CPU;
        if (name == "cuda" || name.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
                throw new CheckpointException($"device '{device}': CUDA is not available here (this build's libtorch is " +
                    "TorchSharp-cpu, or no GPU is visible); use cpu, or build with -p:NiusTvTorchPackage=TorchSharp-cuda-linux on a GPU machine");
            if (name == "cuda") return CUDA;
            if (!int.TryParse(name[5..], out var index) || index < 0 || index >= cuda.device_count())
                throw new CheckpointException($"device '{device}': no such GPU (this machine has {cuda.device_count()})");
            return torch.device(DeviceType.CUDA, index);
        }
        throw new CheckpointException($"device '{device}' is not one of cpu, cuda, cuda:N");
    }

    public void Dispose() => Generator.Dispose();
}
