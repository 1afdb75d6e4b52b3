using System.Collections.Immutable;
using System.Text.Json.Nodes;
using NiusTv.Actors.Stories;
using NiusTv.Steps;
using NiusTv.Steps.Stories;
using Xunit;
using static NiusTv.Actors.Stories.StoryEvents;

namespace NiusTv.Tests.Stories;

/// <summary>Renditions (<c>outputs</c>) as data: how the parser reads them, how a story's steps are laid out per
/// rendition, and what a retry of one rendition resets. The actor and a real node are in
/// <see cref="RenditionActorTests"/> and <see cref="NiusTv.Tests.EndToEnd.RenditionsEndToEndTests"/>.</summary>
public sealed class RenditionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    private const string Base = """{"id":"ferry","title":"Ferry returns","paragraphs":["The ferry runs again."]}""";

    private static string With(Action<JsonObject> change)
    {
        var doc = JsonNode.Parse(Base)!.AsObject();
        change(doc);
        return doc.ToJsonString();
    }

    private static JsonArray Outputs(params object[] items) => JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(items))!.AsArray();

    private static Dictionary<string, string> Errors(string json)
    {
        var result = StoryParser.Parse(json);
        Assert.False(result.IsValid, "the story was accepted");
        return result.Errors.ToDictionary(e => e.Field, e => e.Message);
    }

    [Fact]
    public void A_story_with_two_named_outputs_parses_in_order_and_its_first_is_its_output()
    {
        var result = StoryParser.Parse(With(d => d["outputs"] = Outputs(
            new { name = "landscape", width = 1280, height = 720, fps = 25 }, new { name = "portrait", width = 720, height = 1280 })));
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        var story = result.Story!;
        Assert.Equal([new StoryRendition("landscape", new(1280, 720, 25)), new StoryRendition("portrait", new(720, 1280, 30))], story.Outputs);
        Assert.Equal(new StoryOutput(1280, 720, 25), story.Output);
        Assert.Equal(30, story.MotionFps);

        // Canonical JSON carries the renditions and no single output, and reads back to the same renditions.
        var canonical = story.ToCanonicalJson();
        Assert.DoesNotContain("\"output\":", canonical);
        var back = Story.FromCanonicalJson(canonical);
        Assert.Equal(story.Outputs, back.Outputs);
        Assert.Equal(story.Output, back.Output);
        Assert.Equal(canonical, back.ToCanonicalJson());
    }

    [Fact]
    public void A_story_with_one_output_or_none_keeps_its_canonical_bytes_and_has_no_renditions()
    {
        var single = StoryParser.Parse(With(d => d["output"] = JsonNode.Parse("""{"width":640,"height":360,"fps":25}"""))).Story!;
        Assert.False(single.HasRenditions);
        Assert.Empty(single.Outputs);
        // The bytes a story of this content always had: the renditions field is never written for it.
        Assert.Equal("""{"id":"ferry","title":"Ferry returns","paragraphs":["The ferry runs again."],"images":[],"presenter":"default","voice":"default","priority":"normal","output":{"width":640,"height":360,"fps":25}}""",
            single.ToCanonicalJson());
        var none = StoryParser.Parse(Base).Story!;
        Assert.Equal(StoryOutput.LocalDefault, none.Output);
        Assert.False(none.HasRenditions);
    }

    [Fact]
    public void Giving_output_and_outputs_together_is_an_error_naming_outputs()
    {
        var errors = Errors(With(d =>
        {
            d["output"] = JsonNode.Parse("""{"width":640,"height":360}""");
            d["outputs"] = Outputs(new { name = "a", width = 640, height = 360 });
        }));
        Assert.Equal(["outputs"], errors.Keys);
        Assert.Contains("together with output", errors["outputs"]);
    }

    [Fact]
    public void Bad_rendition_names_sizes_and_rates_are_errors_naming_the_rendition_and_its_field()
    {
        var errors = Errors(With(d => d["outputs"] = Outputs(
            new { name = "wide", width = 640, height = 360 },
            new { name = "Wide Screen", width = 640, height = 360 },
            new { name = "wide", width = 641, height = 360 },
            new { width = 640, height = 50000, fps = 0 },
            new { name = "tall", height = 640 },
            new { name = "square", width = 400, height = 400, colour = "red" })));
        Assert.Contains("a-z, 0-9 and '-'", errors["outputs[1].name"]);
        Assert.Contains("'wide' is already the name of outputs[0]", errors["outputs[2].name"]);
        Assert.Contains("must be an even number", errors["outputs[2].width"]);
        Assert.Contains("is required", errors["outputs[3].name"]);
        Assert.Contains("between 90 and 2160", errors["outputs[3].height"]);
        Assert.Contains("between 1 and 60", errors["outputs[3].fps"]);
        Assert.Contains("is required", errors["outputs[4].width"]);
        Assert.Contains("unknown property 'colour'", errors["outputs[5].colour"]);
        Assert.DoesNotContain("outputs[0].name", errors.Keys);
    }

    [Fact]
    public void Outputs_must_be_a_non_empty_array_of_at_most_eight_objects()
    {
        Assert.Contains("at least one output", Errors(With(d => d["outputs"] = new JsonArray()))["outputs"]);
        Assert.Contains("must be an array", Errors(With(d => d["outputs"] = JsonNode.Parse("""{"name":"a"}""")))["outputs"]);
        Assert.Contains("must be an object", Errors(With(d => d["outputs"] = Outputs("wide")))["outputs[0]"]);
        var nine = Enumerable.Range(0, 9).Select(i => (object)new { name = $"r{i}", width = 320, height = 180 }).ToArray();
        Assert.Contains("the limit is 8", Errors(With(d => d["outputs"] = Outputs(nine)))["outputs"]);
    }

    private static readonly Pipeline Template = new([
        new StepDefinition("init", [], [new ArtifactKey("a")], PoolSize.Fixed(1)),
        new StepDefinition("landmarks", [], [Artifacts.Landmarks], PoolSize.Fixed(1)),
        new StepDefinition("render", [Artifacts.Landmarks], [Artifacts.Anchor], PoolSize.Fixed(1)) { PerRendition = true },
        new StepDefinition("compose", [Artifacts.Anchor], [Artifacts.Video], PoolSize.Fixed(1)) { PerRendition = true },
        new StepDefinition("publish", [Artifacts.Video], [Artifacts.Video], PoolSize.Fixed(1)),
    ]);

    private static Story TwoRenditions() => StoryStateTests.Sample() with
    {
        Renditions = [new("landscape", new(640, 360, 25)), new("portrait", new(360, 640, 25))],
    };

    [Fact]
    public void A_story_with_renditions_runs_render_and_compose_once_per_rendition_and_the_rest_once()
    {
        Assert.Equal(["init", "landmarks", "render:landscape", "compose:landscape", "render:portrait", "compose:portrait", "publish"],
            Template.StepNamesFor(TwoRenditions()));
        Assert.Equal(["init", "landmarks", "render", "compose", "publish"], Template.StepNamesFor(StoryStateTests.Sample()));
        Assert.True(Template["compose"].Writes("renditions/portrait/video.mp4"));
        Assert.Equal("renditions/portrait/video.mp4", Artifacts.OfRendition(Artifacts.Video, "portrait").Name);
        Assert.Equal(("compose", "portrait"), (StoryStepName.Step("compose:portrait"), StoryStepName.Rendition("compose:portrait")));
    }

    private static StoryState Fold(StoryState s, IEnumerable<IStoryEvent> events) => events.Aggregate(s, (acc, e) => acc.Apply(e));

    /// <summary>Runs every step of <paramref name="s"/> to completion until <paramref name="stopAt"/>, which fails for good;
    /// completes the story when no step is left.</summary>
    private static StoryState RunUntil(StoryState s, string? stopAt)
    {
        while (s.Advance("n1", T0) is StepStarted started)
        {
            s = s.Apply(started);
            if (started.Step == stopAt)
                return Fold(s, s.StepFailedWith(s.Revision, started.Step, started.Attempt, "ffmpeg", "ffmpeg failed (exit 1)", false,
                    new RetryPolicy(3, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)), T0));
            var file = started.Step.Replace(':', '-') + ".out";
            s = Fold(s, s.StepSucceeded(s.Revision, started.Step, started.Attempt, "b", [new ArtifactRecord(file, file, "ab", 2)], T0));
        }
        return s.Advance("n1", T0) is Completed done ? s.Apply(done) : s;
    }

    [Fact]
    public void Retrying_one_renditions_failed_compose_resets_that_compose_and_publish_and_keeps_the_other_rendition()
    {
        var s = Fold(StoryState.Empty("city-budget"), StoryState.Empty("city-budget").Accept(TwoRenditions(), Template.StepNamesFor(TwoRenditions()), T0));
        s = RunUntil(s, "compose:landscape");
        Assert.Equal(StoryStatus.Failed, s.Status);

        var retry = s.Retry(null, "operator", T0);
        Assert.Equal("compose:landscape", retry.FromStep);
        s = Fold(s, retry.Events);
        var states = s.Steps.ToDictionary(x => x.Name, x => x.Status);
        Assert.Equal(StepStatus.Completed, states["render:landscape"]);
        Assert.Equal(StepStatus.Pending, states["compose:landscape"]);
        // Never run yet: pending as before.
        Assert.Equal((StepStatus.Pending, StepStatus.Pending), (states["render:portrait"], states["compose:portrait"]));

        s = RunUntil(s, null);
        Assert.Equal(StoryStatus.Completed, s.Status);
        // Now a retry of the landscape compose leaves every portrait result standing; publish runs again.
        s = Fold(s, s.Retry("compose:landscape", "operator", T0).Events);
        Assert.Equal(["compose:landscape", "publish"], s.Steps.Where(x => x.Status == StepStatus.Pending).Select(x => x.Name));
        // The step named plainly runs every rendition's compose again, and what follows.
        s = Fold(RunUntil(s, null), s.Retry("compose", "operator", T0).Events);
        Assert.Equal(["compose:landscape", "render:portrait", "compose:portrait", "publish"],
            s.Steps.Where(x => x.Status == StepStatus.Pending).Select(x => x.Name));
        Assert.Contains("compose:portrait", s.Retry("nothing", "operator", T0).Error);
    }

    [Fact]
    public void A_single_output_story_from_an_old_journal_replays_to_the_view_it_always_had()
    {
        // As the code before renditions journaled it: canonical JSON with "output", plain step names, plain keys.
        const string json = """{"id":"harbour","title":"Harbour reopens","paragraphs":["The harbour reopened."],"images":[],"presenter":"default","voice":"default","priority":"normal","output":{"width":640,"height":360,"fps":25}}""";
        string[] pipeline = ["init", "speech", "phonemes", "landmarks", "render", "compose", "publish"];
        var events = new List<IStoryEvent> { new Accepted("harbour", 1, json, "hash", pipeline, T0) };
        foreach (var step in pipeline)
        {
            events.Add(new StepStarted("harbour", 1, step, 1, "n1", T0));
            ArtifactRecord[] artifacts = step switch
            {
                "render" => [new("anchor.mkv", "anchor.mkv", "ab", 2)],
                "compose" => [new("video.mp4", "video.mp4", "ab", 2), new("poster.jpg", "poster.jpg", "cd", 2)],
                "publish" => [new("video.mp4", "/out/videos/harbour.mp4", "", 0), new("poster.jpg", "/out/videos/harbour.jpg", "", 0)],
                _ => [],
            };
            events.Add(new StepCompleted("harbour", 1, step, 1, "b", artifacts, T0));
        }
        var s = Fold(StoryState.Empty("harbour"), events);
        var completed = s.Advance("n1", T0);
        Assert.Equal(new Completed("harbour", 1, "/out/videos/harbour.mp4", "/out/videos/harbour.jpg", T0), completed);
        s = s.Apply(completed!);

        var view = StoryView.From(s);
        Assert.Equal(("completed", "/out/videos/harbour.mp4", "/out/videos/harbour.jpg"), (view.State, view.Video, view.Poster));
        Assert.Equal(pipeline, view.Steps.Select(x => x.Name));
        Assert.All(view.Steps, x => Assert.Null(x.Rendition));
        Assert.Null(view.Renditions);
        Assert.Equal(json, s.Story!.ToCanonicalJson());
        Assert.False(s.Story.HasRenditions);
        // A retry of the old story resets every later step, as before.
        s = Fold(s, s.Retry("render", "operator", T0).Events);
        Assert.Equal(["render", "compose", "publish"], s.Steps.Where(x => x.Status == StepStatus.Pending).Select(x => x.Name));
    }
}
