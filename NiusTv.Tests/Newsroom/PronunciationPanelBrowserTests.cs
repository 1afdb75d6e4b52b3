using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using NiusTv.Steps.Phonemes;
using NiusTv.Tests.EndToEnd;
using Xunit;

namespace NiusTv.Tests.Newsroom;

/// <summary>The editor's pronunciation panel and voice choice in a real browser (Debian's chromium): the words the
/// dictionary lacks come up with the g2p guess, a respelling shows its phones, a bad phone is named on its row, the word
/// is heard through the node's voice, saved to the newsroom dictionary, and the published story is spoken by the chosen
/// voice with the lips (phones.json) following the entry.</summary>
[Collection("nius processes")]
[Trait("Speed", "Slow")]
public sealed class PronunciationPanelBrowserTests : IAsyncLifetime
{
    private NewsroomSession _session = null!;

    public async ValueTask InitializeAsync() => _session = await NewsroomSession.StartAsync("pronunciation-browser");

    public ValueTask DisposeAsync() => _session.DisposeAsync();

    [Fact]
    public async Task An_editor_corrects_a_name_listens_saves_it_for_the_newsroom_and_publishes_with_a_chosen_voice()
    {
        var (page, consoleErrors) = await _session.NewPageAsync(timeoutMs: 60_000);
        var root = $"http://{_session.Node.Admin}";

        await page.GotoAsync(root + "/newsroom/new");
        await page.FillAsync("input[name=title]", "Mayor Zorblatt meets Doctor Ruiz");
        await page.FillAsync("#paragraphs textarea", "Doctor Ana Ruiz met Mayor Zorblatt on Tuesday.");
        // Both voices are offered, each with its gender.
        var options = await page.Locator("select[name=voice] option").AllInnerTextsAsync();
        Assert.Contains(options, o => o.StartsWith("slt (female", StringComparison.Ordinal));
        Assert.Contains(options, o => o.StartsWith("kal (male", StringComparison.Ordinal));
        await page.SelectOptionAsync("select[name=voice]", "kal");

        // The words the CMU dictionary lacks come up with the g2p model's guess.
        await page.ClickAsync("text=Find unusual words");
        await page.Locator("[data-role=check-status]").Filter(new() { HasTextRegex = new("word\\(s\\) the dictionary lacks") }).WaitForAsync();
        Assert.Equal("zorblatt", await page.Locator("#pronunciations .row [data-field=word]").First.InputValueAsync());
        Assert.StartsWith("g2p guess: Z", await page.Locator("#pronunciations .row [data-role=phones]").First.InnerTextAsync());
        await page.ClickAsync("#pronunciations .row >> nth=0 >> [data-action=remove]");

        // A respelling shows the phones it becomes; a bad phone is named on its row.
        await page.ClickAsync("text=Add a word");
        var row = page.Locator("#pronunciations .row").Last;
        await row.Locator("[data-field=word]").FillAsync("Ruiz");
        await row.Locator("[data-field=pronunciation]").FillAsync("R UW IY SS");
        await row.Locator("[data-field=pronunciation]").DispatchEventAsync("change");
        await row.Locator(".error").Filter(new() { HasText = "'SS' is not a CMU phone" }).WaitForAsync();
        await row.Locator("[data-field=pronunciation]").FillAsync("roo-EES");
        await row.Locator("[data-field=pronunciation]").DispatchEventAsync("change");
        await row.Locator("[data-role=phones]").Filter(new() { HasText = "R UW0 IY1 S" }).WaitForAsync();
        Assert.True(await row.Locator(".error").IsHiddenAsync());

        // Listening fetches the word spoken by the chosen voice (kal speaks at 16 kHz).
        var speak = await page.RunAndWaitForResponseAsync(() => row.Locator("[data-action=listen]").ClickAsync(),
            r => r.Url.Contains("/api/speak?", StringComparison.Ordinal));
        Assert.True(speak.Status is 200 or 206, $"{speak.Status} {speak.StatusText}");
        Assert.Equal("audio/wav", speak.Headers["content-type"]);
        var wav = await speak.BodyAsync();
        Assert.Equal("RIFF", System.Text.Encoding.ASCII.GetString(wav, 0, 4));
        Assert.Equal(16000, BitConverter.ToInt32(wav, 24));
        Assert.Contains("voice=kal", speak.Url);
        Assert.Contains("pronunciation=roo-EES", speak.Url);

        // Saved for every story: the newsroom dictionary lists it.
        await row.Locator("[data-action=save-newsroom]").ClickAsync();
        await page.Locator("[data-role=status]").Filter(new() { HasText = "Ruiz saved to the newsroom dictionary (R UW0 IY1 S)" }).WaitForAsync();
        using var http = new HttpClient { BaseAddress = new Uri(root + "/") };
        var dictionary = await http.GetFromJsonAsync<JsonElement>("api/pronunciations", TestContext.Current.CancellationToken);
        var entry = Assert.Single(dictionary.EnumerateArray());
        Assert.Equal("Ruiz", entry.GetProperty("word").GetString());

        // Published: the kal voice speaks it, and the mouth's phones for the word are the entry's.
        await page.ClickAsync("button[data-action=publish]");
        await page.WaitForURLAsync("**/newsroom/stories/mayor-zorblatt-meets-doctor-ruiz");
        var id = "mayor-zorblatt-meets-doctor-ruiz";
        JsonElement story = default;
        await Eventually.Until(async () =>
        {
            story = await http.GetFromJsonAsync<JsonElement>($"api/stories/{id}", TestContext.Current.CancellationToken);
            return story.GetProperty("steps").EnumerateArray().Any(s => s.GetProperty("name").GetString() == "phonemes" && s.GetProperty("state").GetString() == "completed")
                || story.GetProperty("state").GetString() == "failed";
        }, 240, "the phonemes step to complete");
        Assert.NotEqual("failed", story.GetProperty("state").GetString());
        var speech = story.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "speech");
        Assert.Equal("festival (kal)", speech.GetProperty("backend").GetString());
        var track = PhoneTrack.Load(Path.Combine(_session.Dir, "data", "workspaces", id, $"r{story.GetProperty("revision").GetInt32()}", NiusTv.Steps.Artifacts.Phones.Name));
        var ruiz = track.Words.Select((w, i) => (w, i)).Single(x => x.w.Text == "ruiz").i;
        Assert.Equal(["R", "UW", "IY", "S"], track.Phones.Where(p => p.Word == ruiz).Select(p => p.Phone));

