using NiusTv.Steps;
using NiusTv.Steps.Init;
using NiusTv.Steps.Storage;
using NiusTv.Steps.Stories;
using Xunit;

namespace NiusTv.Tests.Stories;

/// <summary>The samples are what a newcomer runs first (<c>nius demo</c>); a broken one is the worst first impression.</summary>
public class SampleStoriesTests
{
    private static string SamplesFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NiusTv.Actors.sln"))) return Path.Combine(dir.FullName, "samples");
        }
        throw new InvalidOperationException($"no folder holding NiusTv.Actors.sln above {AppContext.BaseDirectory}");
    }

    public static TheoryData<string> SampleFiles()
    {
        var files = Directory.GetFiles(Path.Combine(SamplesFolder(), "stories"), "*.json");
        Assert.NotEmpty(files);
        return new TheoryData<string>(files.Select(Path.GetFileName).Order()!);
    }

    private static Story Load(string file)
    {
        var result = StoryParser.Parse(File.ReadAllText(Path.Combine(SamplesFolder(), "stories", file)));
        Assert.True(result.IsValid, $"{file}: {string.Join("; ", result.Errors)}");
        return result.Story!;
    }

    [Theory]
    [MemberData(nameof(SampleFiles))]
    public void Sample_story_is_valid_and_named_after_its_id(string file)
    {
        var story = Load(file);
        Assert.Equal(Path.GetFileNameWithoutExtension(file), story.Id);
    }

    [Theory]
    [MemberData(nameof(SampleFiles))]
    public void Every_image_of_a_sample_exists_under_samples(string file)
    {
        var samples = SamplesFolder();
        foreach (var image in Load(file).Images)
            Assert.True(File.Exists(Path.Combine(samples, image.Uri)), $"{file}: {image.Uri} is missing under {samples}");
    }

    [Theory]
    [MemberData(nameof(SampleFiles))]
    public async Task Init_accepts_every_sample(string file)
    {
        var story = Load(file);
        var workspace = Directory.CreateTempSubdirectory("niustv-sample-").FullName;
        try
        {
            var input = new StepInput(story, 1, workspace, new Dictionary<string, string>());
            await new InitStep(new LocalFolderAssetStore(SamplesFolder())).RunAsync(input, new ProgressLog(), CancellationToken.None);
            Assert.Equal(story.Images.Count, ImageManifest.Load(Path.Combine(workspace, NiusTv.Steps.Artifacts.ImageManifest.Name)).Images.Count);
        }
        finally
        {
            Directory.Delete(workspace, recursive: true);
        }
    }

    [Fact]
    public void The_samples_cover_breaking_news_and_every_accepted_format()
    {
        var stories = Directory.GetFiles(Path.Combine(SamplesFolder(), "stories"), "*.json").Select(f => Load(Path.GetFileName(f))).ToList();
        Assert.Contains(stories, s => s.Priority == StoryPriority.Breaking);
        var extensions = stories.SelectMany(s => s.Images).Select(i => Path.GetExtension(i.Uri)).ToHashSet();
        Assert.Superset(new HashSet<string> { ".jpg", ".png", ".webp" }, extensions);
    }
}
