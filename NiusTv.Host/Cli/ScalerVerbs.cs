using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace NiusTv.Host.Cli;

/// <summary>`nius scaler show`: the scaler singleton's pool target and its journaled decisions with their reasons.</summary>
public static class ScalerVerbs
{
    public static Command Scaler()
    {
        var show = new Command("show", "the GPU pool's target, what the scaler thinks now, and its decisions with their reasons")
            { CommonOptions.Admin, CommonOptions.Token, CommonOptions.Json };
        show.SetAction((r, ct) => OperatorVerbs.CallAsync(r, (HttpMethod.Get, "api/scaler"), b =>
        {
            string Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.ToString() : "-";
            Console.WriteLine($"scaler on {Str(b, "host")}, resizing {Str(b, "pool")}");
            Console.WriteLine($"target {Str(b, "target")} nodes (last change {Str(b, "lastChangeAt")}); {Str(b, "waiting")} waiting, " +
                $"{Str(b, "inFlight")} in flight on {b.GetProperty("workers").GetArrayLength()} workers");
            Console.WriteLine("now: " + Str(b, "now"));
            var table = new Table().AddColumns("at", "event", "from", "to", "reason");
            foreach (var d in b.GetProperty("decisions").EnumerateArray())
                table.AddRow(Markup.Escape(Str(d, "at")), Markup.Escape(Str(d, "event") + (Str(d, "action") is var a and not "-" ? " " + a : "")),
                    Str(d, "from"), Str(d, "to"), Markup.Escape(Str(d, "reason")));
            AnsiConsole.Write(table);
        }, ct));
        return new Command("scaler", "the scaler singleton: show") { show };
    }
}
