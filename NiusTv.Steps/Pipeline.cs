using System.Text.RegularExpressions;

namespace NiusTv.Steps;

/// <summary>How many runs of one step a node allows at once, unless <c>Pools:&lt;step&gt;</c> says otherwise: a fixed
/// number, or one run per so many of the node's cores.</summary>
public sealed record PoolSize
{
    private PoolSize(int runs, int coresPerRun) => (Runs, CoresPerRun) = (runs, coresPerRun);

    /// <summary>The fixed number of runs; 0 when the size follows the cores.</summary>
    public int Runs { get; }

    /// <summary>Cores per run; 0 for a fixed size.</summary>
    public int CoresPerRun { get; }

    public static PoolSize Fixed(int runs) => runs >= 1 ? new(runs, 0) : throw new ArgumentOutOfRangeException(nameof(runs), "at least one run");

    /// <summary>One run per <paramref name="cores"/> cores, and at least one.</summary>
    public static PoolSize OnePer(int cores) => cores >= 1 ? new(0, cores) : throw new ArgumentOutOfRangeException(nameof(cores), "at least one core");

    public int On(int processorCount) => CoresPerRun > 0 ? Math.Max(1, processorCount / CoresPerRun) : Runs;

    public override string ToString() => CoresPerRun > 0 ? $"one per {CoresPerRun} cores" : $"{Runs}";
}

/// <summary>One step of the story pipeline as the node runs it: its name, what it reads from the steps before it, what
/// it writes for the steps after it, and its default pool size. Declared beside the step's code
/// (<c>SpeechStep.Definition</c>) and put in the pipeline by the step's registration (<see cref="StoryStepRegistration"/>).</summary>
/// <remarks>The name is journaled with every step event, is the key of <c>Pools:&lt;step&gt;</c> and the value of
/// <c>nius story retry --from</c>: once released, a step's name never changes.</remarks>
public sealed record StepDefinition
{
    private static readonly Regex ValidName = new("^[a-z][a-z0-9-]*$", RegexOptions.CultureInvariant);

    public StepDefinition(string name, IReadOnlyList<ArtifactKey> inputs, IReadOnlyList<ArtifactKey> outputs, PoolSize poolSize)
    {
        if (!ValidName.IsMatch(name ?? ""))
            throw new ArgumentException($"'{name}' is not a step name: use lower-case letters, digits and '-', starting with a letter", nameof(name));
        Name = name!;
        Inputs = inputs;
        Outputs = outputs;
        PoolSize = poolSize;
    }

    public string Name { get; }

    /// <summary>The artifacts of earlier steps this step reads (some only when present: the anchor, the brand).</summary>
    public IReadOnlyList<ArtifactKey> Inputs { get; }

    /// <summary>The artifacts this step may write (some only for some stories: caption files, brand files).</summary>
    public IReadOnlyList<ArtifactKey> Outputs { get; }

    public PoolSize PoolSize { get; }

    /// <summary>The step runs once per rendition of a story that asks for several outputs (<c>outputs</c>), as
    /// <c>render:portrait</c>, <c>render:landscape</c>…, each reading and writing its rendition's own artifacts
    /// (<see cref="Artifacts.OfRendition"/>). A story with one output runs it once, under its plain name.</summary>
    public bool PerRendition { get; init; }

    /// <summary>Whether <paramref name="artifact"/> is one this step declares it writes. A rendition's copy of a declared artifact (<c>renditions/portrait/video.mp4</c>) counts as that artifact.</summary>
    public bool Writes(string artifact) => Outputs.Any(o => o.Covers(artifact) || o.Covers(Artifacts.WithoutRendition(artifact)));

    public override string ToString() => Name;
}

/// <summary>The steps a story runs, in order. A node's pipeline is made by its step registrations
/// (<see cref="StoryStepRegistration.AddStoryStep(Microsoft.Extensions.DependencyInjection.IServiceCollection, StepDefinition, Func{IServiceProvider, IStoryStep}, string?)"/>)
/// and read from the container: the story actors take their step order from it, the step pools their sizes.
/// Each step may read only what a step before it writes, which is checked here.</summary>
public sealed class Pipeline
{
    public static readonly Pipeline Empty = new([]);

