using Microsoft.Extensions.Configuration;
using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using NiusTv.Actors.Admission;
using NiusTv.Host.Cli;
using NiusTv.Host.Node;
using NiusTv.Host.Node.Settings;
using NiusTv.Steps;
using NiusTv.Steps.Render;
using NiusTv.Steps.Stories;
using Xunit;
using NiusTv.Steps.Tools;

namespace NiusTv.Tests.Render;

/// <summary>How a node offers the renderers and GPU admission to its steps.</summary>
public class RenderWiringTests
{
    [Fact]
    public void Without_a_checkpoint_the_node_has_the_warp_sketch_and_footage_renderers_and_warp_is_the_default()
    {
        using var models = new NiusTv.Steps.Models.ModelRegistry(NiusTv.Steps.Models.ModelDevice.Cpu);
        var renderers = RenderRegistration.Renderers(NodeSteps.RenderOptions(new RenderSettings()), models);
        Assert.Empty(models.Models);
        Assert.Equal(["footage", "sketch", "warp"], renderers.Keys.Order());
        Assert.False(renderers["footage"].NeedsGpu);
        Assert.False(renderers["sketch"].NeedsGpu);
        Assert.False(renderers["warp"].NeedsGpu);
        Assert.Equal("warp", RenderRegistration.Renderer(NodeSteps.RenderOptions(new RenderSettings()), renderers).Name);
        Assert.Equal("sketch", RenderRegistration.Renderer(NodeSteps.RenderOptions(new RenderSettings { Renderer = AnchorRenderer.Sketch }), renderers).Name);
        var e = Assert.Throws<SettingsException>(() => RenderRegistration.Renderer(NodeSteps.RenderOptions(new RenderSettings { Renderer = AnchorRenderer.Pix2PixHD }), renderers));
        Assert.Contains("Render:Pix2PixHD:Checkpoint", e.Message);
    }

    [Fact]
    public void A_bad_checkpoint_stops_the_node_at_start_up_naming_the_setting_and_the_keys()
    {
        using var dir = new TempFolder();
        var folder = Pix2PixHDRendererTests.WriteCheckpoint(dir);
        var config = Path.Combine(folder, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"n_blocks_global\":1", "\"n_blocks_global\":2"));
        using var models = new NiusTv.Steps.Models.ModelRegistry(NiusTv.Steps.Models.ModelDevice.Cpu);
        var e = Assert.Throws<SettingsException>(() => RenderRegistration.Renderers(NodeSteps.RenderOptions(new RenderSettings { Pix2PixHD = { Checkpoint = folder } }), models));
        Assert.Empty(models.Models);
        Assert.StartsWith("Render:Pix2PixHD:Checkpoint:", e.Message);
        Assert.Contains("missing keys", e.Message);
    }

    [Fact]
    public void A_good_checkpoint_is_loaded_once_into_the_node_model_registry()
    {
        using var dir = new TempFolder();
        var folder = Pix2PixHDRendererTests.WriteCheckpoint(dir);
        using var models = new NiusTv.Steps.Models.ModelRegistry(NiusTv.Steps.Models.ModelDevice.Cpu);
        var renderers = RenderRegistration.Renderers(NodeSteps.RenderOptions(new RenderSettings { Pix2PixHD = { Checkpoint = folder } }), models);
        Assert.True(renderers["pix2pixhd"].NeedsGpu);
        var entry = Assert.Single(models.Models);
        Assert.Equal(("pix2pixhd", "cpu"), (entry.Name, entry.Device));
        Assert.True(entry.Parameters > 0 && entry.Bytes >= entry.Parameters * 4);
    }

    [Fact]
    public void Render_settings_are_read_from_configuration()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Render:Pix2PixHD:Checkpoint"] = "/models/anchor", ["Render:Pix2PixHD:Device"] = "cuda:1", ["Render:Pix2PixHD:BatchSize"] = "8",
        }).Build();
        var s = NodeSteps.RenderOptions(NodeConfiguration.Read<RenderSettings>(config));
        Assert.Equal(("/models/anchor", "cuda:1", 8), (s.Pix2PixHDCheckpoint, s.Pix2PixHDDevice, s.Pix2PixHDBatchSize));
        var bad = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Render:Pix2PixHD:BatchSize"] = "0" }).Build();
        Assert.Contains("Render:Pix2PixHD:BatchSize", Assert.Throws<SettingsException>(() => NodeConfiguration.Read<RenderSettings>(bad)).Message);
    }

    [Fact]
    public async Task A_running_node_offers_both_renderers_and_grants_its_GPU_slot_through_IGpuAdmission()
    {
        using var dir = new TempFolder();
        var settings = new NodeSettings
        {
            DataDir = dir.Combine("data"), Out = dir.Combine("out"), Assets = dir.Folder("assets"),
            Admin = $"127.0.0.1:{LoopbackPorts.Free()}", Port = LoopbackPorts.Free(), Roles = ["worker"],
            Configuration = NodeConfiguration.From(("Render:Pix2PixHD:Checkpoint", Pix2PixHDRendererTests.WriteCheckpoint(dir)), ("Render:Pix2PixHD:BatchSize", "2")),
        };
        await using var app = NodeHost.Build(settings, Microsoft.Extensions.Logging.LogLevel.Warning);
        var ct = TestContext.Current.CancellationToken;
        await app.StartAsync(ct);
        try
        {
            Assert.Equal(["footage", "pix2pixhd", "sketch", "warp"], app.Services.GetServices<IRenderer>().Select(r => r.Name).Order());
            var admission = app.Services.GetRequiredService<IGpuAdmission>();
            await using (var grant = await admission.AcquireAsync("wired", StoryPriority.Breaking, ct).WaitAsync(TimeSpan.FromSeconds(30), ct))
            {
                Assert.StartsWith("gpu-", grant.Slot);
                var system = app.Services.GetRequiredService<ActorSystem>();
                var router = app.Services.GetRequiredService<Akka.Hosting.ActorRegistry>().Get<GpuAdmissions>();
                var slots = await router.Ask<List<GpuSlotReport>>(new GpuAdmissionProtocol.GetSlots(), TimeSpan.FromSeconds(5), ct);
                Assert.Contains(slots, s => s.Holder?.StartsWith("wired/") == true && s.HolderPriority == "breaking");
                Assert.NotNull(system);
            }
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }
    }
}

[Trait("Speed", "Slow")]
public class RenderBenchTests
{
    [Fact]
    public async Task Bench_render_measures_sketch_and_a_given_checkpoint_and_refuses_a_bad_size()
    {
        using var dir = new TempFolder();
        var checkpoint = Pix2PixHDRendererTests.WriteCheckpoint(dir);
        Assert.Equal(0, await NiusTv.Host.Program.InvokeAsync(NiusTv.Host.Program.BuildRoot(),
            ["bench", "render", "--size", "64x32", "--frames", "3", "--nn-frames", "2", "--checkpoint", checkpoint, "--json"]));
        Assert.NotEqual(0, await NiusTv.Host.Program.InvokeAsync(NiusTv.Host.Program.BuildRoot(), ["bench", "render", "--size", "64by32", "--json"]));
        Assert.NotEqual(0, await NiusTv.Host.Program.InvokeAsync(NiusTv.Host.Program.BuildRoot(), ["bench", "render", "--checkpoint", dir.Combine("none"), "--json"]));
    }
}
