using NiusTv.Host.Node;
using Xunit;

namespace NiusTv.Tests.Cluster;

/// <summary>One throwaway PostgreSQL server for the cluster tests; each test takes its own database.</summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private readonly ThrowawayPostgres _server = new();

    public ValueTask InitializeAsync() => new(_server.StartAsync());

    public Task<string> CreateDatabaseAsync() => _server.CreateDatabaseAsync();

    public void Stop() => _server.Stop();

    public Task ResumeAsync() => _server.ResumeAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}

/// <summary>Cluster tests share one server and run one at a time: each starts several nodes on this small machine.</summary>
[CollectionDefinition("cluster", DisableParallelization = true)]
public sealed class ClusterCollection : ICollectionFixture<PostgresServer>;
