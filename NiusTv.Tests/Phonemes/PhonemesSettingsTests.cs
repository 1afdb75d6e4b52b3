using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using NiusTv.Host.Node;
using NiusTv.Steps;
using NiusTv.Steps.Phonemes;
using Xunit;

namespace NiusTv.Tests.Phonemes;

[Trait("Speed", "Slow")]
public sealed class PhonemesSettingsTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private NodeSettings Settings(params (string Key, string Value)[] values) => NodeSettings.FromConfiguration(
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))
            .Append(new KeyValuePair<string, string?>("Node:Assets", _dir.Folder("assets")))
            .Append(new KeyValuePair<string, string?>("Node:Out", _dir.Folder("out")))).Build());

    /// <summary>The node's steps as its container builds them from <paramref name="settings"/>, as a starting node does.</summary>
    private static IReadOnlyList<IStoryStep> StepsOf(NodeSettings settings)
    {
        using var services = new ServiceCollection().AddSingleton<NiusTv.Steps.Render.IGpuAdmission>(new NiusTv.Actors.Admission.GpuAdmissionClient(new Akka.Hosting.ActorRegistry(), () => throw new InvalidOperationException("no actor system in this test")))
            .AddNodeSteps(settings.Configuration, settings).BuildServiceProvider();
        return services.GetServices<IStoryStep>().ToList();
    }

    [Fact]
    public void The_node_runs_phonemes_landmarks_and_render_between_speech_and_compose()
    {
        var steps = StepsOf(Settings());
        var names = steps.Select(s => s.Name).ToList();
        Assert.Equal(NodeSteps.Pipeline.StepNames, names);
        Assert.Equal(["phonemes", "landmarks", "render"], names.SkipWhile(n => n != "speech").Skip(1).TakeWhile(n => n != "compose"));
        Assert.Equal("auto", steps.Single(s => s.Name == "phonemes").Backend);

        var gentle = StepsOf(Settings(("Phonemes:Aligner", "gentle"), ("Phonemes:GentleUrl", "http://127.0.0.1:8765")));
        Assert.Equal(GentleAligner.AlignerName, gentle.Single(s => s.Name == "phonemes").Backend);
    }

    [Theory]
    [InlineData("Phonemes:Aligner", "sphinx3", "Phonemes:Aligner")]
    [InlineData("Phonemes:Aligner", "gentle", "Phonemes:GentleUrl")]
    [InlineData("Phonemes:GentleUrl", "127.0.0.1:8765", "Phonemes:GentleUrl")]
    public void Bad_phonemes_settings_name_the_key(string key, string value, string named)
    {
        var e = Assert.Throws<SettingsException>(() => StepsOf(Settings((key, value))));
        Assert.Equal(named, e.Setting);
    }
}
