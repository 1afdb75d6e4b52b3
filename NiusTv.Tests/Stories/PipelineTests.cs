using System.Collections.Immutable;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using NiusTv.Actors.Stories;
using NiusTv.Host.Node;
using NiusTv.Steps;
using Xunit;
using static NiusTv.Actors.Stories.StoryEvents;

namespace NiusTv.Tests.Stories;

/// <summary>The pipeline as its steps declare it: order, artifacts, pool sizes, and journals written before the
/// artifact catalogue.</summary>
public sealed class PipelineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static StepDefinition Step(string name, ArtifactKey[] inputs, ArtifactKey[] outputs) => new(name, inputs, outputs, PoolSize.Fixed(1));

    [Fact]
    public void Every_artifact_of_the_catalogue_is_written_by_a_step_of_the_node_and_read_only_after_it()
    {
        var keys = typeof(Artifacts).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (ArtifactKey)f.GetValue(null)!).ToList();
        Assert.NotEmpty(keys);
        // The Pipeline refuses a step that reads what no step before it writes, so building it is the check of order.
        var pipeline = NodeSteps.Pipeline;
        Assert.All(keys, k => Assert.Contains(pipeline.Steps, s => s.Outputs.Contains(k)));
        // Each key names its file in the workspace: a relative path, the same for every run.
        Assert.All(keys, k => Assert.False(Path.IsPathRooted(k.Name)));
        Assert.Equal(keys.Count, keys.Select(k => k.Name).Distinct().Count());
    }

    [Fact]
    public void A_step_that_reads_what_no_earlier_step_writes_is_refused_naming_the_step_and_the_artifact()
    {
        var notes = new ArtifactKey("notes.txt");
        var e = Assert.Throws<ArgumentException>(() => new Pipeline([
            Step("first", [], [Artifacts.Speech]),
            Step("second", [notes], []),
            Step("third", [], [notes]),
        ]));
        Assert.Contains("'second' reads 'notes.txt', which no step before it writes", e.Message);
        Assert.Throws<ArgumentException>(() => new Pipeline([Step("first", [], []), Step("first", [], [])]));
        Assert.Throws<ArgumentException>(() => new StepDefinition("Not A Name", [], [], PoolSize.Fixed(1)));
    }

    [Fact]
    public void A_folder_key_covers_the_files_under_it_so_a_step_may_declare_files_it_counts_at_run_time()
    {
        Assert.Equal("images/03.png", Artifacts.Image(3, "png").Name);
        Assert.True(Artifacts.ImageFiles.Covers("images/03.png"));
        Assert.False(Artifacts.ImageFiles.Covers("images.json"));
        Assert.True(Artifacts.BrandFiles.Covers(Artifacts.BrandFile("fonts/Regular.ttf")));
        Assert.Throws<ArgumentException>(() => new ArtifactKey("../escape.txt"));
        Assert.Throws<ArgumentException>(() => new ArtifactKey("/etc/passwd"));
    }

    [Fact]
    public void Steps_registered_after_another_go_right_behind_it_in_the_order_they_were_registered_wherever_that_was()
    {
        var services = new ServiceCollection()
            .AddStoryStep(Step("late", [], []), _ => throw new InvalidOperationException("not built"), after: "b")
            .AddStoryStep(Step("a", [], []), _ => throw new InvalidOperationException("not built"))
            .AddStoryStep(Step("b", [], []), _ => throw new InvalidOperationException("not built"))
            .AddStoryStep(Step("later", [], []), _ => throw new InvalidOperationException("not built"), after: "b")
            .AddStoryStep(Step("c", [], []), _ => throw new InvalidOperationException("not built"));
        Assert.Equal(["a", "b", "late", "later", "c"], services.RegisteredPipeline().StepNames);
        using var provider = services.BuildServiceProvider();
        Assert.Equal(["a", "b", "late", "later", "c"], provider.GetRequiredService<Pipeline>().StepNames);

        var nowhere = new ServiceCollection().AddStoryStep(Step("x", [], []), _ => throw new InvalidOperationException(), after: "nope");
        Assert.Contains("registered after 'nope'", Assert.Throws<InvalidOperationException>(() => nowhere.RegisteredPipeline()).Message);
    }

    [Fact]
    public void A_registered_step_must_call_itself_by_the_name_it_was_registered_under()
    {
        using var provider = new ServiceCollection()
            .AddStoryStep(Step("init", [], []), _ => new ScriptedStep("publish", Path.GetTempPath())).BuildServiceProvider();
        var e = Assert.Throws<InvalidOperationException>(() => provider.GetServices<IStoryStep>().ToList());
        Assert.Contains("registered as 'init' calls itself 'publish'", e.Message);
    }

    [Fact]
    public void Pool_sizes_are_what_each_step_declares_on_the_nodes_cores_unless_Pools_names_a_size()
    {
        var sizes = StepPoolSizes.For(NodeSteps.Pipeline, new Dictionary<string, int>(), cores: 16);
        Assert.Equal(NodeSteps.Pipeline.StepNames.Order(), sizes.Sizes.Keys.Order());
        // The sizes nodes had before steps declared them: fixed for init and publish, half the cores for the CPU-heavy
        // steps, one landmarks run at a time.
        Assert.Equal([("init", 2), ("speech", 8), ("phonemes", 8), ("landmarks", 1), ("render", 8), ("compose", 8), ("publish", 2)],
            NodeSteps.Pipeline.StepNames.Select(n => (n, sizes.For(n))));
        Assert.Equal(1, StepPoolSizes.For(NodeSteps.Pipeline, new Dictionary<string, int>(), cores: 1).For("compose"));

        var configured = StepPoolSizes.For(NodeSteps.Pipeline, new Dictionary<string, int> { ["compose"] = 3, ["landmarks"] = 4 }, cores: 16);
        Assert.Equal((3, 4, 8), (configured.For("compose"), configured.For("landmarks"), configured.For("render")));
    }

    [Fact]
    public void A_journal_written_before_the_artifact_catalogue_replays_with_todays_keys_and_resumes_where_it_was()
    {
        var story = StoryStateTests.Sample();
        var state = StoryState.Empty(story.Id);
        IStoryEvent[] journal =
        [
            new Accepted(story.Id, 1, story.ToCanonicalJson(), story.ContentHash(), NodeSteps.Pipeline.StepNames, T0),
            .. Ran("init", new ArtifactRecord("images.json", "images.json", "aa", 1), new ArtifactRecord("brand.json", "brand/brand.json", "bb", 2),
                new ArtifactRecord("brand:fonts/Bold.ttf", "brand/fonts/Bold.ttf", "cc", 3)),
            .. Ran("speech", new ArtifactRecord("speech.wav", "speech.wav", "dd", 4)),
            .. Ran("phonemes", new ArtifactRecord("phones", "phones.json", "ee", 5)),
            .. Ran("landmarks", new ArtifactRecord("landmarks", "landmarks.json", "ff", 6)),
            .. Ran("render", new ArtifactRecord("anchor", "anchor.mkv", "11", 7)),
        ];
        state = journal.Aggregate(state, (s, e) => s.Apply(e));

        // The next step finds what it reads under today's keys; the files are the same.
        var artifacts = state.CompletedArtifacts;
        Assert.Equal("phones.json", artifacts[Artifacts.Phones.Name]);
        Assert.Equal("landmarks.json", artifacts[Artifacts.Landmarks.Name]);
        Assert.Equal("anchor.mkv", artifacts[Artifacts.Anchor.Name]);
        Assert.Equal("brand/brand.json", artifacts[Artifacts.BrandManifest.Name]);
        Assert.Equal("brand/fonts/Bold.ttf", artifacts[Artifacts.BrandFile("fonts/Bold.ttf").Name]);
        Assert.Equal("compose", state.NextStep!.Name);
        // …and so does a story recovered from a snapshot taken before.
        var fromSnapshot = (StorySnapshot.Of(state) with { Steps = journal.Aggregate(StoryState.Empty(story.Id), Raw).Steps }).ToState();
        Assert.Equal(artifacts, fromSnapshot.CompletedArtifacts);

        // The published video and poster of an old publish are the story's video and poster.
        IStoryEvent[] published =
        [
            .. Ran("compose", new ArtifactRecord("video.mp4", "video.mp4", "22", 8), new ArtifactRecord("poster.jpg", "poster.jpg", "33", 9)),
            .. Ran("publish", new ArtifactRecord("video", "/out/videos/city-budget.mp4", "", 0), new ArtifactRecord("poster", "/out/videos/city-budget.jpg", "", 0)),
        ];
        state = published.Aggregate(state, (s, e) => s.Apply(e));
        var done = Assert.IsType<Completed>(state.Advance("node-1", T0));
        Assert.Equal(("/out/videos/city-budget.mp4", "/out/videos/city-budget.jpg"), (done.Video, done.Poster));
        Assert.Equal("/out/videos/city-budget.mp4", StoryView.From(state.Apply(done)).Steps.Single(s => s.Name == "publish").Artifacts[Artifacts.Video.Name]);
    }

    private static IStoryEvent[] Ran(string step, params ArtifactRecord[] artifacts) =>
        [new StepStarted("city-budget", 1, step, 1, "node-1", T0), new StepCompleted("city-budget", 1, step, 1, "old", artifacts, T0)];

    /// <summary>What an older node's state held: the journal's artifact names as they were written.</summary>
    private static StoryState Raw(StoryState s, IStoryEvent e) => e is StepCompleted c
        ? s.Apply(c) with { Steps = s.Apply(c).Steps.Select(r => r.Name == c.Step ? r with { Artifacts = [.. c.Artifacts] } : r).ToImmutableList() }
        : s.Apply(e);
}
