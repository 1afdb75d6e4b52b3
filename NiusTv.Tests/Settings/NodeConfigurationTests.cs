using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NiusTv.Host.Node;
using NiusTv.Host.Node.Settings;
using NiusTv.Steps;
using Xunit;

namespace NiusTv.Tests.Settings;

/// <summary>Each configuration section is an options class bound from its keys; a bad value is one sentence naming the key.</summary>
public class NodeConfigurationTests
{
    [Theory]
    [InlineData("espeak-ng", SpeechBackend.EspeakNg)]
    [InlineData("espeak", SpeechBackend.EspeakNg)]
    [InlineData("Festival", SpeechBackend.Festival)]
    [InlineData("", SpeechBackend.Auto)]
    public void Choices_are_read_by_their_written_names(string value, SpeechBackend expected) =>
        Assert.Equal(expected, NodeConfiguration.Read<SpeechSettings>(NodeConfiguration.From(("Speech:Backend", value))).Backend);

    [Theory]
    [InlineData("Speech:Backend", "piper", "'piper' is not a speech backend: use auto, tacotron2, festival or espeak-ng")]
    [InlineData("Render:Renderer", "oil", "'oil' is not a renderer: use warp, sketch, pix2pixhd or footage")]
    [InlineData("Phonemes:Aligner", "mfa", "'mfa' is not an aligner: use auto, synthesizer, pocketsphinx or gentle")]
    public void A_choice_that_is_not_one_names_the_key_and_the_choices(string key, string value, string sentence)
    {
        var config = NodeConfiguration.From((key, value));
        var e = Assert.Throws<SettingsException>(() => new ServiceCollection().AddNodeSteps(config, new NodeSettings()));
        Assert.Equal(key, e.Setting);
        Assert.Equal($"{key}: {sentence}", e.Message);
    }

    [Fact]
    public void A_value_of_the_wrong_type_names_the_key()
    {
        var e = Assert.Throws<SettingsException>(() => NodeConfiguration.Read<RetrySettings>(NodeConfiguration.From(("Retry:MaxAttempts", "many"))));
        Assert.Equal("Retry:MaxAttempts", e.Setting);
        Assert.Equal("Retry:MaxAttempts: 'many' is not a whole number", e.Message);
        Assert.Equal("Models:Fp16: 'yes' is not true or false",
            Assert.Throws<SettingsException>(() => NodeConfiguration.Read<ModelsSettings>(NodeConfiguration.From(("Models:Fp16", "yes")))).Message);
        Assert.Equal("Gpu:LeaseSeconds: 'long' is not a number",
            Assert.Throws<SettingsException>(() => NodeConfiguration.Read<GpuSettings>(NodeConfiguration.From(("Gpu:LeaseSeconds", "long")))).Message);
    }

    [Fact]
    public void Discovery_is_a_choice_of_the_node_section()
    {
        Assert.Equal(NodeDiscovery.Kubernetes, NodeSettings.FromConfiguration(NodeConfiguration.From(("Node:Discovery", "kubernetes"))).Discovery);
        var e = Assert.Throws<SettingsException>(() => NodeSettings.FromConfiguration(NodeConfiguration.From(("Node:Discovery", "mdns"))));
        Assert.Equal("Node:Discovery: 'mdns' is not a discovery: use seeds or kubernetes", e.Message);
    }

    [Fact]
    public void Node_lists_are_read_comma_separated_or_as_items_and_replace_their_defaults()
    {
        var csv = NodeSettings.FromConfiguration(NodeConfiguration.From(("Node:Seeds", "10.0.0.1:4053, 10.0.0.2:4053"), ("Node:Roles", "worker")));
        Assert.Equal(["10.0.0.1:4053", "10.0.0.2:4053"], csv.Seeds);
        Assert.Equal(["worker"], csv.Roles);
        var items = NodeSettings.FromConfiguration(NodeConfiguration.From(("Node:Roles:0", "scaler"), ("Node:AdminHosts:0", "nius.example.org")));
        Assert.Equal(["scaler"], items.Roles);
        Assert.Equal(["nius.example.org"], items.AdminHosts);
        var none = NodeSettings.FromConfiguration(NodeConfiguration.From());
        Assert.Equal(["worker", "scaler"], none.Roles);
        Assert.Empty(none.Seeds);

        // The options a started node validates read the same lists.
        using var services = new ServiceCollection().AddNodeSections(csv).BuildServiceProvider();
        Assert.Equal(["worker"], services.GetRequiredService<IOptions<NodeSection>>().Value.Roles);
    }

