using NiusTv.Steps.Speech;

namespace NiusTv.Steps.Phonemes;

/// <summary>Phones and words straight from <c>timings.json</c>, for a synthesizer that says when it speaks
/// each phone (Festival). Exact and free: the timings come from the run that made the audio. Serves only
/// timings whose phones are all in Festival's radio set (espeak-ng's mnemonics are not CMU phones).</summary>
public sealed class SynthesizerAligner : IAligner
{
    public const string AlignerName = "synthesizer";

    public string Name => AlignerName;

    public bool CanAlign(AlignmentRequest request) =>
        request.Timings.Phones.Count > 0 && request.Timings.Phones.All(p => CmuPhones.FromFestival(p.Phone) is not null);

    public Task<PhoneTrack> AlignAsync(AlignmentRequest request, IPronouncer pronouncer, CancellationToken ct)
    {
        var timings = request.Timings;
        if (!CanAlign(request))
        {
            var odd = timings.Phones.Select(p => p.Phone).FirstOrDefault(p => CmuPhones.FromFestival(p) is null);
            throw StepFailure.Permanent(timings.Phones.Count == 0
                ? $"{Artifacts.Timings} from '{timings.Backend}' has no phones; align with pocketsphinx or gentle instead"
                : $"{Artifacts.Timings} from '{timings.Backend}' has the phone '{odd}', which is not in Festival's phone set; align with pocketsphinx or gentle instead");
        }

        var words = timings.Words.OrderBy(w => w.Start)
            .Select(w => new AlignedWord(w.Text, w.Start, w.End, w.Paragraph, null)).ToList();
        var phones = new List<AlignedPhone>(timings.Phones.Count);
        // Phones and words are both in spoken order, so one pass pairs each phone with the word whose span
        // holds its middle (names do not identify words: "very very" is two).
        int w = 0;
        foreach (var p in timings.Phones.OrderBy(p => p.Start))
        {
            var phone = CmuPhones.FromFestival(p.Phone)!;
            var index = -1;
            if (p.Word is not null && phone != PhoneTrack.Silence)
            {
                var middle = (p.Start + p.End) / 2;
                while (w < words.Count && (words[w].Paragraph != p.Paragraph ? words[w].Start < p.Start : words[w].End < middle)) w++;
                if (w < words.Count && words[w].Paragraph == p.Paragraph && words[w].Start <= middle) index = w;
            }
            phones.Add(new AlignedPhone(phone, p.Start, p.End, index));
        }
        return Task.FromResult(new PhoneTrack(Name, timings.Duration, words, phones));
    }
}
