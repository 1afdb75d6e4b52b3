using NiusTv.Steps.Compose;
using NiusTv.Steps.Init;
using NiusTv.Steps.Speech;
using Xunit;

namespace NiusTv.Tests.Compose;

public sealed class CaptionAlignerTests
{
    private static List<TimedWord> Words(params string[] spoken) =>
        spoken.Select((w, n) => new TimedWord(w, n * 0.5, n * 0.5 + 0.4, 0)).ToList();

    [Fact]
    public void Expansions_of_abbreviations_currency_and_years_resync_on_the_next_match()
    {
        var tokens = TextWrap.Tokenize("Dr. Smith will spend $5 million by 2027, officials said.");
        var words = Words("doctor", "smith", "will", "spend", "five", "million", "dollars", "by", "twenty", "twenty", "seven", "officials", "said");
        var timed = CaptionAligner.Align(tokens, words, 0, 7);

        Assert.Equal(tokens.Count, timed.Count);
        Assert.Equal(tokens, timed.Select(t => t.Text));
        void Is(int token, int firstWord, int lastWord)
        {
            Assert.Equal(words[firstWord].Start, timed[token].Start, 6);
            Assert.Equal(words[lastWord].End, timed[token].End, 6);
        }
        Is(0, 0, 0);   // Dr. ← doctor
        Is(1, 1, 1);   // Smith
        Is(4, 4, 4);   // $5 ← five
        Is(5, 5, 5);   // million ("dollars" is an extra spoken word, skipped)
        Is(6, 7, 7);   // by
        Is(7, 8, 10);  // 2027, ← twenty twenty seven
        Is(8, 11, 11); // officials
        Is(9, 12, 12); // said.
        for (var n = 0; n + 1 < timed.Count; n++) Assert.True(timed[n].End <= timed[n + 1].Start + 1e-9);
    }

    [Fact]
    public void Adjacent_expanded_tokens_each_get_the_words_the_normalizer_makes_of_them()
    {
        // "2019," and "Dr." mismatch back to back: the normalizer says they are two words and one.
        var tokens = TextWrap.Tokenize("In 2019, Dr. Ruiz opened 1,200 new homes.");
        var words = Words("in", "twenty", "nineteen", "doctor", "ruiz", "opened", "one", "thousand", "two", "hundred", "new", "homes");
        var timed = CaptionAligner.Align(tokens, words, 0, 6);
        Assert.Equal((words[1].Start, words[2].End), (timed[1].Start, timed[1].End));
        Assert.Equal((words[3].Start, words[3].End), (timed[2].Start, timed[2].End));
        Assert.Equal((words[6].Start, words[9].End), (timed[5].Start, timed[5].End));
        Assert.Equal((words[10].Start, words[10].End), (timed[6].Start, timed[6].End));
    }

    [Fact]
    public void Several_unmatched_tokens_share_the_skipped_words_time()
    {
        var tokens = TextWrap.Tokenize("It cost 3.5% more — U.S. officials said.");
        var words = Words("it", "cost", "three", "point", "five", "percent", "more", "u", "s", "officials", "said");
        var timed = CaptionAligner.Align(tokens, words, 0, 6);
        Assert.Equal(words[2].Start, timed[2].Start, 6);   // 3.5% starts with "three"
        Assert.Equal(words[5].End, timed[2].End, 6);       // … and ends with "percent"
        Assert.Equal(words[6].Start, timed[3].Start, 6);   // more
        Assert.Equal(timed[4].Start, timed[4].End, 6);     // the dash is not spoken: it takes no time…
        Assert.InRange(timed[4].Start, timed[3].End, timed[5].Start); // …and sits between its neighbours
        Assert.Equal(words[7].Start, timed[5].Start, 6);   // U.S. ← u s
        Assert.Equal(words[8].End, timed[5].End, 6);
        Assert.Equal(words[9].Start, timed[6].Start, 6);
    }

    [Fact]
    public void Without_timed_words_tokens_are_spread_over_the_paragraph_span()
    {
        var tokens = TextWrap.Tokenize("Short and a much longer word");
        var timed = CaptionAligner.Align(tokens, [], 10, 16);
        Assert.Equal(10, timed[0].Start, 6);
        Assert.Equal(16, timed[^1].End, 6);
        for (var n = 0; n + 1 < timed.Count; n++) Assert.Equal(timed[n].End, timed[n + 1].Start, 6);
        Assert.True(timed[5].End - timed[5].Start > timed[2].End - timed[2].Start); // "word" vs "a": longer tokens get more time
    }

    [Fact]
    public void Case_and_punctuation_do_not_break_matching()
    {
        var tokens = TextWrap.Tokenize("\"Hello,\" she said; IT'S fine!");
        var words = Words("hello", "she", "said", "it's", "fine");
        var timed = CaptionAligner.Align(tokens, words, 0, 3);
        for (var n = 0; n < tokens.Count; n++) Assert.Equal(words[n].Start, timed[n].Start, 6);
    }

    [Fact]
    public void Images_follow_their_paragraphs_and_hold_over_paragraphs_without_one()
    {
        var story = new NiusTv.Steps.Stories.Story("s", "T", ["one two", "three four", "five six"], [], "p", "v",
            NiusTv.Steps.Stories.StoryPriority.Normal, new NiusTv.Steps.Stories.StoryOutput(320, 180, 24));
        var timings = new SpeechTimings("t", 16000, 9, [new ParagraphSpan(0, 0.2, 3), new ParagraphSpan(1, 3.5, 6), new ParagraphSpan(2, 6.5, 9)], [], []);
        var manifest = new ImageManifest([
            new ImageManifestEntry(0, "images/00.jpg", "u0", 10, 10, "jpeg", null, 0),
            new ImageManifestEntry(1, "images/01.jpg", "u1", 10, 10, "jpeg", null, 0),
            new ImageManifestEntry(2, "images/02.jpg", "u2", 10, 10, "jpeg", null, 2),
        ]);
        var segments = ImageSchedule.Build(story, manifest, timings, 2, 11);
        Assert.Equal(3, segments.Count);
        Assert.Equal(2, segments[0].Start, 6);                 // right after the title card
        Assert.Equal(2 + 0.2 + 1.4, segments[1].Start, 6);     // second half of paragraph 0
        Assert.Equal(2 + 6.5, segments[1].End, 6);             // held through paragraph 1, which has no image
        Assert.Equal(11, segments[2].End, 6);
    }
}
