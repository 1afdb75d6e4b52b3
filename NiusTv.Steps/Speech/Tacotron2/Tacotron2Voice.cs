using NiusTv.Steps.Models;
using NiusTv.Steps.Speech.WaveGlow;
using TorchSharp;
using static TorchSharp.torch;
using WaveGlowModel = NiusTv.Steps.Speech.WaveGlow.WaveGlow;

namespace NiusTv.Steps.Speech.Tacotron2;

/// <summary>Tacotron2 and WaveGlow loaded for speaking, with the denoiser's bias spectrum: built once per node.</summary>
public sealed class Tacotron2Voice : IDisposable
{
    public const string Tacotron2Name = "tacotron2";
    public const string WaveGlowName = "waveglow";

    private Tacotron2Voice(LoadedModel tacotron2, LoadedModel waveglow, Tacotron2Config config, WaveGlowDenoiser denoiser,
        ModelDevice device, ScalarType waveglowType)
    {
        Tacotron2 = tacotron2;
        WaveGlow = waveglow;
        Config = config;
        Denoiser = denoiser;
        Device = device;
        WaveGlowType = waveglowType;
    }

    public LoadedModel Tacotron2 { get; }
    public LoadedModel WaveGlow { get; }
    public Tacotron2Config Config { get; }
    public WaveGlowDenoiser Denoiser { get; }
    public ModelDevice Device { get; }
    public ScalarType WaveGlowType { get; }

    /// <summary>config.json in the checkpoint's folder, or null (the published defaults then apply).</summary>
    public static string? ConfigBeside(string checkpoint)
    {
        var path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(checkpoint))!, "config.json");
        return File.Exists(path) ? path : null;
    }

    /// <summary>Loads both checkpoints into <paramref name="registry"/>. Throws <see cref="CheckpointException"/> naming
    /// the file and every missing, unexpected and mis-shaped key, or the configuration value that does not fit.</summary>
    public static Tacotron2Voice Load(Tacotron2SpeechOptions options, ModelRegistry registry)
    {
        var device = registry.Device;
        if (options.Fp16 && !device.IsCuda)
            throw new CheckpointException("fp16 is for CUDA only: half-precision convolutions on the CPU are slow or missing; set Models:Device to cuda or turn fp16 off");

        var t2Path = Path.GetFullPath(options.Tacotron2Checkpoint);
        var wgPath = Path.GetFullPath(options.WaveGlowCheckpoint);
        // A missing file first: its absent config.json would otherwise show up as a confusing size mismatch.
        foreach (var path in new[] { t2Path, wgPath })
            if (!File.Exists(path)) throw new CheckpointException($"{path}: no such checkpoint file");
        var t2ConfigPath = ConfigBeside(t2Path);
        Tacotron2Config t2Config;
        try { t2Config = Tacotron2Config.Load(t2ConfigPath); }
        catch (System.Text.Json.JsonException e) { throw new CheckpointException($"{t2ConfigPath}: not valid JSON ({e.Message})", e); }
        if (t2Config.NSymbols != Tacotron2Text.Symbols.Count)
            throw new CheckpointException($"{t2ConfigPath}: n_symbols is {t2Config.NSymbols}, but NVIDIA's text front end has {Tacotron2Text.Symbols.Count} symbols; " +
                "a checkpoint trained with another symbol table cannot be spoken through it");

        var wgConfigPath = ConfigBeside(wgPath);
        WaveGlowConfig wgConfig;
        try { wgConfig = WaveGlowConfig.Load(wgConfigPath); }
        catch (System.Text.Json.JsonException e) { throw new CheckpointException($"{wgConfigPath}: not valid JSON ({e.Message})", e); }
        if (wgConfig.NMelChannels != t2Config.NMelChannels)
            throw new CheckpointException($"WaveGlow ({wgConfigPath ?? "published defaults"}) takes {wgConfig.NMelChannels} mel channels " +
                $"but Tacotron2 ({t2ConfigPath ?? "published defaults"}) makes {t2Config.NMelChannels}: the two checkpoints do not belong together");

        // Both files are read before anything is registered, so a bad second file reports at once and leaves nothing half-loaded.
        var t2 = new Tacotron2(t2Config);
        var wg = new WaveGlowModel(wgConfig);
        try
        {
            StateDict.LoadInto(t2, t2Path);
            wg.Load(wgPath);
        }
        catch
        {
            t2.Dispose();
            wg.Dispose();
            throw;
        }
        t2.eval();
        wg.eval();
        t2.to(device.Torch);
        wg.to(device.Torch);
        var wgType = ScalarType.Float32;
        if (options.Fp16)
        {
            wg.half();
            wgType = ScalarType.Float16;
        }
        using (no_grad()) wg.PrepareInverses();

        var t2Entry = registry.Register(Tacotron2Name, "Tacotron2", t2Path, t2);
        var wgEntry = registry.Register(WaveGlowName, "WaveGlow", wgPath, wg);
        WaveGlowDenoiser denoiser;
        using (no_grad()) denoiser = new WaveGlowDenoiser(wg, wgConfig.NMelChannels, device.Torch, wgType);
        return new Tacotron2Voice(t2Entry, wgEntry, t2Config, denoiser, device, wgType);
    }

    public void Dispose() => Denoiser.Dispose();
}
