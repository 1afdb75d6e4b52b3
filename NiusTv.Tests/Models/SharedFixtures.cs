namespace NiusTv.Tests.Models;

/// <summary>The reference fixtures live beside the repository (../shared/reference), not in it: they are produced
/// by the original PyTorch code on another machine and shared between checkouts.</summary>
public static class SharedFixtures
{
    public static string Folder(string model)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "NiusTv.Actors.sln"))) dir = dir.Parent;
        if (dir is null) throw new InvalidOperationException($"no NiusTv.Actors.sln above {AppContext.BaseDirectory}; cannot find ../shared/reference");
        var folder = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "reference", model));
        if (!Directory.Exists(folder))
            throw new InvalidOperationException($"reference fixture {folder} is missing: the model tests need the shared fixtures " +
                "(state_dict.pt, io.pt, config.json per model) in ../shared/reference beside the repository");
        return folder;
    }
}
