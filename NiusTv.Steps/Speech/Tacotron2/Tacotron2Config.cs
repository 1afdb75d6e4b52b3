using System.Text.Json;

namespace NiusTv.Steps.Speech.Tacotron2;

/// <summary>Tacotron2 hparams; the defaults are NVIDIA/tacotron2 hparams.py (the published LJSpeech model).</summary>
public sealed record Tacotron2Config
{
    public int NMelChannels { get; init; } = 80;
    public int NSymbols { get; init; } = 148;
    public int SymbolsEmbeddingDim { get; init; } = 512;
    public int EncoderKernelSize { get; init; } = 5;
    public int EncoderNConvolutions { get; init; } = 3;
    public int EncoderEmbeddingDim { get; init; } = 512;
    public int DecoderRnnDim { get; init; } = 1024;
    public int PrenetDim { get; init; } = 256;
    public int MaxDecoderSteps { get; init; } = 1000;
    public double GateThreshold { get; init; } = 0.5;
    public int AttentionRnnDim { get; init; } = 1024;
    public int AttentionDim { get; init; } = 128;
    public int AttentionLocationNFilters { get; init; } = 32;
    public int AttentionLocationKernelSize { get; init; } = 31;
    public int PostnetEmbeddingDim { get; init; } = 512;
    public int PostnetKernelSize { get; init; } = 5;
    public int PostnetNConvolutions { get; init; } = 5;
    /// <summary>Audio rate the mels were computed at (hparams sampling_rate): the rate of the WAV the vocoder makes.</summary>
    public int SamplingRate { get; init; } = 22050;

    /// <summary>Reads "hparams" (the fixture format) or the same names at the top level; missing keys keep the defaults.</summary>
    public static Tacotron2Config Load(string? path)
    {
        var d = new Tacotron2Config();
        if (path is null || !File.Exists(path)) return d;
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        var h = root.TryGetProperty("hparams", out var nested) && nested.ValueKind == JsonValueKind.Object ? nested : root;
        int I(string n, int f) => h.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : f;
        double D(string n, double f) => h.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : f;
        if (I("n_frames_per_step", 1) != 1) throw new Models.CheckpointException($"{path}: n_frames_per_step must be 1 (as in NVIDIA's code)");
        return new Tacotron2Config
        {
            NMelChannels = I("n_mel_channels", d.NMelChannels), NSymbols = I("n_symbols", d.NSymbols),
            SymbolsEmbeddingDim = I("symbols_embedding_dim", d.SymbolsEmbeddingDim), EncoderKernelSize = I("encoder_kernel_size", d.EncoderKernelSize),
            EncoderNConvolutions = I("encoder_n_convolutions", d.EncoderNConvolutions), EncoderEmbeddingDim = I("encoder_embedding_dim", d.EncoderEmbeddingDim),
            DecoderRnnDim = I("decoder_rnn_dim", d.DecoderRnnDim), PrenetDim = I("prenet_dim", d.PrenetDim),
            MaxDecoderSteps = I("max_decoder_steps", d.MaxDecoderSteps), GateThreshold = D("gate_threshold", d.GateThreshold),
            AttentionRnnDim = I("attention_rnn_dim", d.AttentionRnnDim), AttentionDim = I("attention_dim", d.AttentionDim),
            AttentionLocationNFilters = I("attention_location_n_filters", d.AttentionLocationNFilters),
            AttentionLocationKernelSize = I("attention_location_kernel_size", d.AttentionLocationKernelSize),
            PostnetEmbeddingDim = I("postnet_embedding_dim", d.PostnetEmbeddingDim), PostnetKernelSize = I("postnet_kernel_size", d.PostnetKernelSize),
            PostnetNConvolutions = I("postnet_n_convolutions", d.PostnetNConvolutions),
            SamplingRate = I("sampling_rate", d.SamplingRate),
        };
    }
}
