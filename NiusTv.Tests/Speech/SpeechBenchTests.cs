using NiusTv.Host.Bench;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Stories;
using NiusTv.Tests.EndToEnd;
using Xunit;

namespace NiusTv.Tests.Speech;

/// <summary>`nius bench speech` is a bench, not a threshold; these floors sit far below what the voices measure
/// (slt 88 %, kal 74 % word accuracy on the sample stories, docs/editors.md "Voices") and catch a voice that says nothing intelligible:
/// a broken lexicon, a wrong sample rate, audio that is noise.</summary>
[Trait("Speed", "Slow")]
public sealed class SpeechBenchTests
{
    [Fact]
    public void Word_accuracy_counts_substitutions_deletions_and_insertions()
    {
        var score = SpeechRecognizer.Score(["the", "cafe", "reopened", "on", "saturday"], ["the", "cafe", "we", "opened", "saturday", "night"]);

        // Three edits however they are counted; the walk back prefers substitutions.
        Assert.Equal(new WordScore(5, 3, 2, 0, 1), score);
        Assert.Equal(0.4, score.Accuracy, 6);
        Assert.Equal(["the", "riverside", "cafe", "on", "mill", "street"],
            SpeechRecognizer.ReferenceWords(["The Riverside Caf\u00e9 on Mill-Street."]));
    }

    [Fact]
    public async Task The_installed_voices_are_intelligible_to_pocketsphinx_above_a_loose_floor()
    {
        var stories = Directory.GetFiles(Path.Combine(Nius.RepoRoot, "samples", "stories"), "*.json").Order(StringComparer.Ordinal)
            .Select(f => StoryParser.Parse(File.ReadAllBytes(f)).Story!).ToList();
        var voices = SpeechStep.DefaultBackends().Where(b => b.Voice.Name is "slt" or "kal").ToList();

        var report = await SpeechBench.MeasureAsync(stories, voices, null, TestContext.Current.CancellationToken);

        var slt = report.Voices.Single(v => v.Voice == "slt");
        var kal = report.Voices.Single(v => v.Voice == "kal");
        TestContext.Current.SendDiagnosticMessage($"slt {slt.Accuracy:P1}, kal {kal.Accuracy:P1} of {slt.Words} words");
        Assert.Equal(stories.Sum(s => SpeechRecognizer.ReferenceWords(SpeechStep.SpokenParagraphs(s)).Count), slt.Words);
        Assert.True(slt.Accuracy >= 0.75, $"slt word accuracy {slt.Accuracy:P1}; heard: {string.Join(" | ", slt.Stories.Select(s => s.Heard))}");
        Assert.True(kal.Accuracy >= 0.55, $"kal word accuracy {kal.Accuracy:P1}; heard: {string.Join(" | ", kal.Stories.Select(s => s.Heard))}");
    }
}
