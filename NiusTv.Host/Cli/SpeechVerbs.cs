using System.CommandLine;
using System.Text.Json;
using NiusTv.Steps.Speech;
using Spectre.Console;
using static NiusTv.Host.Admin.AdminApi;

namespace NiusTv.Host.Cli;

/// <summary>`nius voices`: the voices a node speaks with. `nius pronunciations`: the newsroom-wide pronunciation
/// dictionary (list, set, remove).</summary>
public static class SpeechVerbs
{
    public static Command Voices()
    {
        var cmd = new Command("voices", "the voices the node speaks with: name, language, gender, backend (the first is the default)")
            { CommonOptions.Admin, CommonOptions.Token, CommonOptions.Json };
        cmd.SetAction((r, ct) => OperatorVerbs.CallAsync<List<VoiceInfo>>(r, (HttpMethod.Get, "api/voices"), voices =>
        {
            var table = new Table().AddColumns("name", "language", "gender", "backend");
            foreach (var v in voices)
                table.AddRow(Markup.Escape(v.Name), Markup.Escape(v.Language), Markup.Escape(v.Gender), Markup.Escape(v.Backend));
            AnsiConsole.Write(table);
        }, ct));
        return cmd;
    }

    public static Command Pronunciations()
    {
        var cmd = new Command("pronunciations", "the newsroom-wide pronunciation dictionary: every story says these words so unless its own \"pronunciations\" differ")
            { CommonOptions.Admin, CommonOptions.Token, CommonOptions.Json };
        cmd.SetAction((r, ct) => OperatorVerbs.CallAsync<List<PronunciationView>>(r, (HttpMethod.Get, "api/pronunciations"), PrintEntries, ct));

        var word = new Argument<string>("WORD") { Description = "the word as the script spells it, e.g. Ruiz" };
        var spelling = new Argument<string>("PRONUNCIATION") { Description = "CMU phones (\"R UW IY S\") or a respelling (\"roo-EES\")" };
        var set = new Command("set", "add or replace a word's pronunciation; prints the phones it was turned into")
            { word, spelling, CommonOptions.Admin, CommonOptions.Token, CommonOptions.Json };
        set.SetAction(async (r, ct) =>
        {
            using var client = CommonOptions.Client(r);
            var response = await client.PutAsync("api/pronunciations/" + Uri.EscapeDataString(r.GetValue(word)!),
                JsonSerializer.Serialize(new { pronunciation = r.GetValue(spelling) }), ct);
            var entry = response.OkAs<PronunciationView>();
            if (r.GetValue(CommonOptions.Json)) OperatorVerbs.PrintJson(response.Body);
            else Console.WriteLine($"{entry.Word}: {string.Join(' ', entry.Phones)}");
            return 0;
        });
        var remove = new Command("remove", "remove a word from the dictionary") { word, CommonOptions.Admin, CommonOptions.Token };
        remove.SetAction(async (r, ct) =>
        {
            using var client = CommonOptions.Client(r);
            var response = await client.DeleteAsync("api/pronunciations/" + Uri.EscapeDataString(r.GetValue(word)!), ct);
            if (!response.Ok) throw new CliException(response.ErrorText);
            return 0;
        });
        cmd.Add(set);
        cmd.Add(remove);
        return cmd;
    }

    private static void PrintEntries(List<PronunciationView> entries)
    {
        if (entries.Count == 0) { Console.WriteLine("the newsroom dictionary is empty"); return; }
        var table = new Table().AddColumns("word", "pronunciation", "phones");
        foreach (var e in entries)
            table.AddRow(Markup.Escape(e.Word), Markup.Escape(e.Pronunciation), Markup.Escape(string.Join(' ', e.Phones)));
        AnsiConsole.Write(table);
    }
}
