using System.ComponentModel;
using System.Globalization;
using NiusTv.Steps;
using NiusTv.Steps.Models;
using NiusTv.Steps.Speech.Tacotron2;

namespace NiusTv.Host.Node.Settings;

[Description("a speech backend")]
[TypeConverter(typeof(ChoiceConverter<SpeechBackend>))]
public enum SpeechBackend
{
    /// <summary>Tacotron2 when its checkpoints are set, then Festival, else espeak-ng.</summary>
    Auto,
    Tacotron2,
    Festival,
    [Choice("espeak-ng", "espeak")] EspeakNg,
}

[Description("an aligner")]
[TypeConverter(typeof(ChoiceConverter<PhonemesAligner>))]
public enum PhonemesAligner
{
    /// <summary>The synthesizer's phone timings when it gave Festival phones, else pocketsphinx.</summary>
    Auto,
    Synthesizer,
    Pocketsphinx,
    Gentle,
}

[Description("a renderer")]
[TypeConverter(typeof(ChoiceConverter<AnchorRenderer>))]
public enum AnchorRenderer
{
    /// <summary>The presenter's photo warped to each frame's landmarks, on the CPU.</summary>
    Warp,
    Sketch,
    [Choice("pix2pixhd")] Pix2PixHD,
    /// <summary>A presenter made from a clip is always drawn by footage.</summary>
    Footage,
}

/// <summary>Speech:* — which voice speaks, and the Tacotron2 + WaveGlow voice when both checkpoints are set.</summary>
public sealed class SpeechSettings : INodeSection
{
    public static string Section => "Speech";

    public SpeechBackend Backend { get; set; }
    public Tacotron2Section Tacotron2 { get; set; } = new();
    public WaveGlowSection WaveGlow { get; set; } = new();

    public sealed class Tacotron2Section
    {
        public string? Checkpoint { get; set; }
        /// <summary>Null: config.json's max_decoder_steps.</summary>
        public int? MaxDecoderSteps { get; set; }
        /// <summary>Null: config.json's gate_threshold.</summary>
        public double? GateThreshold { get; set; }
        public int Retries { get; set; } = 2;
        public bool AcceptIncompleteDecodes { get; set; }
        public double SentencePauseSeconds { get; set; } = 0.25;
        public int MaxSentenceChars { get; set; } = 180;
    }

    public sealed class WaveGlowSection
    {
        public string? Checkpoint { get; set; }
        public double Sigma { get; set; } = 0.666;
        public double DenoiserStrength { get; set; } = 0.01;
    }

    /// <summary>The tacotron2 voice, or null when neither checkpoint is set.</summary>
    public Tacotron2SpeechOptions? Tacotron2Voice(ModelsSettings models) =>
        Tacotron2.Checkpoint is { Length: > 0 } t2 && WaveGlow.Checkpoint is { Length: > 0 } wg
            ? new Tacotron2SpeechOptions
            {
                Tacotron2Checkpoint = t2, WaveGlowCheckpoint = wg, Sigma = WaveGlow.Sigma, DenoiserStrength = WaveGlow.DenoiserStrength,
                MaxDecoderSteps = Tacotron2.MaxDecoderSteps, GateThreshold = Tacotron2.GateThreshold, Retries = Tacotron2.Retries,
                AcceptIncompleteDecodes = Tacotron2.AcceptIncompleteDecodes, SentencePauseSeconds = Tacotron2.SentencePauseSeconds,
                MaxSentenceChars = Tacotron2.MaxSentenceChars, Fp16 = models.Fp16,
            }
            : null;

    public IEnumerable<SettingsException> Problems()
    {
        // Both checkpoints or neither: Tacotron2 makes mels, and only WaveGlow turns them into sound here.
        bool t2 = Tacotron2.Checkpoint is { Length: > 0 }, wg = WaveGlow.Checkpoint is { Length: > 0 };
        if (wg && !t2) yield return new("Speech:Tacotron2:Checkpoint", "Speech:WaveGlow:Checkpoint is set, but WaveGlow needs Tacotron2's mels: set the Tacotron2 state dict too");
        if (t2 && !wg) yield return new("Speech:WaveGlow:Checkpoint", "Speech:Tacotron2:Checkpoint is set, but its mels need WaveGlow to become audio: set the WaveGlow state dict too");
        if (Tacotron2.MaxDecoderSteps is <= 0) yield return new("Speech:Tacotron2:MaxDecoderSteps", "must be a positive number of decoder steps");
        if (Tacotron2.GateThreshold is <= 0 or >= 1) yield return new("Speech:Tacotron2:GateThreshold", "must lie between 0 and 1");
        if (WaveGlow.Sigma < 0) yield return new("Speech:WaveGlow:Sigma", "must not be negative");
        if (WaveGlow.DenoiserStrength < 0) yield return new("Speech:WaveGlow:DenoiserStrength", "must not be negative (0 turns the denoiser off)");
        if (Tacotron2.Retries < 0) yield return new("Speech:Tacotron2:Retries", "must not be negative");
        if (Tacotron2.SentencePauseSeconds < 0) yield return new("Speech:Tacotron2:SentencePauseSeconds", "must not be negative");
        if (Tacotron2.MaxSentenceChars < 20) yield return new("Speech:Tacotron2:MaxSentenceChars", "must be at least 20 characters");
    }
}

