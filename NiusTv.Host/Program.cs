using System.CommandLine;
using NiusTv.Host.Cli;
using NiusTv.Host.Node;
using NiusTv.Steps;

namespace NiusTv.Host;

public static class Program
{
    public static Task<int> Main(string[] args)
    {
        // Piped output (scripts, CI logs) has no terminal width; 80 columns would fold every table.
        if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 200;
        return InvokeAsync(BuildRoot(), args);
    }

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("NiusTv: news stories in, presenter-led videos out")
        {
            NodeVerbs.Demo(),
            NodeVerbs.Node(),
            StoryVerbs.Publish(),
            StoryVerbs.Stories(),
            StoryVerbs.Story(),
            StoryVerbs.Ingest(),
            GpuVerbs.Gpu(),
            SpeechVerbs.Voices(),
            SpeechVerbs.Pronunciations(),
            ModelVerbs.Models(),
            G2pVerbs.G2p(),
            G2pVerbs.Train(),
            PresenterVerbs.Presenter(),
            ScalerVerbs.Scaler(),
            Manager.ClusterManagerVerb.Create(),
            Bench.BenchVerbs.Bench(),
            OperatorVerbs.Cluster(),
            OperatorVerbs.Actor(),
            OperatorVerbs.Log(),
        };
        foreach (var component in OperatorVerbs.Components()) root.Add(component);
        root.Add(ConsoleVerb.Create(BuildRoot));
        return root;
    }

    /// <summary>Runs one command line; errors meant for the operator become one line on stderr and an exit code
    /// (the console calls this for each of its lines, so one bad line does not end the session).</summary>
    public static async Task<int> InvokeAsync(RootCommand root, string[] args)
    {
        try
        {
            var parse = root.Parse(args);
            var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
            // Training answers Ctrl+C by writing a resumable checkpoint, which takes longer than the default 2 s grace.
            if (parse.CommandResult.Command.Name == "presenter" && parse.CommandResult.Parent is System.CommandLine.Parsing.CommandResult { Command.Name: "train" })
                configuration.ProcessTerminationTimeout = TrainPresenterVerb.StopGrace;
            return await parse.InvokeAsync(configuration);
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
