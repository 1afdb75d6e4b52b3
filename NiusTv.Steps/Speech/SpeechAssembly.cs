namespace NiusTv.Steps.Speech;

/// <summary>One phone of one paragraph, in seconds from the start of that paragraph's audio.
/// <paramref name="Word"/> indexes <see cref="ParagraphSpeech.Words"/>; -1 for a pause.</summary>
internal readonly record struct LocalPhone(string Phone, double Start, double End, int Word);

/// <summary>A word timed without phones, in seconds from the start of its paragraph's audio.</summary>
internal readonly record struct LocalWord(string Text, double Start, double End);

/// <summary>What a backend produced for one paragraph before the paragraphs are joined. A backend without phone
/// timings (Tacotron2) gives no phones and its words' times directly in <paramref name="TimedWords"/>.</summary>
internal sealed record ParagraphSpeech(int Index, short[] Samples, IReadOnlyList<LocalPhone> Phones, IReadOnlyList<string> Words,
    IReadOnlyList<LocalWord>? TimedWords = null);

/// <summary>Joins per-paragraph audio into the story's WAV and its <see cref="SpeechTimings"/>. Shared by the
/// backends so that both give the same contract (gap, offsets, word spans) whatever their raw output.</summary>
internal static class SpeechAssembly
{
    /// <summary>Silence between paragraphs: long enough to hear a new paragraph start, short enough not to
    /// sound like a dropout. Each backend also leaves its own short pause at both ends of a paragraph.</summary>
    public const double ParagraphGapSeconds = 0.6;

    public static SpeechTimings Assemble(string backend, int sampleRate, IReadOnlyList<ParagraphSpeech> paragraphs, string wavPath)
    {
        int gap = (int)Math.Round(ParagraphGapSeconds * sampleRate);
        long total = paragraphs.Sum(p => (long)p.Samples.Length) + (long)gap * Math.Max(0, paragraphs.Count - 1);
        if (total > int.MaxValue) throw StepFailure.Permanent("the story is too long to speak as one WAV file; split it into several stories");

        var samples = new short[total];
        var spans = new List<ParagraphSpan>();
        var words = new List<TimedWord>();
        var phones = new List<TimedPhone>();
        int cursor = 0;
        foreach (var p in paragraphs)
        {
            if (spans.Count > 0) cursor += gap; // the array is zeroed: the gap is silence already
            double offset = (double)cursor / sampleRate;
            p.Samples.CopyTo(samples, cursor);
            cursor += p.Samples.Length;
            double end = (double)cursor / sampleRate;
            spans.Add(new ParagraphSpan(p.Index, offset, end));

            // A word spans its phones; words come in order of their first phone, which is spoken order.
            var wordStart = new double[p.Words.Count];
            var wordEnd = new double[p.Words.Count];
            Array.Fill(wordStart, double.NaN);
            foreach (var ph in p.Phones)
            {
                phones.Add(new TimedPhone(ph.Phone, offset + ph.Start, offset + ph.End,
                    ph.Word >= 0 ? p.Words[ph.Word] : null, p.Index));
                if (ph.Word < 0) continue;
                if (double.IsNaN(wordStart[ph.Word])) wordStart[ph.Word] = ph.Start;
                wordEnd[ph.Word] = ph.End;
            }
            foreach (var tw in p.TimedWords ?? [])
                words.Add(new TimedWord(tw.Text, offset + tw.Start, offset + tw.End, p.Index));
            for (int w = 0; w < p.Words.Count; w++)
            {
                // A word without phones was not spoken (espeak reports some punctuation-only tokens).
                if (double.IsNaN(wordStart[w])) continue;
                words.Add(new TimedWord(p.Words[w], offset + wordStart[w], offset + wordEnd[w], p.Index));
            }
        }

        new WaveFile(sampleRate, samples).Write(wavPath);
        return new SpeechTimings(backend, sampleRate, (double)samples.Length / sampleRate, spans, words, phones);
    }

    /// <summary>Control characters (newlines, tabs, NUL) mean nothing to a speaker and some tools treat them
    /// as syntax; they become spaces.</summary>
    public static string StripControl(string text)
    {
        var chars = text.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
            if (char.IsControl(chars[i])) chars[i] = ' ';
        return new string(chars).Trim();
    }
}
