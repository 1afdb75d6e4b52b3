using System.CommandLine;
using System.Text.Json;
using NiusTv.Steps.Models;
using NiusTv.Steps.Models.Verify;
using Spectre.Console;

namespace NiusTv.Host.Cli;

/// <summary>`nius models verify DIR`: proves a re-implemented model equal to the PyTorch original on a fixture folder.
/// `nius models show`: the models a running node loaded (through its admin endpoint).</summary>
public static class ModelVerbs
{
    public static Command Models()
    {
        var dir = new Argument<string>("DIR") { Description = "fixture folder: state_dict.pt, io.pt, config.json (the format of shared/reference/<model>/)" };
        var verify = new Command("verify", "run every input of a reference fixture and print the max abs difference per output next to its tolerance; exit 1 above it")
            { dir, CommonOptions.Json };
        verify.SetAction(r =>
        {
            VerifyReport report;
            try
            {
                report = FixtureVerifier.Verify(r.GetValue(dir)!);
            }
            catch (CheckpointException e)
            {
                throw new CliException(e.Message);
            }
            if (r.GetValue(CommonOptions.Json))
            {
                var rows = report.Rows.Select(x => new { output = x.Output, maxAbsDiff = x.MaxAbsDiff, tolerance = x.Tolerance, passed = x.Passed });
                Console.WriteLine(JsonSerializer.Serialize(new { model = report.Model, folder = report.Folder, passed = report.Passed, rows, notes = report.Notes },
                    new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                var table = new Table().AddColumns("output", "max abs diff", "tolerance", "");
                foreach (var row in report.Rows)
                    table.AddRow(Markup.Escape(row.Output), row.MaxAbsDiff.ToString("0.###e+0"), row.Tolerance.ToString("0.###e+0"), row.Passed ? "ok" : "[red]ABOVE[/]");
                AnsiConsole.Write(table);
                foreach (var note in report.Notes) Console.WriteLine($"note: {note}");
                Console.WriteLine($"{report.Model}: {(report.Passed ? "equal to the reference within tolerance" : "NOT equal to the reference")}");
            }
            return report.Passed ? 0 : 1;
        });
        var show = new Command("show", "the models the node loaded at start-up: name, kind, checkpoint, device, parameters, memory")
            { CommonOptions.Admin, CommonOptions.Token, CommonOptions.Json };
        show.SetAction((r, ct) => OperatorVerbs.CallAsync<Admin.OperatorApi.ModelsView>(r, (HttpMethod.Get, "api/models"), PrintModels, ct));
        return new Command("models", "the neural models (Tacotron2, WaveGlow, pix2pixHD): verify, show") { verify, show };
    }

    private static void PrintModels(Admin.OperatorApi.ModelsView body)
    {
        if (body.Models.Count == 0)
        {
            Console.WriteLine($"no models loaded on this node (device {body.Device}); " +
                              "configure Speech:Tacotron2:Checkpoint and Speech:WaveGlow:Checkpoint to speak with Tacotron2");
            return;
        }
        var table = new Table().AddColumns("name", "kind", "device", "dtype", "parameters", "memory", "checkpoint");
        foreach (var m in body.Models)
            table.AddRow(Markup.Escape(m.Name), Markup.Escape(m.Kind), Markup.Escape(m.Device), Markup.Escape(m.Dtype),
                m.Parameters.ToString("N0"), $"{m.Bytes / 1048576.0:0.0} MiB", Markup.Escape(m.Checkpoint));
        AnsiConsole.Write(table);
    }
}
