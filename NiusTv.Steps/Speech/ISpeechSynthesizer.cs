namespace NiusTv.Steps.Speech;

/// <summary>A text-to-speech backend. One call synthesizes a whole story so that the audio and its timings
/// come from the same run and cannot drift apart.</summary>
public interface ISpeechSynthesizer
{
    /// <summary>Backend name, also the value of a story's <c>voice</c> field that selects it.</summary>
    string Name { get; }

    /// <summary>Whether this node can run the backend (program, voice data or library installed).</summary>
    bool IsAvailable { get; }

    /// <summary>Writes one 16-bit PCM mono WAV to <paramref name="wavPath"/> holding the paragraphs in order
    /// with a pause between them. Blank paragraphs are skipped but keep their index, so timings still point
    /// at the story's paragraph numbers (images refer to those). Throws <see cref="StepFailure"/>.</summary>
    /// <param name="progress">Fraction (0..1) of the paragraphs synthesized, for the story timeline.</param>
    Task<SpeechResult> SynthesizeAsync(IReadOnlyList<string> paragraphs, string wavPath, CancellationToken ct,
        IProgress<double>? progress = null);
}

/// <param name="WavPath">The file written (the <c>wavPath</c> argument).</param>
/// <param name="Elapsed">Wall-clock time of the synthesis, for metrics (real-time factor).</param>
public sealed record SpeechResult(SpeechTimings Timings, string WavPath, TimeSpan Elapsed);
