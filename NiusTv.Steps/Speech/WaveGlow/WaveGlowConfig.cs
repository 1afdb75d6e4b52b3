using System.Text.Json;

namespace NiusTv.Steps.Speech.WaveGlow;

/// <summary>WaveGlow sizes; the defaults are the published config.json of NVIDIA/waveglow (80 mels, 12 flows, WN 8x256).</summary>
public sealed record WaveGlowConfig
{
    public int NMelChannels { get; init; } = 80;
    public int NFlows { get; init; } = 12;
    public int NGroup { get; init; } = 8;
    public int NEarlyEvery { get; init; } = 4;
    public int NEarlySize { get; init; } = 2;
    public int WnLayers { get; init; } = 8;
    public int WnChannels { get; init; } = 256;
    public int WnKernelSize { get; init; } = 3;

    /// <summary>Reads "waveglow_config" (the key of both the fixtures and NVIDIA's own config.json) or the same names
    /// at the top level; a missing file or key keeps the published default.</summary>
    public static WaveGlowConfig Load(string? path)
    {
        var d = new WaveGlowConfig();
        if (path is null || !File.Exists(path)) return d;
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        var c = root.TryGetProperty("waveglow_config", out var nested) && nested.ValueKind == JsonValueKind.Object ? nested : root;
        var wn = c.TryGetProperty("WN_config", out var w) && w.ValueKind == JsonValueKind.Object ? w : default;
        static int Get(JsonElement e, string name, int fallback) =>
            e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : fallback;
        return new WaveGlowConfig
        {
            NMelChannels = Get(c, "n_mel_channels", d.NMelChannels),
            NFlows = Get(c, "n_flows", d.NFlows),
            NGroup = Get(c, "n_group", d.NGroup),
            NEarlyEvery = Get(c, "n_early_every", d.NEarlyEvery),
            NEarlySize = Get(c, "n_early_size", d.NEarlySize),
            WnLayers = Get(wn, "n_layers", d.WnLayers),
            WnChannels = Get(wn, "n_channels", d.WnChannels),
            WnKernelSize = Get(wn, "kernel_size", d.WnKernelSize),
        };
    }
}
