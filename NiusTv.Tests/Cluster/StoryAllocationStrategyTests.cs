using Akka.Actor;
using NiusTv.Actors.Sharding;
using Xunit;
using static NiusTv.Actors.Sharding.StoryAllocationStrategy;

namespace NiusTv.Tests.Cluster;

public sealed class StoryAllocationStrategyTests
{
    private const long GiB = 1L << 30;

    private static Candidate Node(string name, int inFlight, long freeGiB, int sinceReport = 0, int shards = 0) =>
        new(ActorRefs.Nobody, name, new NodeLoad(inFlight, freeGiB * GiB, DateTimeOffset.UtcNow), sinceReport, shards);

    [Fact]
    public void The_node_with_the_least_work_in_flight_gets_the_new_story()
    {
        var chosen = Choose([Node("a", 3, 50), Node("b", 1, 50), Node("c", 2, 50)], 2 * GiB);
        Assert.Equal("b", chosen.Node);
    }

    [Fact]
    public void Shards_given_out_since_the_last_report_count_as_work()
    {
        var chosen = Choose([Node("a", 0, 50, sinceReport: 2), Node("b", 1, 50)], 2 * GiB);
        Assert.Equal("b", chosen.Node);
    }

    [Fact]
    public void A_node_short_of_disk_is_passed_over_even_when_idle()
    {
        var chosen = Choose([Node("a", 0, 1), Node("b", 5, 50)], 2 * GiB);
        Assert.Equal("b", chosen.Node);
    }

    [Fact]
    public void When_every_node_is_short_of_disk_the_roomiest_gets_it()
    {
        var chosen = Choose([Node("a", 0, 1), Node("b", 5, 1) with { Load = new NodeLoad(5, GiB + 1, DateTimeOffset.UtcNow) }], 2 * GiB);
        Assert.Equal("b", chosen.Node);
    }

    [Fact]
    public void Ties_break_on_shard_count_then_on_the_address()
    {
        Assert.Equal("b", Choose([Node("a", 1, 50, shards: 4), Node("b", 1, 50, shards: 2)], 2 * GiB).Node);
        Assert.Equal("a", Choose([Node("b", 1, 50), Node("a", 1, 50)], 2 * GiB).Node);
    }

    [Fact]
    public async Task Nothing_is_ever_rebalanced()
    {
        var strategy = new StoryAllocationStrategy(null!, StoryAffinitySettings.Default);
        var allocations = System.Collections.Immutable.ImmutableDictionary<IActorRef, System.Collections.Immutable.IImmutableList<string>>.Empty
            .Add(ActorRefs.Nobody, System.Collections.Immutable.ImmutableList.Create("1", "2", "3", "4", "5"));
        Assert.Empty(await strategy.Rebalance(allocations, System.Collections.Immutable.ImmutableHashSet<string>.Empty));
    }
}
