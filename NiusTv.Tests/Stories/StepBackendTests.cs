using Akka.Actor;
using Akka.Hosting;
using NiusTv.Actors.Stories;
using NiusTv.Steps;
using NiusTv.Steps.Phonemes;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Stories;
using Xunit;
using static NiusTv.Actors.Stories.StoryEvents;

namespace NiusTv.Tests.Stories;

/// <summary>One speech step object serves every story of a node at once, each with the voice it asked for; the
/// journal must name the backend that spoke each story, not whichever spoke last.</summary>
public sealed class StepBackendTests : Akka.Hosting.TestKit.TestKit, IDisposable
{
    private static readonly string[] Pipeline = ["speech", "publish"];
    private static readonly NiusTv.Steps.Pipeline StepOrder = NiusTv.Steps.Pipeline.Of(Pipeline);
    private readonly string _dir = Directory.CreateTempSubdirectory("nius-backend-").FullName;
    private readonly GatedSynthesizer _festival = new("festival");
    private readonly GatedSynthesizer _espeak = new("espeak-ng");

    public StepBackendTests(ITestOutputHelper output) : base("step-backend-tests", output) { }

    private StoryRuntimeSettings Settings => new(Path.Combine(_dir, "workspaces"),
        new RetryPolicy(3, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400)));

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider)
    {
        IStoryStep[] steps = [new SpeechStep([_festival, _espeak]), new ScriptedStep("publish", Path.Combine(_dir, "out"))];
        builder.AddStoryPersistence(JournalKind.Sqlite, $"Data Source={Path.Combine(_dir, "journal.db")}")
            .WithActors((system, registry) =>
                registry.Register<StepPools>(system.ActorOf(StepPools.Create(steps,
                    new StepPoolSizes(Pipeline.ToDictionary(n => n, _ => 2))), "step-pools")));
    }

    private static Story Spoken(string id, string voice) => new(id, "Two voices", ["The council approved the budget."], [],
        "default", voice, StoryPriority.Normal, StoryOutput.LocalDefault);

    [Fact]
    public async Task Two_stories_spoken_at_once_by_different_backends_each_journal_their_own_backend()
    {
        // Festival starts first and finishes last, after espeak-ng has started and finished its story: the order in
        // which a step-wide "last backend" names the wrong one for festival's story.
        _festival.Release = _espeak.Finished.Task;
        var catalog = new StoryCatalog(Sys, StoryPersistence.QueryPluginId);
        var slow = Sys.ActorOf(StoryActor.Create("by-festival", Settings, StepOrder, ActorRegistry.Get<StepPools>()));
        await slow.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Spoken("by-festival", "festival")), TimeSpan.FromSeconds(10));
        await _festival.Started.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var fast = Sys.ActorOf(StoryActor.Create("by-espeak", Settings, StepOrder, ActorRegistry.Get<StepPools>()));
        await fast.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Spoken("by-espeak", "espeak-ng")), TimeSpan.FromSeconds(10));

        static string? SpokenBy(IReadOnlyList<IStoryEvent> events) => events.OfType<StepCompleted>().SingleOrDefault(c => c.Step == "speech")?.Backend;
        await Eventually.Until(async () => SpokenBy(await catalog.EventsAsync("by-festival")) is not null
            && SpokenBy(await catalog.EventsAsync("by-espeak")) is not null, 20, "both stories are spoken");

        Assert.Equal("festival", SpokenBy(await catalog.EventsAsync("by-festival")));
        Assert.Equal("espeak-ng", SpokenBy(await catalog.EventsAsync("by-espeak")));
    }

    /// <summary>A synthesizer that writes a token WAV and can be held until another task completes.</summary>
    private sealed class GatedSynthesizer(string name) : ISpeechSynthesizer
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Task Release { get; set; } = Task.CompletedTask;
        public string Name => name;
        public VoiceInfo Voice => new(name, "en-US", "female", name);
        public bool IsAvailable => true;

        public async Task<SpeechResult> SynthesizeAsync(IReadOnlyList<string> paragraphs, string wavPath, CancellationToken ct,
            IProgress<double>? progress = null, PronunciationSet? pronunciations = null)
        {
            Started.TrySetResult();
            await Release.WaitAsync(TimeSpan.FromSeconds(20), ct);
            await File.WriteAllBytesAsync(wavPath, [0, 0], ct);
            Finished.TrySetResult();
            return new SpeechResult(new SpeechTimings(name, 16000, 1, [new ParagraphSpan(0, 0, 1)], [], []), wavPath, TimeSpan.Zero);
        }
    }

    void IDisposable.Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
