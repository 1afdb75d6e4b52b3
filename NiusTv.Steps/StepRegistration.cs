using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace NiusTv.Steps;

/// <summary>One step as registered: its definition, and the step it follows when it is put into the middle of the
/// pipeline (null: after the steps registered before it).</summary>
public sealed record StepRegistration(StepDefinition Step, string? After);

/// <summary>What the steps' registrations chose (a backend, a fallback), told to the operator once when the node starts.</summary>
public sealed class StartupNotes
{
    private readonly List<string> _notes = [];

    public void Add(string note)
    {
        lock (_notes) _notes.Add(note);
    }

    public IReadOnlyList<string> All
    {
        get { lock (_notes) return [.. _notes]; }
    }
}

/// <summary>How a step joins a node's pipeline. Each step folder has an extension that binds its options and backends
/// and ends in <see cref="AddStoryStep(IServiceCollection, StepDefinition, Func{IServiceProvider, IStoryStep}, string?)"/>
/// (<c>services.AddSpeechStep(options)</c>); the host chains them in pipeline order. A step of one's own:
/// <code>services.AddStoryStep&lt;ReviewStep&gt;(ReviewStep.Definition, after: "compose");</code>
/// The container then holds the node's <see cref="Pipeline"/> (order, artifacts, pool sizes) and one
/// <see cref="IStoryStep"/> per step.</summary>
public static class StoryStepRegistration
{
    /// <param name="create">Builds the step from the container (once per node, when the node starts).</param>
    /// <param name="after">Put the step right after this one, wherever it was registered; null: after the steps
    /// registered so far.</param>
    public static IServiceCollection AddStoryStep(this IServiceCollection services, StepDefinition step, Func<IServiceProvider, IStoryStep> create,
        string? after = null)
    {
        services.AddSingleton(new StepRegistration(step, after));
        services.AddSingleton<IStoryStep>(sp =>
        {
            var built = create(sp);
            return built.Name == step.Name ? built
                : throw new InvalidOperationException($"the step registered as '{step.Name}' calls itself '{built.Name}'; the two names must be the same");
        });
        services.TryAddSingleton(sp => PipelineOf(sp.GetServices<StepRegistration>()));
        services.TryAddSingleton<StartupNotes>();
        return services;
    }

    /// <summary>Registers <typeparamref name="TStep"/>, built by the container from its constructor's services, as the
    /// step <paramref name="step"/>.</summary>
    public static IServiceCollection AddStoryStep<TStep>(this IServiceCollection services, StepDefinition step, string? after = null)
        where TStep : class, IStoryStep
    {
        services.TryAddSingleton<TStep>();
        return services.AddStoryStep(step, sp => sp.GetRequiredService<TStep>(), after);
    }

    /// <summary>The pipeline these registrations make, without building any step: for tools and tests that need the
    /// node's step order.</summary>
    public static Pipeline RegisteredPipeline(this IServiceCollection services) =>
        PipelineOf(services.Where(d => d.ServiceType == typeof(StepRegistration)).Select(d => (StepRegistration)d.ImplementationInstance!));

    /// <summary>Steps registered without <c>after</c> in the order of their registration; then each one registered with
    /// <c>after</c> right behind its step (and behind the ones put there before it).</summary>
    public static Pipeline PipelineOf(IEnumerable<StepRegistration> registrations)
    {
        var all = registrations.ToList();
        var order = all.Where(r => r.After is null).Select(r => r.Step).ToList();
        var lastAfter = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var r in all.Where(r => r.After is not null))
        {
            var anchor = lastAfter.GetValueOrDefault(r.After!, r.After!);
            var index = order.FindIndex(s => s.Name == anchor);
            if (index < 0)
                throw new InvalidOperationException($"the step '{r.Step.Name}' is registered after '{r.After}', which is not a step of this node; " +
                    $"its steps are: {string.Join(", ", order)}");
            order.Insert(index + 1, r.Step);
            lastAfter[r.After!] = r.Step.Name;
        }
        return new Pipeline(order);
    }
}
