namespace NiusTv.Steps;

/// <summary>A setting that cannot work, named the way the user wrote it (<c>Phonemes:Aligner</c>, <c>--assets</c>). A
/// node that meets one stops at start-up with this one sentence.</summary>
public sealed class SettingsException(string setting, string message) : Exception($"{setting}: {message}")
{
    public string Setting { get; } = setting;
}
