using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace NiusTv.Host.Cli;

/// <summary>`nius voices`: the voices a node speaks with. `nius pronunciations`: the newsroom-wide pronunciation
/// dictionary (list, set, remove).</summary>
public static class SpeechVerbs
{
    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true };

    public static Command Voices()
    {
        var cmd = new Command("voices", "the voices the node speaks with: name, language, gender, backend (the first is the default)")
            { CommonOptions.Admin, CommonOptions.Token, CommonOptions.Json };
        cmd.SetAction((r, ct) => OperatorVerbs.CallAsync(r, (HttpMethod.Get, "api/voices"), body =>
        {
            var table = new Table().AddColumns("name", "language", "gender", "backend");
            foreach (var v in body.EnumerateArray())
                table.AddRow(Markup.Escape(Str(v, "name")), Markup.Escape(Str(v, "language")), Markup.Escape(Str(v, "gender")), Markup.Escape(Str(v, "backend")));
            AnsiConsole.Write(table);
        }, ct));
        return cmd;
    }

    public static Command Pronunciations()
    {
        var cmd = new Command("pronunciations", "the newsroom-wide pronunciation dictionary: every story says these words so unless its own \"pronunciations\" differ")
            { CommonOptions.Admin, CommonOptions.Token, CommonOptions.Json };
        cmd.SetAction((r, ct) => OperatorVerbs.CallAsync(r, (HttpMethod.Get, "api/pronunciations"), PrintEntries, ct));

        var word = new Argument<string>("WORD") { Description = "the word as the script spells it, e.g. Ruiz" };
        var spelling = new Argument<string>("PRONUNCIATION") { Description = "CMU phones (\"R UW IY S\") or a respelling (\"roo-EES\")" };
        var set = new Command("set", "add or replace a word's pronunciation; prints the phones it was turned into")
            { word, spelling, CommonOptions.Admin, CommonOptions.Token, CommonOptions.Json };
        set.SetAction(async (r, ct) =>
        {
            using var client = CommonOptions.Client(r);
            var response = await client.PutAsync("api/pronunciations/" + Uri.EscapeDataString(r.GetValue(word)!),
                JsonSerializer.Serialize(new { pronunciation = r.GetValue(spelling) }), ct);
            if (!response.Ok) throw new CliException(response.ErrorText);
            if (r.GetValue(CommonOptions.Json)) Console.WriteLine(JsonSerializer.Serialize(response.Body, Pretty));
            else Console.WriteLine($"{Str(response.Body, "word")}: {Phones(response.Body)}");
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

    private static void PrintEntries(JsonElement body)
    {
        if (body.GetArrayLength() == 0) { Console.WriteLine("the newsroom dictionary is empty"); return; }
        var table = new Table().AddColumns("word", "pronunciation", "phones");
        foreach (var e in body.EnumerateArray())
            table.AddRow(Markup.Escape(Str(e, "word")), Markup.Escape(Str(e, "pronunciation")), Markup.Escape(Phones(e)));
        AnsiConsole.Write(table);
    }

    private static string Phones(JsonElement e) =>
        e.TryGetProperty("phones", out var p) && p.ValueKind == JsonValueKind.Array ? string.Join(' ', p.EnumerateArray().Select(x => x.GetString())) : "";

    private static string Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "-";
}
