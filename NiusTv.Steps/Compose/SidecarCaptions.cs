using System.Globalization;
using System.Text;
using System.Text.Json;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Stories;

namespace NiusTv.Steps.Compose;

/// <summary>One caption cue of the sidecar files: up to two lines, from its first word to (at most) the next cue,
/// in whole milliseconds of video time.</summary>
public sealed record SidecarCue(IReadOnlyList<string> Lines, long StartMs, long EndMs);

/// <summary>A written word (as the captions show it: "Dr.", "$5", "2027,") and when it is spoken, in video time.</summary>
public sealed record TimedCaptionWord(string Word, double Start, double End);

/// <summary>The captions as files beside the video: WebVTT, SubRip, and the word timings as JSON. Independent of
/// the picture size: lines are wrapped at <see cref="MaxLineChars"/> characters (the usual subtitle limit) and
/// paired into two-line cues within a paragraph. Cues never overlap (each ends at the latest when the next
/// begins), never start before the speech and never outlast the video.</summary>
public sealed class SidecarCaptions
{
    public const int MaxLineChars = 42;
    public const int MaxLinesPerCue = 2;

    /// <summary>How long a cue stays up after its last word when the next one is not due yet.</summary>
    public const double LingerSeconds = 0.8;

    /// <summary>Shortest time a cue is shown when the next one leaves room for it.</summary>
    public const double MinCueSeconds = 1.0;

    public IReadOnlyList<SidecarCue> Cues { get; }
    public IReadOnlyList<TimedCaptionWord> Words { get; }

    private SidecarCaptions(IReadOnlyList<SidecarCue> cues, IReadOnlyList<TimedCaptionWord> words) => (Cues, Words) = (cues, words);

    /// <param name="offset">Video time of the WAV's start (the title card length).</param>
    /// <param name="videoEnd">Length of the video (and of its audio).</param>
    public static SidecarCaptions Build(Story story, SpeechTimings timings, double offset, double videoEnd)
    {
        var words = new List<TimedCaptionWord>();
        var raw = new List<(List<string> Lines, double Start, double SpokenEnd)>();
        double Clamp(double t) => Math.Clamp(t, offset, Math.Floor(videoEnd * 1000 + 1e-6) / 1000);
        for (var p = 0; p < story.Paragraphs.Count; p++)
        {
            var tokens = TextWrap.Tokenize(story.Paragraphs[p]);
            if (tokens.Count == 0) continue;
            var (spanStart, spanEnd) = CaptionTrack.ParagraphTime(timings, p, story.Paragraphs.Count);
            var spoken = timings.Words.Where(w => w.Paragraph == p).OrderBy(w => w.Start).ToList();
            var timed = CaptionAligner.Align(tokens, spoken, spanStart, spanEnd);
            foreach (var t in timed)
            {
                // Never earlier than the word before: the aligner's shares are monotonic, but a timing file need not be.
                var start = Math.Max(Clamp(offset + t.Start), words.Count > 0 ? words[^1].Start : offset);
                words.Add(new TimedCaptionWord(t.Text, start, Math.Max(start, Clamp(offset + t.End))));
            }

            var lines = TextWrap.WrapTokens(tokens, MaxLineChars, s => s.Length);
            for (var n = 0; n < lines.Count; n += MaxLinesPerCue)
            {
                var group = lines.Skip(n).Take(MaxLinesPerCue).ToList();
                var first = group[0].Pieces[0];
                var last = group[^1].Pieces[^1];
                raw.Add((group.Select(l => l.Text).ToList(), offset + TimeAt(timed[first.Token], first.CharStart),
                    offset + TimeAt(timed[last.Token], last.CharEnd)));
            }
        }

        var cues = new List<SidecarCue>(raw.Count);
        // Down, not to the nearest: a cue must not end even a fraction after the audio.
        var endMs = (long)Math.Floor(videoEnd * 1000 + 1e-6);
        var floor = Ms(offset);
        List<string>? carried = null;
        for (var n = 0; n < raw.Count; n++)
        {
            var start = Math.Max(Ms(raw[n].Start), floor);
            var nextStart = n + 1 < raw.Count ? Math.Max(Ms(raw[n + 1].Start), start) : endMs;
            var end = Math.Min(nextStart, Math.Max(Ms(raw[n].SpokenEnd + LingerSeconds), start + Ms(MinCueSeconds)));
            end = Math.Min(end, endMs);
            var lines = carried is null ? raw[n].Lines : [.. carried, .. raw[n].Lines];
            if (end <= start)
            {
                // Squeezed to nothing (its words were timed on top of the next cue's): its text goes with the next
                // cue rather than being lost or shown for no time at all.
                carried = lines;
                continue;
            }
            carried = null;
            cues.Add(new SidecarCue(lines, start, end));
            floor = end;
        }
        if (carried is not null && cues.Count > 0)
            cues[^1] = cues[^1] with { Lines = [.. cues[^1].Lines, .. carried] };
        return new SidecarCaptions(cues, words);
    }

