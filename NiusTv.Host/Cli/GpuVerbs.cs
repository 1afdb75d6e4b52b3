using System.CommandLine;
using NiusTv.Actors.Admission;
using Spectre.Console;

namespace NiusTv.Host.Cli;

/// <summary>`nius gpu show`: every render slot of the cluster, who holds it, how deep its queue is.</summary>
public static class GpuVerbs
{
    public static Command Gpu()
    {
        var show = new Command("show", "render slots (GPUs, or CPU slot groups) across the cluster: holder, queue depth, longest wait")
            { CommonOptions.Admin, CommonOptions.Token, CommonOptions.Json };
        show.SetAction((r, ct) => OperatorVerbs.CallAsync<List<GpuSlotReport>>(r, (HttpMethod.Get, "api/gpu"), slots =>
        {
            var table = new Table().AddColumns("node", "slot", "holder", "priority", "queued", "longest wait");
            foreach (var slot in slots)
                table.AddRow(Markup.Escape(slot.Node), Markup.Escape(slot.Slot), Markup.Escape(slot.Holder ?? "-"), Markup.Escape(slot.HolderPriority ?? "-"),
                    slot.Queued.ToString(), $"{slot.LongestWaitSeconds:0.0} s");
            AnsiConsole.Write(table);
        }, ct));
        return new Command("gpu", "GPU admission across the cluster") { show };
    }
}