    public Pipeline(IEnumerable<StepDefinition> steps)
    {
        Steps = steps.ToList();
        var seen = new List<StepDefinition>();
        foreach (var step in Steps)
        {
            if (seen.Any(s => s.Name == step.Name))
                throw new ArgumentException($"the pipeline has two steps named '{step.Name}'", nameof(steps));
            foreach (var input in step.Inputs)
                if (!seen.Any(s => s.Outputs.Any(o => o.Name == input.Name || o.Covers(input.Name))))
                    throw new ArgumentException($"the step '{step.Name}' reads '{input}', which no step before it writes " +
                        $"(before it: {(seen.Count == 0 ? "none" : string.Join(", ", seen))})", nameof(steps));
            seen.Add(step);
        }
        StepNames = Steps.Select(s => s.Name).ToList();
    }

    public IReadOnlyList<StepDefinition> Steps { get; }

    /// <summary>The step names in order, as an <c>Accepted</c> event records them.</summary>
    public IReadOnlyList<string> StepNames { get; }

    public StepDefinition? Find(string name) => Steps.FirstOrDefault(s => s.Name == name);

    public StepDefinition this[string name] => Find(name)
        ?? throw new KeyNotFoundException($"the pipeline has no step '{name}'; its steps are: {string.Join(", ", StepNames)}");

    /// <summary>The steps <paramref name="story"/> runs, in order, as its <c>Accepted</c> event records them: the
    /// pipeline's names for a story with one output; for a story with renditions, each run of consecutive
    /// <see cref="StepDefinition.PerRendition"/> steps once per rendition, rendition by rendition
    /// (<c>render:landscape, compose:landscape, render:portrait, compose:portrait</c>).</summary>
    public IReadOnlyList<string> StepNamesFor(Stories.Story story)
    {
        if (!story.HasRenditions) return StepNames;
        var names = new List<string>();
        var group = new List<StepDefinition>();
        void Flush()
        {
            foreach (var rendition in story.Outputs)
                foreach (var step in group) names.Add(StoryStepName.Of(step.Name, rendition.Name));
            group.Clear();
        }
        foreach (var step in Steps)
        {
            if (step.PerRendition) { group.Add(step); continue; }
            Flush();
            names.Add(step.Name);
        }
        Flush();
        return names;
    }

    public Pipeline Append(StepDefinition step) => new([.. Steps, step]);

    /// <summary>This pipeline with <paramref name="step"/> right after the step named <paramref name="after"/>.</summary>
    public Pipeline Insert(StepDefinition step, string after)
    {
        var index = StepNames.ToList().IndexOf(after);
        if (index < 0) throw new ArgumentException($"there is no step '{after}' to put '{step.Name}' after; the steps are: {string.Join(", ", StepNames)}", nameof(after));
        var steps = Steps.ToList();
        steps.Insert(index + 1, step);
        return new(steps);
    }

    /// <summary>Steps that declare no artifacts, one run at a time each: for actor tests and tools that run scripted
    /// steps.</summary>
    public static Pipeline Of(params string[] names) => new(names.Select(n => new StepDefinition(n, [], [], PoolSize.Fixed(1))));

    public override string ToString() => string.Join(" → ", StepNames);
}

/// <summary>The name a step has in one story: the pipeline's step name, or for a step that runs per rendition
/// <c>step:rendition</c> (<c>compose:portrait</c>). Journaled with every step event, shown by <c>story show</c> and taken
/// by <c>nius story retry --from</c>.</summary>
public static class StoryStepName
{
    public const char Separator = ':';

    public static string Of(string step, string rendition) => $"{step}{Separator}{rendition}";

    /// <summary>The pipeline step a story's step is a run of: <c>compose</c> for <c>compose:portrait</c>.</summary>
    public static string Step(string name) => name.IndexOf(Separator) is var i and >= 0 ? name[..i] : name;

    /// <summary>The rendition a story's step is for; null for a step of the whole story.</summary>
    public static string? Rendition(string name) => name.IndexOf(Separator) is var i and >= 0 ? name[(i + 1)..] : null;
}
