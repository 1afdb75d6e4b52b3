using NiusTv.Steps;
using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Stories;
using Xunit;

namespace NiusTv.Tests.Speech;

/// <summary>A story's <c>voice</c> chooses among the voices the node has installed: Debian's female HTS voice (the
/// default) and its male diphone voice at least; a presenter may name its own; an unknown one is refused at publish.</summary>
[Trait("Speed", "Slow")]
public sealed class VoiceTests : IDisposable
{
    private readonly TempFolder _dir = new();
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _dir.Dispose();

    private static Story StoryOf(string voice, string presenter = "default") =>
        new("voices", "Voices", ["The harbour reopened on Tuesday."], [], presenter, voice, StoryPriority.Normal, StoryOutput.LocalDefault);

    [Fact]
    public void The_female_hts_voice_and_the_male_diphone_voice_are_offered_with_language_gender_and_backend()
    {
        var speech = new SpeechStep(SpeechStep.DefaultBackends());
        Assert.True(FestivalVoice.Known.All(v => Directory.Exists(v.Directory)), "scripts/setup installs festvox-us-slt-hts and festvox-kallpc16k");

        Assert.Equal(new VoiceInfo("slt", "en-US", "female", "festival"), speech.Voices[0]);
        Assert.Contains(new VoiceInfo("kal", "en-US", "male", "festival"), speech.Voices);
        Assert.Contains(new VoiceInfo("espeak-ng", "en-US", "male", "espeak-ng"), speech.Voices);
        Assert.Equal(["default", "slt", "kal", "espeak-ng", "festival"], speech.AvailableVoices);
    }

    [Fact]
    public void A_voice_that_is_not_installed_is_not_offered()
    {
        var missing = new FestivalVoice("ghost", "voice_ghost", _dir.Combine("no-such-voice"), "female", "festvox-ghost");
        var speech = new SpeechStep([new FestivalSynthesizer(voice: FestivalVoice.Slt), new FestivalSynthesizer(voice: missing)]);

        Assert.DoesNotContain(speech.Voices, v => v.Name == "ghost");
    }

    [Fact]
    public void An_unknown_voice_is_refused_at_publish_naming_the_voices_there_are()
    {
        var speech = new SpeechStep(SpeechStep.DefaultBackends());
        var choices = new StoryChoices(() => ["default"], () => speech.AvailableVoices);

        var error = Assert.Single(choices.Check(StoryOf("morgan")));

        Assert.Equal("voice", error.Field);
        Assert.Equal("'morgan' is not a voice on this node; choose one of: 'default', 'slt', 'kal', 'espeak-ng', 'festival'", error.Message);
        Assert.Empty(choices.Check(StoryOf("kal")));
    }

    [Fact]
    public void A_presenter_naming_a_voice_the_node_lacks_is_refused_for_stories_with_the_default_voice()
    {
        var choices = new StoryChoices(() => ["default", "ben"], () => ["default", "slt"], p => p == "ben" ? "kal" : null);

        var error = Assert.Single(choices.Check(StoryOf("default", "ben")));

        Assert.Equal("voice", error.Field);
        Assert.Contains("the presenter 'ben' reads with 'kal', which is not a voice on this node", error.Message);
        Assert.Empty(choices.Check(StoryOf("slt", "ben")));
        Assert.Empty(choices.Check(StoryOf("default", "default")));
    }

    [Fact]
    public async Task A_presenters_own_voice_reads_stories_whose_voice_is_default()
    {
        var presenters = _dir.Folder("presenters");
        Directory.CreateDirectory(Path.Combine(presenters, "ben"));
        File.WriteAllText(Path.Combine(presenters, "ben", "presenter.json"), """{"name": "ben", "photo": "ben.png", "voice": "kal"}""");
        File.WriteAllBytes(Path.Combine(presenters, "ben", "ben.png"), [0x89, 0x50, 0x4E, 0x47]);
        var library = new PresenterLibrary(presenters, _dir.Combine("cache"), () => throw new InvalidOperationException("no detection here"));
        Assert.Equal("kal", library.VoiceOf("ben"));
        Assert.Null(library.VoiceOf("nobody"));

        var speech = new SpeechStep(SpeechStep.DefaultBackends(), presenterVoice: library.VoiceOf);
        var workspace = _dir.Folder("ws");
        var output = await speech.RunAsync(new StepInput(StoryOf("default", "ben"), 1, workspace, new Dictionary<string, string>()), new Progress<double>(), Ct);

        Assert.Equal("festival (kal)", output.Backend);
        // kal is a 16 kHz diphone voice; SLT speaks at 32 kHz.
        Assert.Equal(16000, WaveFile.Read(Path.Combine(workspace, NiusTv.Steps.Artifacts.Speech.Name)).SampleRate);
        Assert.Equal(16000, SpeechTimings.Load(Path.Combine(workspace, NiusTv.Steps.Artifacts.Timings.Name)).SampleRate);
    }
}
