using NiusTv.Steps.Cloud;
using Xunit;

namespace NiusTv.Tests.Ingest;

/// <summary>The real Pub/Sub emulator, started once for the tests that share it. A missing emulator fails those
/// tests with a sentence saying what to install: skipping would hide that ingest went untested.</summary>
public sealed class PubSubEmulator : IAsyncLifetime
{
    private PubSubEmulatorProcess? _process;

    public string HostPort => _process?.HostPort ?? "";

    /// <summary>A client for a project of its own, so tests sharing the emulator never see each other's messages.</summary>
    public PubSubRestClient Client(string project) => _process!.Client(project);

    public async ValueTask InitializeAsync() => _process = await PubSubEmulatorProcess.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_process is not null) await _process.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PubSubCollection : ICollectionFixture<PubSubEmulator>
{
    public const string Name = "pubsub emulator";
}
