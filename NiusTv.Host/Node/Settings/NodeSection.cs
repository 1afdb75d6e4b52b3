using Microsoft.Extensions.Configuration;
using NiusTv.Steps;

namespace NiusTv.Host.Node.Settings;

/// <summary>Node:* — where the node keeps its data, how it is reached and how it finds its cluster. Read by
/// <see cref="NodeSettings.FromConfiguration"/>, which adds what is derived from it (paths, endpoints, journal).</summary>
public sealed class NodeSection : INodeSection
{
    public static string Section => "Node";

    public static readonly IReadOnlyList<string> DefaultRoles = ["worker", "scaler"];

    public string Data { get; set; } = "data";
    public string Assets { get; set; } = "samples";
    public string Out { get; set; } = "out";
    public string Admin { get; set; } = "127.0.0.1:9110";
    public string? AdminToken { get; set; }
    public string? AdminCert { get; set; }
    public string? AdminCertKey { get; set; }
    public string? AdminCertPassword { get; set; }
    public int AdminFailedTokenLimit { get; set; } = 30;
    /// <summary>As written ("1m", "00:05:00"): the binder reads only the second form.</summary>
    public string? AdminFailedTokenWindow { get; set; }
    public string? Journal { get; set; }
    public string Hostname { get; set; } = "127.0.0.1";
    public int Port { get; set; }
    public string? PubSub { get; set; }
    public NodeDiscovery Discovery { get; set; }
    public int ManagementPort { get; set; } = 8558;

    // Lists are set by ReadLists, not by the binder: it ignores "a,b" (the only form an environment variable or
    // --roles has), and it appends a configured list to the default instead of replacing it.
    public IReadOnlyList<string> AdminHosts { get; private set; } = [];
    public IReadOnlyList<string> Seeds { get; private set; } = [];
    public IReadOnlyList<string> Roles { get; private set; } = DefaultRoles;

    public TimeSpan FailedTokenWindow => Durations.Parse(AdminFailedTokenWindow) ?? TimeSpan.FromMinutes(1);

    public void ReadLists(IConfigurationSection section)
    {
        AdminHosts = CommaList.Read(section.GetSection(nameof(AdminHosts))) ?? [];
        Seeds = CommaList.Read(section.GetSection(nameof(Seeds))) ?? [];
        Roles = CommaList.Read(section.GetSection(nameof(Roles))) ?? DefaultRoles;
    }

    public IEnumerable<SettingsException> Problems()
    {
        if (AdminFailedTokenLimit <= 0)
            yield return new("Node:AdminFailedTokenLimit", $"'{AdminFailedTokenLimit}' is not a positive number");
        if (Durations.Problem(AdminFailedTokenWindow) is { } problem)
            yield return new("Node:AdminFailedTokenWindow", problem);
        else if (FailedTokenWindow < TimeSpan.FromSeconds(1))
            yield return new("Node:AdminFailedTokenWindow", $"'{AdminFailedTokenWindow}' is shorter than 1 second: give e.g. 1m, 10m or 00:05:00");
    }
}

/// <summary>Presenters:* — the folder of presenter profiles; null: ./presenters, else $NIUSTV_HOME/presenters, else the
/// ones shipped beside the executable.</summary>
public sealed class PresentersSettings : INodeSection
{
    public static string Section => "Presenters";
    public string? Root { get; set; }
    public IEnumerable<SettingsException> Problems() => [];
}

/// <summary>Landmarks:* — dlib's 68-point shape predictor.</summary>
public sealed class LandmarksSettings : INodeSection
{
    public static string Section => "Landmarks";
    public string Model { get; set; } = NiusTv.Steps.Landmarks.DlibFaceLandmarkDetector.DefaultModel;
    public IEnumerable<SettingsException> Problems() => [];
}

/// <summary>A list setting, given as items (<c>Node:Seeds:0</c>, a JSON array) or as one comma-separated value
/// (<c>NIUSTV__Node__Seeds=a:1,b:2</c>, <c>--roles worker,scaler</c>).</summary>
public static class CommaList
{
    /// <summary>The items, or null when none are given, so the caller keeps its default.</summary>
    public static IReadOnlyList<string>? Read(IConfigurationSection section)
    {
        var items = section.GetChildren().Select(x => x.Value!).Where(v => !string.IsNullOrEmpty(v)).ToList();
        if (items.Count > 0) return items;
        return section.Value is { Length: > 0 } csv ? csv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : null;
    }
}
