using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text;

namespace NiusTv.Host.Cli;

/// <summary>`nius console`: the same command tree, one line at a time, like `pbm`. At a terminal it prompts and
/// completes verbs and options with Tab; with input redirected every line is a command (scripts, tests).</summary>
public static class ConsoleVerb
{
    public static Command Create(Func<RootCommand> root)
    {
        var cmd = new Command("console", "an interactive session with the same commands (Tab completes; exit or Ctrl-D ends)")
            { CommonOptions.Admin, CommonOptions.Token };
        cmd.SetAction(async (r, ct) =>
        {
            // Every line talks to the node named once here: the verbs read these as their defaults.
            if (r.GetValue(CommonOptions.Admin) is { } admin) Environment.SetEnvironmentVariable("NIUSTV__Node__Admin", admin);
            if (r.GetValue(CommonOptions.Token) is { } token) Environment.SetEnvironmentVariable("NIUSTV_ADMIN_TOKEN", token);
            var tree = root();
            var interactive = !Console.IsInputRedirected;
            if (interactive) Console.WriteLine($"nius console: talking to {CommonOptions.AdminAddress(r)}. Tab completes, `help` lists verbs, `exit` ends.");
            var last = 0;
            while (!ct.IsCancellationRequested)
            {
                var line = interactive ? ReadLineWithCompletion(tree, "nius> ") : Console.ReadLine();
                if (line is null) break;
                line = line.Trim();
                if (line.Length == 0 || line.StartsWith('#')) continue;
                if (line is "exit" or "quit") break;
                var args = CommandLineParser.SplitCommandLine(line == "help" ? "--help" : line).ToArray();
                if (args.Length > 0 && args[0] == "console")
                {
                    Console.Error.WriteLine("error: already in the console");
                    last = 2;
                    continue;
                }
                last = await Program.InvokeAsync(tree, args);
            }
            return last;
        });
        return cmd;
    }

    /// <summary>What Tab offers for <paramref name="text"/> (the cursor at its end): the library's own completions
    /// of the word being typed.</summary>
    public static IReadOnlyList<string> Complete(RootCommand root, string text)
    {
        var result = root.Parse(CommandLineParser.SplitCommandLine(text).ToArray());
        var word = text.Length == 0 || char.IsWhiteSpace(text[^1]) ? "" : CommandLineParser.SplitCommandLine(text).LastOrDefault() ?? "";
        return result.GetCompletions(text.Length).Select(c => c.Label)
            .Where(l => l.StartsWith(word, StringComparison.Ordinal) && l != word).Distinct().Order().ToList();
    }

    private static string? ReadLineWithCompletion(RootCommand root, string prompt)
    {
        Console.Write(prompt);
        var line = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    Console.WriteLine();
                    return line.ToString();
                case ConsoleKey.Backspace when line.Length > 0:
                    line.Length--;
                    Console.Write("\b \b");
                    break;
                case ConsoleKey.D when key.Modifiers.HasFlag(ConsoleModifiers.Control) && line.Length == 0:
                    Console.WriteLine();
                    return null;
                case ConsoleKey.Tab:
                    var text = line.ToString();
                    var options = Complete(root, text);
                    var partial = text.Length == 0 || char.IsWhiteSpace(text[^1]) ? "" : text[(text.LastIndexOf(' ') + 1)..];
                    if (options.Count == 1)
                    {
                        var rest = options[0][partial.Length..] + " ";
                        line.Append(rest);
                        Console.Write(rest);
                    }
                    else if (options.Count > 1)
                    {
                        var common = options.Aggregate((a, b) => new string(a.Zip(b).TakeWhile(p => p.Item1 == p.Item2).Select(p => p.Item1).ToArray()));
                        if (common.Length > partial.Length)
                        {
                            line.Append(common[partial.Length..]);
                            Console.Write(common[partial.Length..]);
                        }
                        else
                        {
                            Console.WriteLine();
                            Console.WriteLine(string.Join("  ", options));
                            Console.Write(prompt + line);
                        }
                    }
                    break;
                default:
                    if (!char.IsControl(key.KeyChar))
                    {
                        line.Append(key.KeyChar);
                        Console.Write(key.KeyChar);
                    }
                    break;
            }
        }
    }
}
