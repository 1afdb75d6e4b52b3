using NiusTv.Steps.Speech;

namespace NiusTv.Steps.Phonemes;

/// <summary>The last resort when a forced aligner finds no fit between script and audio (speech a model garbled,
/// noise from untrained weights): each paragraph's phones are laid out evenly over the paragraph's span, vowels
/// twice as long as consonants, with every word marked <c>estimated</c>. The anchor's mouth then moves at the
/// right places only roughly, which beats failing a story whose audio is fine to publish; phones.json says so
/// (aligner <c>estimated</c>) and the step's timeline shows it.</summary>
public static class EstimatedAlignment
{
    public const string AlignerName = "estimated";
    private static readonly HashSet<string> Vowels = ["AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"];

    public static PhoneTrack Spread(AlignmentRequest request, IPronouncer pronouncer)
    {
        var timings = request.Timings;
        var words = new List<AlignedWord>();
        var phones = new List<AlignedPhone>();
        foreach (var span in timings.Paragraphs)
        {
            if (span.Index >= request.Paragraphs.Count) continue;
            var spoken = ScriptWords.Split(request.Paragraphs[span.Index]).Select(pronouncer.Pronounce).ToList();
            var weights = spoken.Select(p => p.Phones.Sum(Weight)).ToList();
            var total = weights.Sum();
            if (total <= 0 || span.End <= span.Start) continue;
            var unit = (span.End - span.Start) / total;
            var t = span.Start;
            for (var w = 0; w < spoken.Count; w++)
            {
                var start = t;
                foreach (var phone in spoken[w].Phones)
                {
                    var end = t + Weight(phone) * unit;
                    phones.Add(new AlignedPhone(phone, t, end, words.Count));
                    t = end;
                }
                words.Add(new AlignedWord(spoken[w].Word, start, t, span.Index, spoken[w].Source, Estimated: true));
            }
        }
        return new PhoneTrack(AlignerName, timings.Duration, words, phones);
    }

    private static double Weight(string phone) => Vowels.Contains(phone) ? 2 : 1;
}
