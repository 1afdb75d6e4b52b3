using System.CommandLine;
using System.Globalization;
using NiusTv.Host.Admin;
using Spectre.Console;

namespace NiusTv.Host.Cli;

/// <summary>`nius scaler show`: the scaler singleton's pool target and its journaled decisions with their reasons.</summary>
public static class ScalerVerbs
{
    public static Command Scaler()
    {
        var show = new Command("show", "the GPU pool's target, what the scaler thinks now, and its decisions with their reasons")
            { CommonOptions.Admin, CommonOptions.Token, CommonOptions.Json };
        show.SetAction((r, ct) => OperatorVerbs.CallAsync<ScalerReport>(r, (HttpMethod.Get, "api/scaler"), b =>
        {
            static string At(DateTimeOffset? t) => t is { } at ? StoryVerbs.Iso(at) : "-";
            Console.WriteLine($"scaler on {b.Host}, resizing {b.Pool}");
            Console.WriteLine($"target {b.Target} nodes (last change {At(b.LastChangeAt)}); {b.Waiting} waiting, " +
                $"{b.InFlight} in flight on {b.Workers.Count} workers");
            Console.WriteLine("now: " + (b.Now ?? "-"));
            var table = new Table().AddColumns("at", "event", "from", "to", "reason");
            foreach (var d in b.Decisions)
                table.AddRow(Markup.Escape(At(d.At)), Markup.Escape(d.Event + (d.Action is { } a ? " " + a : "")),
                    d.From?.ToString(CultureInfo.InvariantCulture) ?? "-", d.To.ToString(CultureInfo.InvariantCulture), Markup.Escape(d.Reason));
            AnsiConsole.Write(table);
        }, ct));
        return new Command("scaler", "the scaler singleton: show") { show };
    }
}
