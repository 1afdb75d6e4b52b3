using NiusTv.Steps.Speech;
using NiusTv.Steps.Stories;

namespace NiusTv.Steps.Compose;

/// <summary>One burnt-in caption line, on screen from <see cref="Start"/> (its first word begins) to
/// <see cref="End"/> (the next line begins, or the video ends), in video time.</summary>
public sealed record CaptionCue(string Text, double Start, double End, int Paragraph);

/// <summary>The caption lines of a whole story in video time, one line at a time.</summary>
public sealed class CaptionTrack
{
    public IReadOnlyList<CaptionCue> Cues { get; }

    private CaptionTrack(IReadOnlyList<CaptionCue> cues) => Cues = cues;

    /// <summary>No burnt-in captions (a story whose <c>captions</c> are <c>sidecar</c> or <c>none</c>).</summary>
    public static readonly CaptionTrack Empty = new([]);

    /// <param name="offset">Video time of the WAV's start (the title card length).</param>
    /// <param name="videoEnd">Video time at which the last line disappears.</param>
    public static CaptionTrack Build(Story story, SpeechTimings timings, Func<string, float> measure, float maxWidth,
        double offset, double videoEnd)
    {
        var raw = new List<(string Text, double Start, double SpokenEnd, int Paragraph)>();
        for (var p = 0; p < story.Paragraphs.Count; p++)
        {
            var tokens = TextWrap.Tokenize(story.Paragraphs[p]);
            if (tokens.Count == 0) continue;
            var (spanStart, spanEnd) = ParagraphTime(timings, p, story.Paragraphs.Count);
            var words = timings.Words.Where(w => w.Paragraph == p).OrderBy(w => w.Start).ToList();
            var timed = CaptionAligner.Align(tokens, words, spanStart, spanEnd);
            foreach (var line in TextWrap.WrapTokens(tokens, maxWidth, measure))
            {
                var first = line.Pieces[0];
                var last = line.Pieces[^1];
                raw.Add((line.Text, offset + TimeAt(timed[first.Token], tokens[first.Token], first.CharStart),
                    offset + TimeAt(timed[last.Token], tokens[last.Token], last.CharEnd), p));
            }
        }

        var cues = new List<CaptionCue>(raw.Count);
        var floor = offset;
        for (var n = 0; n < raw.Count; n++)
        {
            // Starts never go backwards even if the timings are odd, so lookup by time stays a binary search.
            var start = Math.Max(raw[n].Start, floor);
            var end = n + 1 < raw.Count ? Math.Max(raw[n + 1].Start, start) : Math.Max(videoEnd, raw[n].SpokenEnd);
            cues.Add(new CaptionCue(raw[n].Text, start, end, raw[n].Paragraph));
            floor = start;
        }
        return new CaptionTrack(cues);
    }

    /// <summary>The line on screen at video time <paramref name="t"/>, or null.</summary>
    public CaptionCue? At(double t)
    {
        int lo = 0, hi = Cues.Count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) / 2;
            if (Cues[mid].Start <= t) { found = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        // Several cues can share a start when their words were squeezed together; the last one wins.
        return found >= 0 && t < Cues[found].End ? Cues[found] : null;
    }

    /// <summary>Time within a token at a character offset, interpolated by characters (for broken words).</summary>
    private static double TimeAt(TimedToken token, string text, int charOffset) =>
        text.Length == 0 ? token.Start : token.Start + (token.End - token.Start) * charOffset / text.Length;

    /// <summary>Where paragraph <paramref name="p"/> is spoken, in WAV time. Falls back to its words, then to
    /// an even share of the WAV, so a story still gets captions from sparse timings.</summary>
    internal static (double Start, double End) ParagraphTime(SpeechTimings timings, int p, int paragraphCount)
    {
        var span = timings.Paragraphs.FirstOrDefault(s => s.Index == p);
        if (span is not null) return (span.Start, Math.Max(span.Start, span.End));
        var words = timings.Words.Where(w => w.Paragraph == p).ToList();
        if (words.Count > 0) return (words.Min(w => w.Start), words.Max(w => w.End));
        var share = timings.Duration / Math.Max(1, paragraphCount);
        return (share * p, share * (p + 1));
    }
}