/// <summary>Models:* — where the neural models run.</summary>
public sealed class ModelsSettings : INodeSection
{
    public static string Section => "Models";

    /// <summary>cpu, cuda or cuda:N.</summary>
    public string? Device { get; set; }
    /// <summary>WaveGlow in half precision (CUDA only).</summary>
    public bool Fp16 { get; set; }

    public ModelDevice ModelDevice => ModelDevice.Parse(Device);

    public IEnumerable<SettingsException> Problems()
    {
        string? problem = null;
        try { _ = ModelDevice.Parse(Device); }
        catch (FormatException e) { problem = e.Message; }
        if (problem is not null) yield return new("Models:Device", problem);
    }
}

/// <summary>Phonemes:* — the aligner, and the pronouncer's lexicon, dictionary and g2p model.</summary>
public sealed class PhonemesSettings : INodeSection
{
    public static string Section => "Phonemes";

    public PhonemesAligner Aligner { get; set; }
    /// <summary>Base address of a gentle server, e.g. http://127.0.0.1:8765.</summary>
    public string? GentleUrl { get; set; }
    /// <summary>The node's user lexicon (word PH PH … lines) that wins over dictionary and model.</summary>
    public string? Lexicon { get; set; }
    /// <summary>The CMU pronouncing dictionary (default Debian's pocketsphinx-en-us copy).</summary>
    public string? Dictionary { get; set; }
    /// <summary>The g2p model folder (default the shipped models/g2p).</summary>
    public string? Model { get; set; }

    public IEnumerable<SettingsException> Problems() => [];
}

/// <summary>Render:* — which renderer draws the anchor, and the pix2pixHD checkpoint that offers the neural one.</summary>
public sealed class RenderSettings : INodeSection
{
    public static string Section => "Render";

    public AnchorRenderer Renderer { get; set; }
    public Pix2PixHDSection Pix2PixHD { get; set; } = new();

    public sealed class Pix2PixHDSection
    {
        /// <summary>A folder with state_dict.pt and config.json, or the weights file. Null: no neural renderer. Loaded
        /// once at start-up, so a bad one stops the node.</summary>
        public string? Checkpoint { get; set; }
        /// <summary>cpu, cuda or cuda:N.</summary>
        public string Device { get; set; } = "cpu";
        /// <summary>Frames per generator call.</summary>
        public int BatchSize { get; set; } = 4;
    }

    public IEnumerable<SettingsException> Problems()
    {
        if (Pix2PixHD.BatchSize <= 0) yield return new("Render:Pix2PixHD:BatchSize", $"'{Pix2PixHD.BatchSize}' is not a positive number");
    }
}

/// <summary>Compose:* — the title card and the x264 preset.</summary>
public sealed class ComposeSettings : INodeSection
{
    public static string Section => "Compose";

    public double TitleCardSeconds { get; set; } = 2.0;
    public string Preset { get; set; } = "veryfast";

    public IEnumerable<SettingsException> Problems() => [];
}

/// <summary>Output:* — what every published video is normalized to.</summary>
public sealed class OutputSettings : INodeSection
{
    public const double MinLoudness = -36, MaxLoudness = -10;

    public static string Section => "Output";

    /// <summary>The integrated loudness in LUFS, as written: "-16", "-23 LUFS" and "−16" all read.</summary>
    public string Loudness { get; set; } = "-16";

    public double LoudnessLufs => ParseLoudness(Loudness) ?? throw Problems().First();

    public IEnumerable<SettingsException> Problems()
    {
        if (ParseLoudness(Loudness) is null)
            yield return new("Output:Loudness", $"'{Loudness}' is not a target loudness: give integrated LUFS between {MinLoudness} and {MaxLoudness}, e.g. -16 (streaming) or -23 (EBU R128 broadcast)");
    }

    private static double? ParseLoudness(string? value)
    {
        var text = (value ?? "").Trim().Replace('\u2212', '-');
        if (text.EndsWith("LUFS", StringComparison.OrdinalIgnoreCase)) text = text[..^4].TrimEnd();
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= MinLoudness && n <= MaxLoudness ? n : null;
    }
}

/// <summary>Storage:* — the Cloud Storage endpoint (a test server); else STORAGE_EMULATOR_HOST, else Google.</summary>
public sealed class StorageSettings : INodeSection
{
    public static string Section => "Storage";

    public string? Endpoint { get; set; }

    public IEnumerable<SettingsException> Problems() => [];
}