        // And the audio says it so: a decode offered the entry's and Festival's own pronunciation hears the entry.
        var workspace = Path.Combine(_session.Dir, "data", "workspaces", id, $"r{story.GetProperty("revision").GetInt32()}");
        var zorblatt = track.Words.Select((w, i) => (w, i)).Single(x => x.w.Text == "zorblatt").i;
        string[] plain = ["doctor", "ana", "met", "mayor", "on", "tuesday"];
        var lines = File.ReadLines(CmuDictionary.DebianPath).Select(l => l.Split(' ', 2)).Where(f => plain.Contains(f[0])).Select(f => $"{f[0]} {f[1]}")
            .Concat(["ruiz_entry R UW IY S", "ruiz_festival R UW W IY Z", "ruiz_dictionary R UW IY Z",
                "zorblatt " + string.Join(' ', track.Phones.Where(p => p.Word == zorblatt).Select(p => p.Phone))]);
        var heard = await new NiusTv.Steps.Speech.SpeechRecognizer().DecodeAsync(Path.Combine(workspace, "speech.wav"), TestContext.Current.CancellationToken,
            "#JSGF V1.0;\ngrammar names;\npublic <s> = [doctor] [ana] ( ruiz_entry | ruiz_festival | ruiz_dictionary ) [met] [mayor] [zorblatt] [on] [tuesday];\n", lines);
        Assert.True(heard.Contains("ruiz_entry"), $"heard: {string.Join(' ', heard)}");
        Assert.True(consoleErrors.Count == 0, string.Join(" | ", consoleErrors));
    }
}