    private static long Ms(double seconds) => (long)Math.Round(seconds * 1000, MidpointRounding.AwayFromZero);

    private static double TimeAt(TimedToken token, int charOffset) =>
        token.Text.Length == 0 ? token.Start : token.Start + (token.End - token.Start) * charOffset / token.Text.Length;

    /// <summary>WebVTT (W3C): the header, then numbered cues; &amp;, &lt; and &gt; escaped so no text reads as markup or as a timing arrow.</summary>
    public string ToWebVtt()
    {
        var sb = new StringBuilder("WEBVTT\n\n");
        for (var n = 0; n < Cues.Count; n++)
        {
            var c = Cues[n];
            sb.Append(n + 1).Append('\n').Append(Time(c.StartMs, '.')).Append(" --> ").Append(Time(c.EndMs, '.')).Append('\n');
            foreach (var line in c.Lines) sb.Append(line.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;")).Append('\n');
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>SubRip: numbered cues, times with a decimal comma, CRLF-free plain text.</summary>
    public string ToSrt()
    {
        var sb = new StringBuilder();
        for (var n = 0; n < Cues.Count; n++)
        {
            var c = Cues[n];
            sb.Append(n + 1).Append('\n').Append(Time(c.StartMs, ',')).Append(" --> ").Append(Time(c.EndMs, ',')).Append('\n');
            foreach (var line in c.Lines) sb.Append(line).Append('\n');
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary><c>[{"word": "Dr.", "start": 2.1, "end": 2.45}, …]</c>, seconds of video time to the millisecond.</summary>
    public string ToWordsJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartArray();
            foreach (var word in Words)
            {
                w.WriteStartObject();
                w.WriteString("word", word.Word);
                w.WriteNumber("start", Math.Round(word.Start, 3));
                w.WriteNumber("end", Math.Round(word.End, 3));
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string Time(long ms, char separator) => string.Create(CultureInfo.InvariantCulture,
        $"{ms / 3_600_000:00}:{ms / 60_000 % 60:00}:{ms / 1000 % 60:00}{separator}{ms % 1000:000}");

    /// <summary>Writes the three files (<see cref="Artifacts.CaptionsVtt"/>, <see cref="Artifacts.CaptionsSrt"/>,
    /// <see cref="Artifacts.CaptionWords"/>) into <paramref name="folder"/> under their artifact keys (each under a
    /// temporary name first, renamed when whole). Returns artifact key → file name.</summary>
    /// <param name="rendition">The rendition whose folder they go in (<see cref="Artifacts.OfRendition"/>); null for
    /// a story with one output.</param>
    public IReadOnlyDictionary<string, string> WriteTo(string folder, string? rendition = null)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (plain, text) in new[] { (Artifacts.CaptionsVtt, ToWebVtt()), (Artifacts.CaptionsSrt, ToSrt()), (Artifacts.CaptionWords, ToWordsJson()) })
        {
            var key = Artifacts.OfRendition(plain, rendition);
            var target = key.In(folder);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            var part = Path.ChangeExtension(target, $".{Guid.NewGuid():N}.part{Path.GetExtension(target)}");
            File.WriteAllText(part, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            File.Move(part, target, overwrite: true);
            files[key] = key;
        }
        return files;
    }
}
