using Microsoft.Extensions.Configuration;
using NiusTv.Host.Node;
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

    [Fact]
    public void The_node_runs_phonemes_landmarks_and_render_between_speech_and_compose()
    {
        var backends = StepBackends.Create(Settings(), new NiusTv.Actors.Admission.GpuAdmissionClient());
        var steps = backends.Steps;
        Assert.Equal(["init", "speech", "phonemes", "landmarks", "render", "compose", "publish"], steps.Select(s => s.Name));
        Assert.Equal(NiusTv.Actors.Stories.StoryRuntimeSettings.DefaultPipeline, steps.Select(s => s.Name));
        Assert.Equal("auto", steps.Single(s => s.Name == "phonemes").Backend);

        var gentleBackends = StepBackends.Create(Settings(("Phonemes:Aligner", "gentle"), ("Phonemes:GentleUrl", "http://127.0.0.1:8765")), new NiusTv.Actors.Admission.GpuAdmissionClient());
        var gentle = gentleBackends.Steps;
        Assert.Equal(GentleAligner.AlignerName, gentle.Single(s => s.Name == "phonemes").Backend);
    }

    [Theory]
    [InlineData("Phonemes:Aligner", "sphinx3", "Phonemes:Aligner")]
    [InlineData("Phonemes:Aligner", "gentle", "Phonemes:GentleUrl")]
    [InlineData("Phonemes:GentleUrl", "127.0.0.1:8765", "Phonemes:GentleUrl")]
    public void Bad_phonemes_settings_name_the_key(string key, string value, string named)
    {
        var e = Assert.Throws<SettingsException>(() => StepBackends.Create(Settings((key, value)), new NiusTv.Actors.Admission.GpuAdmissionClient()));
        Assert.Equal(named, e.Setting);
    }
}
