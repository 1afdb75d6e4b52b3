using System.Text.Json;

namespace NiusTv.Steps.Phonemes;

/// <summary>Where a pronunciation came from, in the order they are consulted.</summary>
public enum PronunciationSource { Lexicon, Dictionary, Model }

/// <param name="Word">The word as looked up: lowercase, already normalized (no digits, no abbreviations).</param>
/// <param name="Phones">CMU phones without stress (AA AE … ZH), the pocketsphinx dictionary's phone set.</param>
public sealed record Pronunciation(string Word, IReadOnlyList<string> Phones, PronunciationSource Source);

/// <summary>Word → phones: the user lexicon first, then the CMU dictionary, then the neural g2p model.
/// One instance per node, shared by every story (the model is loaded once).</summary>
public interface IPronouncer
{
    Pronunciation Pronounce(string word);
}

/// <summary><c>phones.json</c>, the phonemes step's result: the spoken words and phones of <c>speech.wav</c>,
/// timed. Times are seconds from the start of the WAV; phones are CMU phones without stress, plus <c>SIL</c>
/// for pauses. Silence between phones may be left implicit (a gap).</summary>
public sealed record PhoneTrack(string Aligner, double Duration, IReadOnlyList<AlignedWord> Words, IReadOnlyList<AlignedPhone> Phones)
{
    public const string Silence = "SIL";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static PhoneTrack Load(string path) =>
        JsonSerializer.Deserialize<PhoneTrack>(File.ReadAllText(path), Json)
        ?? throw new InvalidDataException($"{path} holds no phones");

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json));
}

/// <param name="Source">How the word's phones were found (lexicon, dictionary, model), or null when the
/// synthesizer (or gentle, with its own lexicon) said them itself.</param>
/// <param name="Estimated">The aligner did not find the word in the audio (gentle's <c>not-found-in-audio</c>, a
/// word with no phones): its times are interpolated between its neighbours and it has no phones.</param>
public sealed record AlignedWord(string Text, double Start, double End, int Paragraph, PronunciationSource? Source,
    bool Estimated = false);

/// <param name="Word">Index into <see cref="PhoneTrack.Words"/>, or -1 for a pause.</param>
public sealed record AlignedPhone(string Phone, double Start, double End, int Word);

/// <param name="Paragraphs">The story's paragraphs after text normalization (what was spoken); blank ones stay
/// blank so indices match the story's.</param>
/// <param name="Wav">The speech step's <c>speech.wav</c> (16-bit PCM mono).</param>
/// <param name="Timings">The speech step's <c>timings.json</c>: its phones are empty when the synthesizer
/// gives none (Tacotron2), and then an aligner has to find them in the audio.</param>
public sealed record AlignmentRequest(string Wav, Speech.SpeechTimings Timings, IReadOnlyList<string> Paragraphs);

/// <summary>Finds when each word and phone of the script is spoken in the audio (the seed's gentle).</summary>
public interface IAligner
{
    /// <summary><c>synthesizer</c>, <c>pocketsphinx</c>, <c>gentle</c>.</summary>
    string Name { get; }

    /// <summary>Whether this aligner can serve the request (the synthesizer aligner needs timings with phones;
    /// the others need their tool or service).</summary>
    bool CanAlign(AlignmentRequest request);

    /// <summary>Throws <see cref="StepFailure"/> (transient for a tool or service that failed, permanent for
    /// audio that cannot be aligned to the script).</summary>
    Task<PhoneTrack> AlignAsync(AlignmentRequest request, IPronouncer pronouncer, CancellationToken ct);
}
