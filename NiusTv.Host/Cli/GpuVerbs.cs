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
        show.SetAction((r, ct) => OperatorVerbs.CallAsync(r, (HttpMethod.Get, "api/gpu"), body =>
        {
            var table = new Table().AddColumns("node", "slot", "holder", "priority", "queued", "longest wait");
            foreach (var slot in body.EnumerateArray())
            {
                string Str(string name) => slot.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "-";
                table.AddRow(Markup.Escape(Str("node")), Markup.Escape(Str("slot")), Markup.Escape(Str("holder")), Str("holderPriority"),
                    slot.GetProperty("queued").GetInt32().ToString(), $"{slot.GetProperty("longestWaitSeconds").GetDouble():0.0} s");
            }
            AnsiConsole.Write(table);
        }, ct));
        return new Command("gpu", "GPU admission across the cluster") { show };
    }
}
