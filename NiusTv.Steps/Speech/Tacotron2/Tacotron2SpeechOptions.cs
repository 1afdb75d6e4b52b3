namespace NiusTv.Steps.Speech.Tacotron2;

/// <summary>The tacotron2 speech backend's settings (Speech:Tacotron2:* and Speech:WaveGlow:* on a node).</summary>
public sealed record Tacotron2SpeechOptions
{
    /// <summary>Tacotron2 state dict; its config.json (fixture format, "hparams") is read from the same folder.</summary>
    public required string Tacotron2Checkpoint { get; init; }

    /// <summary>WaveGlow state dict, with or without weight norm; config.json ("waveglow_config") beside it.</summary>
    public required string WaveGlowCheckpoint { get; init; }

    /// <summary>WaveGlow's noise scale; 0.666 is NVIDIA's inference default.</summary>
    public double Sigma { get; init; } = 0.666;

    /// <summary>How much of the hiss spectrum the denoiser subtracts; 0 turns it off. NVIDIA's notebook uses 0.01.</summary>
    public double DenoiserStrength { get; init; } = 0.01;

    /// <summary>Decoder steps allowed per sentence (80 frames ≈ 0.93 s at hop 256); null: config.json's max_decoder_steps.</summary>
    public int? MaxDecoderSteps { get; init; }

    /// <summary>Stop when sigmoid(gate) exceeds this; null: config.json's gate_threshold (0.5).</summary>
    public double? GateThreshold { get; init; }

    /// <summary>Further tries for a sentence whose decode did not finish; the prenet's dropout makes each try differ.</summary>
    public int Retries { get; init; } = 2;

    /// <summary>Keep a decode that hit the step limit or whose attention stopped short of the end of the text instead
    /// of failing the step. Off in production: such audio is cut off or babbles. For tests with random weights, whose
    /// decodes never finish.</summary>
    public bool AcceptIncompleteDecodes { get; init; }

    /// <summary>Silence between sentences of a paragraph (paragraphs get SpeechAssembly's longer gap).</summary>
    public double SentencePauseSeconds { get; init; } = 0.25;

    /// <summary>Sentences longer than this are cut at a comma or space: LJSpeech's clips, which the published model
    /// learned from, are at most about 10 s, and attention drifts beyond what it saw.</summary>
    public int MaxSentenceChars { get; init; } = 180;

    /// <summary>WaveGlow in half precision, as NVIDIA's inference.py runs it on GPUs. CUDA only.</summary>
    public bool Fp16 { get; init; }
}
