namespace NiusTv.Steps.Speech;

/// <summary>A text-to-speech backend. One call synthesizes a whole story so that the audio and its timings
/// come from the same run and cannot drift apart.</summary>
public interface ISpeechSynthesizer
{
    /// <summary>Backend name (<c>festival</c>, <c>espeak-ng</c>, <c>tacotron2</c>); a story's <c>voice</c> may name it
    /// for the backend's first voice.</summary>
    string Name { get; }

    /// <summary>The one voice this instance speaks with; its name is what a story's <c>voice</c> field selects.</summary>
    VoiceInfo Voice { get; }

    /// <summary>Whether this node can run the backend (program, voice data or library installed).</summary>
    bool IsAvailable { get; }

    /// <summary>Writes one 16-bit PCM mono WAV to <paramref name="wavPath"/> holding the paragraphs in order
    /// with a pause between them. Blank paragraphs are skipped but keep their index, so timings still point
    /// at the story's paragraph numbers (images refer to those). Throws <see cref="StepFailure"/>.</summary>
    /// <param name="progress">Fraction (0..1) of the paragraphs synthesized, for the story timeline.</param>
    /// <param name="pronunciations">Words to say as the editors wrote them (story over newsroom dictionary), in the
    /// backend's own way: Festival lexicon entries, espeak-ng phoneme input, Tacotron2 ARPAbet.</param>
    Task<SpeechResult> SynthesizeAsync(IReadOnlyList<string> paragraphs, string wavPath, CancellationToken ct,
        IProgress<double>? progress = null, Phonemes.PronunciationSet? pronunciations = null);
}

/// <summary>A voice a node offers (<c>nius voices</c>): <paramref name="Language"/> as a BCP 47 tag,
/// <paramref name="Gender"/> <c>female</c> or <c>male</c>, <paramref name="Backend"/> the synthesizer.</summary>
public sealed record VoiceInfo(string Name, string Language, string Gender, string Backend);

/// <param name="WavPath">The file written (the <c>wavPath</c> argument).</param>
/// <param name="Elapsed">Wall-clock time of the synthesis, for metrics (real-time factor).</param>
public sealed record SpeechResult(SpeechTimings Timings, string WavPath, TimeSpan Elapsed);
