using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace NiusTv.Host.Cli;

/// <summary>`nius gpu show`: every render slot of the cluster, who holds it, how deep its queue is.</summary>
public static class GpuVerbs
{
    public static Command Gpu()
    {
        var show = new Command("show", "render slots (GPUs, or CPU slot groups) across the cluster: holder, queue depth, longest wait")
            { CommonOptions.Admin, CommonOptions.Token, CommonOptions.Json };
        show.SetAction(async (r, ct) =>
        {
            using var client = CommonOptions.Client(r);
            var response = await client.GetAsync("api/gpu", ct);
            if (!response.Ok) throw new CliException(response.ErrorText);
            if (r.GetValue(CommonOptions.Json))
            {
                Console.WriteLine(JsonSerializer.Serialize(response.Body, new JsonSerializerOptions { WriteIndented = true }));
                return 0;
            }
            var table = new Table().AddColumns("node", "slot", "holder", "priority", "queued", "longest wait");
            foreach (var slot in response.Body.EnumerateArray())
            {
                string Str(string name) => slot.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "-";
                table.AddRow(Markup.Escape(Str("node")), Markup.Escape(Str("slot")), Markup.Escape(Str("holder")), Str("holderPriority"),
                    slot.GetProperty("queued").GetInt32().ToString(), $"{slot.GetProperty("longestWaitSeconds").GetDouble():0.0} s");
            }
            AnsiConsole.Write(table);
            return 0;
        });
        return new Command("gpu", "GPU admission across the cluster") { show };
    }
}
