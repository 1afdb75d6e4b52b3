using Xunit;

namespace NiusTv.Tests.EndToEnd;

/// <summary>`nius voices` and `nius pronunciations` against a running node: the voices it speaks with, and the
/// newsroom dictionary set, listed and removed, with a bad phone refused naming the entry.</summary>
[Collection("nius processes")]
[Trait("Speed", "Slow")]
public sealed class SpeechVerbsTests : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nius-speech-verbs-").FullName;

    [Fact]
    public async Task Voices_and_the_newsroom_pronunciation_dictionary_are_listed_set_and_removed_from_the_command_line()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "assets"));
        await using var node = await NodeProcess.StartAsync(Path.Combine(_dir, "data"), Path.Combine(_dir, "out"), Path.Combine(_dir, "assets"));
        var admin = new[] { "--admin", node.Admin };

        var voices = await Nius.RunAsync(["voices", "--json", .. admin]);
        Assert.True(voices.ExitCode == 0, voices.Stderr);
        var list = voices.Json.EnumerateArray().Select(v => (v.GetProperty("name").GetString(), v.GetProperty("language").GetString(),
            v.GetProperty("gender").GetString(), v.GetProperty("backend").GetString())).ToList();
        Assert.Equal(("slt", "en-US", "female", "festival"), list[0]);
        Assert.Contains(("kal", "en-US", "male", "festival"), list);

        var set = await Nius.RunAsync(["pronunciations", "set", "Ruiz", "roo-EES", .. admin]);
        Assert.True(set.ExitCode == 0, set.Stderr);
        Assert.Equal("Ruiz: R UW0 IY1 S", set.Stdout.Trim());
        var bad = await Nius.RunAsync(["pronunciations", "set", "Nguyen", "W IH NN", .. admin]);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("pronunciations.Nguyen: 'NN' is not a CMU phone", bad.Stderr);

        var listed = await Nius.RunAsync(["pronunciations", "--json", .. admin]);
        Assert.True(listed.ExitCode == 0, listed.Stderr);
        var entry = Assert.Single(listed.Json.EnumerateArray());
        Assert.Equal("roo-EES", entry.GetProperty("pronunciation").GetString());
        Assert.Equal(["R", "UW0", "IY1", "S"], entry.GetProperty("phones").EnumerateArray().Select(p => p.GetString()));
        Assert.True(File.Exists(Path.Combine(_dir, "data", "pronunciations.json")));

        var removed = await Nius.RunAsync(["pronunciations", "remove", "ruiz", .. admin]);
        Assert.True(removed.ExitCode == 0, removed.Stderr);
        var empty = await Nius.RunAsync(["pronunciations", .. admin]);
        Assert.Contains("the newsroom dictionary is empty", empty.Stdout);
    }

    public ValueTask DisposeAsync()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}
