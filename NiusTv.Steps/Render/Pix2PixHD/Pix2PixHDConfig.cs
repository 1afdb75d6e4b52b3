using System.Text.Json;

namespace NiusTv.Steps.Render.Pix2PixHD;

/// <summary>pix2pixHD generator sizes. The defaults are the published label2city models (512p global, 1024p local):
/// 35 Cityscapes labels plus the instance-edge channel make 36 inputs.</summary>
public sealed record Pix2PixHDConfig
{
    public int InputNc { get; init; } = 36;
    public int OutputNc { get; init; } = 3;
    /// <summary>ngf of the GlobalGenerator (netG=global's --ngf). For the LocalEnhancer it is NgfLocal * 2^NLocalEnhancers.</summary>
    public int NgfGlobal { get; init; } = 64;
    /// <summary>--ngf of a netG=local model: the channels of the finest local branch.</summary>
    public int NgfLocal { get; init; } = 32;
    public int NDownsampleGlobal { get; init; } = 4;
    public int NBlocksGlobal { get; init; } = 9;
    public int NLocalEnhancers { get; init; } = 1;
    public int NBlocksLocal { get; init; } = 3;

    /// <summary>Reads config.json in the fixture format (sizes under "params") or with the same names at the top
    /// level; a missing file or key keeps the published default.</summary>
    public static Pix2PixHDConfig Load(string? path)
    {
        var config = new Pix2PixHDConfig();
        if (path is null || !File.Exists(path)) return config;
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        var p = root.TryGetProperty("params", out var nested) && nested.ValueKind == JsonValueKind.Object ? nested : root;
        int Get(string name, int fallback) => p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : fallback;
        // label_nc is the network's input width when no instance map or feature channels are concatenated (the fixtures).
        var input = Get("input_nc", Get("label_nc", config.InputNc));
        var local = Get("ngf_local", Get("ngf", config.NgfLocal));
        var enhancers = Get("n_local_enhancers", config.NLocalEnhancers);
        return new Pix2PixHDConfig
        {
            InputNc = input,
            OutputNc = Get("output_nc", config.OutputNc),
            NgfGlobal = Get("ngf_global", config.NgfGlobal),
            NgfLocal = local,
            NDownsampleGlobal = Get("n_downsample_global", config.NDownsampleGlobal),
            NBlocksGlobal = Get("n_blocks_global", config.NBlocksGlobal),
            NLocalEnhancers = enhancers,
            NBlocksLocal = Get("n_blocks_local", config.NBlocksLocal),
        };
    }
}