    [Theory]
    [InlineData("Node:Port", "abc", "Node:Port: 'abc' is not a whole number")]
    [InlineData("Node:ManagementPort", "x", "Node:ManagementPort: 'x' is not a whole number")]
    [InlineData("Node:AdminFailedTokenLimit", "0", "Node:AdminFailedTokenLimit: '0' is not a positive number")]
    [InlineData("Node:AdminFailedTokenWindow", "soon", "Node:AdminFailedTokenWindow: 'soon' is not a duration: give e.g. 6h, 90m, 3d or 06:00:00")]
    [InlineData("Node:AdminFailedTokenWindow", "500ms", "Node:AdminFailedTokenWindow: '500ms' is not a duration: give e.g. 6h, 90m, 3d or 06:00:00")]
    [InlineData("Node:AdminFailedTokenWindow", "0.5s", "Node:AdminFailedTokenWindow: '0.5s' is shorter than 1 second: give e.g. 1m, 10m or 00:05:00")]
    public void A_bad_node_value_is_one_sentence_naming_its_key(string key, string value, string expected)
    {
        Assert.Equal(expected, Assert.Throws<SettingsException>(() => NodeSettings.FromConfiguration(NodeConfiguration.From((key, value)))).Message);
        Assert.Equal(expected, Assert.Throws<SettingsException>(() =>
            new ServiceCollection().AddNodeSections(new NodeSettings { Configuration = NodeConfiguration.From((key, value)) })).Message);
    }

    [Fact]
    public void Node_durations_presenters_and_landmarks_are_bound()
    {
        var node = NodeSettings.FromConfiguration(NodeConfiguration.From(("Node:AdminFailedTokenWindow", "10m"),
            ("Presenters:Root", "/srv/presenters"), ("Landmarks:Model", "/srv/shape.dat")));
        Assert.Equal(TimeSpan.FromMinutes(10), node.AdminFailedTokenWindow);
        Assert.Equal("/srv/presenters", node.PresentersDir);
        Assert.Equal("/srv/shape.dat", node.LandmarkModel);
        Assert.Equal(TimeSpan.FromMinutes(1), NodeSettings.FromConfiguration(NodeConfiguration.From()).AdminFailedTokenWindow);
    }

    [Fact]
    public void Pools_and_workspace_durations_are_bound_and_checked()
    {
        var pools = NodeConfiguration.Read<PoolsSettings>(NodeConfiguration.From(("Pools:compose", "3"), ("Pools:landmarks", "4")));
        Assert.Equal([("compose", 3), ("landmarks", 4)], pools.Sizes.OrderBy(p => p.Key).Select(p => (p.Key, p.Value)));
        Assert.Equal("Pools:render", Assert.Throws<SettingsException>(() => NodeConfiguration.Read<PoolsSettings>(NodeConfiguration.From(("Pools:render", "0")))).Setting);
        Assert.Equal("Pools:compose: 'lots' is not a positive number",
            Assert.Throws<SettingsException>(() => NodeConfiguration.Read<PoolsSettings>(NodeConfiguration.From(("Pools:compose", "lots")))).Message);

        var workspace = NodeConfiguration.Read<WorkspaceSettings>(NodeConfiguration.From(("Workspace:KeepCompletedFor", "90m"), ("Workspace:SweepEvery", "00:05:00")));
        Assert.Equal((TimeSpan.FromMinutes(90), TimeSpan.FromDays(3), TimeSpan.FromMinutes(5)),
            (workspace.Retention.KeepCompletedFor, workspace.Retention.KeepFailedFor, workspace.Retention.SweepEvery));
        var e = Assert.Throws<SettingsException>(() => NodeConfiguration.Read<WorkspaceSettings>(NodeConfiguration.From(("Workspace:KeepFailedFor", "soon"))));
        Assert.Equal("Workspace:KeepFailedFor: 'soon' is not a duration: give e.g. 6h, 90m, 3d or 06:00:00", e.Message);
    }

    [Fact]
    public void Registered_sections_are_options_validated_on_start()
    {
        var good = new ServiceCollection();
        good.AddSection<GpuSettings>(NodeConfiguration.From(("Gpu:Count", "2"), ("Gpu:LeaseSeconds", "90")));
        using (var services = good.BuildServiceProvider())
        {
            NodeConfiguration.ValidateOnStart(services);
            var gpu = services.GetRequiredService<IOptions<GpuSettings>>().Value;
            Assert.Equal((2, TimeSpan.FromSeconds(90)), (gpu.RenderSlots, gpu.Lease));
        }

        // A value that turns bad after registration (a reloaded file) is still caught when the node starts.
        var source = new ConfigurationBuilder()
            .AddInMemoryCollection([new("Ingest:AckDeadlineSeconds", "30")]).Build();
        var later = new ServiceCollection();
        later.AddSection<NiusTv.Host.Node.Settings.IngestSettings>(source);
        source["Ingest:AckDeadlineSeconds"] = "5";
        using var bad = later.BuildServiceProvider();
        var e = Assert.Throws<SettingsException>(() => NodeConfiguration.ValidateOnStart(bad));
        Assert.Equal("Ingest:AckDeadlineSeconds: Pub/Sub accepts 10 to 600 seconds", e.Message);
    }

    [Fact]
    public void A_backlog_subscription_without_a_pubsub_project_stops_the_node_at_start()
    {
        static ServiceProvider Node(string? project) => new ServiceCollection()
            .AddNodeSections(new NodeSettings { PubSubProject = project, Configuration = NodeConfiguration.From(("Backlog:Subscription", "stories-backlog")) })
            .BuildServiceProvider();
        using (var without = Node(null))
            Assert.Equal("Backlog:Subscription: a backlog subscription needs --pubsub PROJECT",
                Assert.Throws<SettingsException>(() => NodeConfiguration.ValidateOnStart(without)).Message);
        using var with = Node("newsroom");
        NodeConfiguration.ValidateOnStart(with);
    }
}
