using Spectre.Console;

namespace NiusTv.Host.Cli;

/// <summary>Destructive verbs ask first. Without a terminal nobody can answer, so they refuse rather than guess:
/// scripts and preStop hooks say --yes.</summary>
public static class Confirmation
{
    /// <returns>false when the operator said no.</returns>
    public static bool Ask(string verb, string question, bool yes)
    {
        if (yes) return true;
        if (Console.IsInputRedirected) throw new CliException($"{verb} needs confirmation: pass --yes when not at a terminal", 2);
        return AnsiConsole.Confirm(question, false);
    }
}
