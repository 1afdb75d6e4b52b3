using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using NiusTv.Steps;
using static NiusTv.Actors.Stories.StepPoolProtocol;

namespace NiusTv.Actors.Stories;

/// <summary>How many runs of each step kind a node allows at once.</summary>
public sealed record StepPoolSizes(IReadOnlyDictionary<string, int> Sizes)
{
    public int For(string step) => Sizes.TryGetValue(step, out var n) ? n : 1;

    /// <summary>Each step's default (<see cref="StepDefinition.PoolSize"/>, on this many cores), unless
    /// <paramref name="configured"/> (<c>Pools:&lt;step&gt;</c>) names its size.</summary>
    public static StepPoolSizes For(Pipeline pipeline, IReadOnlyDictionary<string, int> configured, int cores) =>
        new(pipeline.Steps.ToDictionary(s => s.Name, s => s.PoolSize.On(cores))
            .Concat(configured).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value));
}

/// <summary>The node's step pools, one child per step kind. StoryActors talk to this one actor of their own node;
/// it forwards each run to the pool of its step, keeping the StoryActor as the sender for replies.</summary>
public sealed class StepPools : ReceiveActor
{
    public StepPools(IEnumerable<IStoryStep> steps, StepPoolSizes sizes)
    {
        var pools = steps.ToDictionary(s => s.Name, s => Context.ActorOf(StepPool.Create(s, sizes.For(s.Name)), "pool-" + s.Name));

        Receive<RunStep>(run =>
        {
            // A rendition's run (compose:portrait) goes to the pool of its step (compose).
            if (pools.TryGetValue(StoryStepName.Step(run.Step), out var pool)) pool.Forward(run);
            else Sender.Tell(new StepPoolProtocol.StepFailed(run.StoryId, run.Revision, run.Step, run.Attempt, "none",
                $"this node has no '{run.Step}' step configured (it has: {string.Join(", ", pools.Keys)})", false, TimeSpan.Zero));
        });
        Receive<CancelStory>(c =>
        {
            foreach (var pool in pools.Values) pool.Tell(c);
        });
        ReceiveAsync<GetPoolState>(async _ =>
        {
            var states = await Task.WhenAll(pools.Values.Select(p => p.Ask<PoolState>(new GetPoolState(), TimeSpan.FromSeconds(3))));
            Sender.Tell(states.ToList());
        });
    }

    public static Props Create(IEnumerable<IStoryStep> steps, StepPoolSizes sizes) => Props.Create(() => new StepPools(steps, sizes));
}

public static class StepPoolsHosting
{
    /// <summary>Starts this node's pools from the <see cref="IStoryStep"/>s registered in DI.</summary>
    public static AkkaConfigurationBuilder AddStepPools(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, registry, resolver) =>
        {
            var steps = resolver.GetService<IEnumerable<IStoryStep>>();
            var sizes = resolver.GetService<StepPoolSizes>();
            registry.Register<StepPools>(system.ActorOf(StepPools.Create(steps, sizes), "step-pools"));
        });
}
