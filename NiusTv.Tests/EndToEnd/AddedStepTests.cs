using System.Security.Cryptography;
using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using NiusTv.Actors.Stories;
using NiusTv.Host.Node;
using NiusTv.Steps;
using NiusTv.Steps.Compose;
using NiusTv.Steps.Publish;
using NiusTv.Steps.Stories;
using NiusTv.Steps.Tools;
using Xunit;
using static NiusTv.Actors.Stories.StepPoolProtocol;
using static NiusTv.Actors.Stories.StoryEvents;

namespace NiusTv.Tests.EndToEnd;

/// <summary>A step is its own code and one registration. This file alone adds a step between compose and publish to
/// a real node in this process (the node's own step registrations, story actors, step pools and journal), and a story
/// runs through it: about 30 s, most of it the real steps before compose.</summary>
[Trait("Speed", "Slow")]
public sealed class AddedStepTests
{
    /// <summary>A step of this test's own: reads the composed video and writes what it found into <see cref="Review"/>.</summary>
    private sealed class ReviewStep : IStoryStep
    {
        public static readonly ArtifactKey Review = new("review.json");

        public static readonly StepDefinition Definition = new("review", inputs: [Artifacts.Video], outputs: [Review], PoolSize.Fixed(3));

        public string Name => Definition.Name;
        public string Backend => "ffprobe";

        public async Task<StepOutput> RunAsync(StepInput input, IProgress<double> progress, CancellationToken ct)
        {
            var probe = await MediaProbe.ProbeAsync(input.PathOf(Artifacts.Video), ct);
            await File.WriteAllTextAsync(Review.In(input.Workspace),
                JsonSerializer.Serialize(new { seconds = probe.Video?.Duration, width = probe.Video?.Width }), ct);
            return StepOutput.Files([Review]);
        }
    }

    [Fact]
    public async Task A_step_registered_after_compose_runs_between_compose_and_publish_and_the_journal_records_its_artifact()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempFolder();
        var settings = new NodeSettings
        {
            DataDir = dir.Combine("data"), Out = dir.Combine("out"), Assets = dir.Folder("assets"),
            Admin = $"127.0.0.1:{LoopbackPorts.Free()}", Port = LoopbackPorts.Free(), Roles = ["worker"],
        };
        await using var app = NodeHost.Build(settings, Microsoft.Extensions.Logging.LogLevel.Warning,
            addServices: services => services.AddStoryStep<ReviewStep>(ReviewStep.Definition, after: ComposeStep.Definition.Name));
        await app.StartAsync(ct);
        try
        {
            // The node's pipeline is the usual one with the step right after compose, and its pool has the size the
            // step declared.
            var pipeline = app.Services.GetRequiredService<Pipeline>();
            Assert.Equal(NodeSteps.Pipeline.Insert(ReviewStep.Definition, after: ComposeStep.Definition.Name).StepNames, pipeline.StepNames);
            var at = pipeline.StepNames.ToList().IndexOf(ReviewStep.Definition.Name);
            Assert.Equal((ComposeStep.Definition.Name, PublishStep.Definition.Name), (pipeline.StepNames[at - 1], pipeline.StepNames[at + 1]));
            var registry = app.Services.GetRequiredService<ActorRegistry>();
            var pools = await registry.Get<StepPools>().Ask<List<PoolState>>(new GetPoolState(), TimeSpan.FromSeconds(10), ct);
            Assert.Equal(3, pools.Single(p => p.Step == ReviewStep.Definition.Name).Concurrency);

            var story = new Story("reviewed-story", "Harbour reopens", ["The harbour reopened on Monday."], [],
                "default", "default", StoryPriority.Normal, new StoryOutput(640, 320, 10));
            var region = registry.Get<StoryActor>();
            var accepted = await region.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(story), TimeSpan.FromSeconds(60), ct);
            Assert.True(accepted.IsNewRevision);
            var view = await Eventually.Until(() => region.Ask<StoryView>(new StoryQueries.GetStory(story.Id), TimeSpan.FromSeconds(5), ct),
                v => v.State is "completed" or "failed", 300,
                v => $"the story finishes (now {v?.State}: {string.Join(", ", v?.Steps.Select(s => s.Name + "=" + s.State) ?? [])})");
            Assert.True(view.State == "completed", view.Error);

            // What `story show` prints: the step in its place, done once, with its artifact and the file's checksum.
            Assert.Equal(pipeline.StepNames, view.Steps.Select(s => s.Name));
            var review = view.Steps.Single(s => s.Name == ReviewStep.Definition.Name);
            Assert.Equal(("completed", 1, "ffprobe"), (review.State, review.Attempts, review.Backend));
            Assert.Equal(new Dictionary<string, string> { ["review.json"] = "review.json" }, review.Artifacts);
            var file = ReviewStep.Review.In(Path.Combine(settings.WorkspaceRoot, story.Id, "r1"));
            Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file))), review.Checksums["review.json"]);
            Assert.Equal(640, JsonDocument.Parse(File.ReadAllText(file)).RootElement.GetProperty("width").GetInt32());
            var compose = view.Steps.Single(s => s.Name == ComposeStep.Definition.Name);
            var publish = view.Steps.Single(s => s.Name == PublishStep.Definition.Name);
            Assert.True(compose.CompletedAt <= review.StartedAt && review.CompletedAt <= publish.StartedAt, "review ran after compose and before publish");
            Assert.True(File.Exists(view.Video), view.Video);

            // The journal: started and completed in pipeline order, the review's artifact with its checksum.
            var events = await new StoryCatalog(app.Services.GetRequiredService<ActorSystem>(), StoryPersistence.QueryPluginId).EventsAsync(story.Id);
            Assert.Equal(pipeline.StepNames, events.OfType<StepCompleted>().Select(e => e.Step));
            Assert.Equal(pipeline.StepNames, events.OfType<Accepted>().Single().Pipeline);
            var journaled = Assert.Single(events.OfType<StepCompleted>().Single(e => e.Step == ReviewStep.Definition.Name).Artifacts);
            Assert.Equal(("review.json", "review.json", review.Checksums["review.json"]), (journaled.Name, journaled.Path, "sha256:" + journaled.Sha256));
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }
    }
}
