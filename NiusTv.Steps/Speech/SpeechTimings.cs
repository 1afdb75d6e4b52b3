using System.Text.Json;

namespace NiusTv.Steps.Speech;

/// <summary><c>timings.json</c> in the workspace, written by the speech step from the same synthesis run as
/// <c>speech.wav</c>. Times are seconds from the start of the WAV.</summary>
public sealed record SpeechTimings(
    string Backend,
    int SampleRate,
    double Duration,
    IReadOnlyList<ParagraphSpan> Paragraphs,
    IReadOnlyList<TimedWord> Words,
    IReadOnlyList<TimedPhone> Phones)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    public static SpeechTimings Load(string path) =>
        JsonSerializer.Deserialize<SpeechTimings>(File.ReadAllText(path), Json)
        ?? throw new InvalidDataException($"{path} holds no timings");

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json));
}

/// <summary>Where paragraph <see cref="Index"/> is spoken (pauses between paragraphs lie outside the spans).</summary>
public sealed record ParagraphSpan(int Index, double Start, double End);

/// <summary>A spoken word as the synthesizer saw it (lowercase, numbers already expanded: "2027" is
/// several words).</summary>
public sealed record TimedWord(string Text, double Start, double End, int Paragraph);

/// <summary>A phone in the synthesizer's phone set (Festival: CMU lowercase plus ax, axr, pau).</summary>
public sealed record TimedPhone(string Phone, double Start, double End, string? Word, int Paragraph);
