namespace NiusTv.Host.Admin;

/// <summary>What `nius <component> show` asks a node. A component that runs here answers with its own report;
/// one that does not says so, and which issue brings it, instead of showing made-up numbers.</summary>
public interface INodeComponent
{
    string Name { get; }
    ComponentReport Report();
}

/// <param name="Present">false: this node runs no such component; <see cref="Detail"/> is then null.</param>
public sealed record ComponentReport(string Component, bool Present, string Summary, object? Detail);

/// <summary>A component this branch does not have yet.</summary>
public sealed record AbsentComponent(string Name, string Sentence) : INodeComponent
{
    public ComponentReport Report() => new(Name, false, Sentence, null);
}

/// <summary>The palettes a node answers. Adding one: register an <see cref="INodeComponent"/> in DI (replacing its
/// <see cref="AbsentComponent"/> below) and add a `show` verb with <c>ComponentVerbs.Show</c>.</summary>
public sealed class ComponentRegistry(IEnumerable<INodeComponent> registered)
{
    public static readonly IReadOnlyList<INodeComponent> NotYetBuilt = [];

    private readonly Dictionary<string, INodeComponent> _components =
        NotYetBuilt.Concat(registered).GroupBy(c => c.Name).ToDictionary(g => g.Key, g => g.Last());

    public IEnumerable<string> Names => _components.Keys.Order();

    public INodeComponent? Find(string name) => _components.GetValueOrDefault(name);
}
