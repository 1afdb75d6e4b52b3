using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using NiusTv.Actors.Admission;
using NiusTv.Actors.Ingest;
using NiusTv.Actors.Stories;
using NiusTv.Host.Admin;
using NiusTv.Steps.Speech;
using Xunit;
using static NiusTv.Host.Admin.OperatorApi;

namespace NiusTv.Tests.Admin;

/// <summary>The node writes its admin replies and the CLI reads them with one definition (<see cref="AdminJson"/>):
/// every reply record comes back from its JSON as it was sent, and the JSON is what the node wrote before the records
/// had generated metadata, field for field.</summary>
public sealed class AdminRepliesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 9, 30, 0, 125, TimeSpan.Zero);

    /// <summary>The node's JSON options as they were set up before <see cref="AdminJson"/>: reflection only.</summary>
    private static readonly JsonSerializerOptions Before = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    private static StoryView Story() => new(
        Id: "harbour-reopens", Revision: 2, State: "running", Title: "Harbour reopens — «à la une»", Priority: "breaking", Error: null,
        Video: null, Poster: null, AcceptedAt: T0, FinishedAt: null, DurationSeconds: null,
        Steps:
        [
            new StepView("speech", "completed", 1, "10.0.0.7:4053", "festival", T0, T0.AddSeconds(1.5), 1.5, 1.0,
                new Dictionary<string, string> { ["speech.wav"] = "speech/speech.wav" }, new Dictionary<string, string> { ["speech.wav"] = "sha256:ab" },
                null, null, [new StepAttempt(1, "10.0.0.7:4053", T0, T0.AddSeconds(1.5), "completed", null)]),
            new StepView("compose", "retrying", 2, "10.0.0.7:4053", "ffmpeg", T0.AddSeconds(2), null, null, 0.25,
                new Dictionary<string, string>(), new Dictionary<string, string>(), "ffmpeg stopped: it's out of disk", T0.AddMinutes(1),
                [new StepAttempt(1, "10.0.0.7:4053", T0.AddSeconds(2), T0.AddSeconds(3), "failed", "ffmpeg stopped: it's out of disk")]),
        ],
        ResultsCleanedAt: T0.AddDays(7));

    /// <summary>One of every reply the admin routes answer with.</summary>
    public static TheoryData<string, Type, object> Replies() => new()
    {
        { "story", typeof(StoryView), Story() },
        { "stories", typeof(List<StorySummary>), new List<StorySummary> { new("harbour-reopens", 2, "running", "Harbour", "compose", T0, null, null, null) } },
        { "publish", typeof(StoryCommands.PublishResult), new StoryCommands.PublishResult("harbour-reopens", 2, true, "accepted") },
        { "cancel", typeof(StoryCommands.CancelResult), new StoryCommands.CancelResult("harbour-reopens", false, "completed") },
        { "retry", typeof(StoryCommands.RetryResult), new StoryCommands.RetryResult("harbour-reopens", 2, true, "compose", "running", null) },
        { "error", typeof(AdminApi.ErrorBody), new AdminApi.ErrorBody("the story is not valid: id: missing", [new("id", "missing")]) },
        { "node", typeof(AdminApi.NodeView), new AdminApi.NodeView("akka.tcp://nius@127.0.0.1:4053", "up", ["worker", "scaler"], "/data", "/assets", "gs://out/videos") },
        { "pronunciations", typeof(List<AdminApi.PronunciationView>), new List<AdminApi.PronunciationView> { new("Ruiz", "ruiz", "roo-EES", ["R", "UW0", "IY1", "S"]) } },
        { "pronunciation set", typeof(AdminApi.PronunciationView), new AdminApi.PronunciationView("Nguyen", "nguyen", "W IH N", ["W", "IH", "N"]) },
        { "ingest", typeof(IngestStats), new IngestStats("stories-workers", 64, 3, 10, 7, 1, 1, 1, 0, [new DeadLetter("m-1", null, "id: missing", T0)], true) },
        { "gpu", typeof(List<GpuSlotReport>), new List<GpuSlotReport> { new("10.0.0.7:4053", "cpu-0", "harbour-reopens/render", "breaking", 2, 1.25, T0) } },
        { "scaler", typeof(ScalerReport), new ScalerReport("10.0.0.7:4053", "log only (no GKE project configured)", 1, T0, 4, 2, ["10.0.0.7:4053"], "hold: cooling down",
            [new ScalerDecisionRow(T0, "decided", "up", 0, 1, "4 waiting"), new ScalerDecisionRow(T0.AddSeconds(1), "applied", null, null, 1, "pool gpu")]) },
        { "voices", typeof(List<VoiceInfo>), new List<VoiceInfo> { new("slt", "en-US", "female", "festival") } },
        { "cluster", typeof(ClusterView), new ClusterView("akka.tcp://nius@a:1", "akka.tcp://nius@a:1",
            [new MemberView("akka.tcp://nius@a:1", "up", ["worker"], true, 123_456_789_012, T0), new MemberView("akka.tcp://nius@b:2", "up", [], false)], ["akka.tcp://nius@b:2"]) },
        { "cluster command", typeof(ClusterCommandResult), new ClusterCommandResult("leave", ["akka.tcp://nius@a:1"]) },
        { "regions", typeof(List<RegionsView>), new List<RegionsView> { new("story", ["akka.tcp://nius@a:1"]) } },
        { "region stats", typeof(List<RegionStatsView>), new List<RegionStatsView> { new("akka.tcp://nius@a:1", new Dictionary<string, int> { ["7"] = 2 }, 2, ["9"]) } },
        { "shards", typeof(ShardsView), new ShardsView("story", "akka.tcp://nius@a:1", [new ShardView("7", ["harbour-reopens"])], []) },
        { "actors", typeof(ActorNode), new ActorNode("/", "", [new ActorNode("/user", "user", [])]) },
        { "models", typeof(ModelsView), new ModelsView("cpu", [new ModelView("tacotron2", "speech", "/models/t2.pt", "cpu", "float32", 28_000_000, 112_000_000)]) },
        { "log", typeof(List<LogRing.Line>), new List<LogRing.Line> { new(T0, "information", "NiusTv.Node", "story harbour-reopens accepted as revision 2") } },
        { "component", typeof(ComponentReport), new ComponentReport("pool", true, "2 nodes", new { nodes = 2, zone = "europe-west4-a" }) },
    };

    [Theory]
    [MemberData(nameof(Replies))]
    public void A_reply_is_written_as_before_and_the_cli_reads_it_back_whole(string route, Type type, object reply)
    {
        var wire = JsonSerializer.Serialize(reply, type, AdminJson.Options);
        Assert.Equal(JsonSerializer.Serialize(reply, type, Before), wire);
        var read = JsonSerializer.Deserialize(JsonDocument.Parse(wire).RootElement, type, AdminJson.Options);
        Assert.True(read is not null, route);
        Assert.Equal(wire, JsonSerializer.Serialize(read, type, AdminJson.Options));
    }

    [Fact]
    public void Every_record_in_the_wire_contract_has_a_reply_above()
    {
        var contract = typeof(AdminJsonContext).GetCustomAttributesData().Where(a => a.AttributeType == typeof(JsonSerializableAttribute))
            .Select(a => (Type)a.ConstructorArguments[0].Value!).ToHashSet();
        var covered = Replies().Select(row => row.Data.Item2).ToHashSet();
        Assert.Empty(contract.Except(covered));
    }

    [Fact]
    public void Story_show_json_keeps_the_fields_the_architecture_fixes()
    {
        var story = JsonDocument.Parse(JsonSerializer.Serialize(Story(), AdminJson.Options)).RootElement;
        foreach (var field in new[] { "id", "revision", "state", "error", "video", "steps" }) Assert.True(story.TryGetProperty(field, out _), field);
        var step = story.GetProperty("steps")[0];
        foreach (var field in new[] { "name", "state", "attempts", "node", "startedAt", "completedAt", "artifacts" }) Assert.True(step.TryGetProperty(field, out _), field);
        Assert.Equal("speech/speech.wav", step.GetProperty("artifacts").GetProperty("speech.wav").GetString());
    }
}
