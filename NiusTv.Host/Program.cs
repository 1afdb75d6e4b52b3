using System.CommandLine;
using NiusTv.Host.Cli;
using NiusTv.Host.Node;

namespace NiusTv.Host;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("NiusTv: news stories in, presenter-led videos out")
        {
            NodeVerbs.Demo(),
            NodeVerbs.Node(),
            StoryVerbs.Publish(),
            StoryVerbs.Stories(),
            StoryVerbs.Story(),
            GpuVerbs.Gpu(),
            Bench.BenchVerbs.Bench(),
        };
        try
        {
            return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (CliException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return e.ExitCode;
        }
        catch (SettingsException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 2;
        }
        catch (AdminUnreachableException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 3;
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
    }
}
