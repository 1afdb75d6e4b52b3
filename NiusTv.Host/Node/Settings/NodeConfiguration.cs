using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NiusTv.Steps;

namespace NiusTv.Host.Node.Settings;

/// <summary>One configuration section's options class (<c>Speech</c>, <c>Render</c>…), bound by the configuration binder.
/// <see cref="Problems"/> holds the rules the binder cannot: each broken one is a <see cref="SettingsException"/> naming
/// its key the way the user wrote it.</summary>
public interface INodeSection
{
    /// <summary>The section's name in configuration, and in <c>NIUSTV__Section__Key</c>.</summary>
    static abstract string Section { get; }

    IEnumerable<SettingsException> Problems();

    /// <summary>Reads the section's list settings after binding: the binder ignores a comma-separated value, the
    /// only form an environment variable has, and appends a configured list to the default instead of replacing it.</summary>
    void ReadLists(IConfigurationSection section) { }
}

/// <summary>Reads and registers <see cref="INodeSection"/>s: bound from configuration, checked when they are read and
/// again by <c>ValidateOnStart</c>, and every failure turned into the one sentence a node stops with.</summary>
public static partial class NodeConfiguration
{
    /// <summary>A configuration from keys and values, for nodes started by code (benchmarks, tests) rather than by
    /// <c>nius node</c>; null values are left out.</summary>
    public static IConfiguration From(params (string Key, string? Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Where(v => v.Value is not null)
            .Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    /// <summary>The section as configured, checked: a bad value is a <see cref="SettingsException"/> naming its key.</summary>
    public static T Read<T>(IConfiguration configuration) where T : class, INodeSection, new()
    {
        var options = Bind<T>(configuration);
        if (options.Problems().FirstOrDefault() is { } problem) throw problem;
        return options;
    }

    /// <summary>Registers the section as <see cref="IOptions{T}"/>, bound and validated on start, and returns it as read
    /// now, for registrations that choose their services by it.</summary>
    public static T AddSection<T>(this IServiceCollection services, IConfiguration configuration) where T : class, INodeSection, new()
    {
        var section = configuration.GetSection(T.Section);
        services.AddOptions<T>().Bind(section).PostConfigure(options => options.ReadLists(section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<T>, SectionValidator<T>>());
        return Read<T>(configuration);
    }

    /// <summary>Runs every <c>ValidateOnStart</c> check now, so a node with a bad value stops before it joins a cluster;
    /// the first failure becomes the node's one sentence.</summary>
    public static void ValidateOnStart(IServiceProvider services)
    {
        try { Translate(() => services.GetRequiredService<IStartupValidator>().Validate()); }
        catch (OptionsValidationException e) when (e.Failures.FirstOrDefault() is { } failure)
        {
            var colon = failure.IndexOf(": ", StringComparison.Ordinal);
            throw colon > 0 ? new SettingsException(failure[..colon], failure[(colon + 2)..]) : new SettingsException(e.OptionsName, failure);
        }
    }

    private static T Bind<T>(IConfiguration configuration) where T : class, INodeSection, new()
    {
        var options = new T();
        var section = configuration.GetSection(T.Section);
        Translate(() => section.Bind(options), configuration);
        options.ReadLists(section);
        return options;
    }

    /// <summary>The binder says "Failed to convert configuration value at 'Speech:Backend' to type …" with the reason
    /// inside; the node says "Speech:Backend: 'x' is not a speech backend: use …" or "Gpu:Count: 'x' is not a whole number".</summary>
    private static void Translate(Action bind, IConfiguration? configuration = null)
    {
        try { bind(); }
        catch (InvalidOperationException e) when (BinderError().Match(e.Message) is { Success: true } m)
        {
            var key = m.Groups["path"].Value;
            // A choice's converter already wrote the sentence; the framework's converters name their type instead.
            var reason = e.InnerException is NotAChoiceException choice ? choice.Message
                : $"'{configuration?[key]}' is not {Expected(m.Groups["type"].Value)}";
            throw new SettingsException(key, reason);
        }
    }

    private static string Expected(string type) => type switch
    {
        "System.Int32" or "System.Int64" => "a whole number",
        "System.Double" or "System.Single" or "System.Decimal" => "a number",
        "System.Boolean" => "true or false",
        _ => "a " + type[(type.LastIndexOf('.') + 1)..],
    };

    [GeneratedRegex("at '(?<path>[^']+)'(?: to type '(?<type>[^']+)')?")]
    private static partial Regex BinderError();

    private sealed class SectionValidator<T> : IValidateOptions<T> where T : class, INodeSection
    {
        public ValidateOptionsResult Validate(string? name, T options) =>
            options.Problems().Select(p => p.Message).ToList() is { Count: > 0 } failures ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}

/// <summary>A setting's value as written in configuration (<c>espeak-ng</c>, <c>pix2pixhd</c>); the first is the one shown.</summary>
[AttributeUsage(AttributeTargets.Field)]
public sealed class ChoiceAttribute(params string[] names) : Attribute
{
    public IReadOnlyList<string> Names { get; } = names;
}

/// <summary>A value that is none of a setting's choices; the message lists them.</summary>
public sealed class NotAChoiceException(string message) : FormatException(message);

/// <summary>Reads a choice enum from configuration by its written names (<see cref="ChoiceAttribute"/>, else the member
/// in lower case); empty means the first member, the default. Anything else is a <see cref="FormatException"/> whose
/// message lists the choices, e.g. "'x' is not a speech backend: use auto, tacotron2, festival or espeak-ng".</summary>
public sealed class ChoiceConverter<TEnum> : EnumConverter where TEnum : struct, Enum
{
    private static readonly (TEnum Value, IReadOnlyList<string> Names)[] Choices = typeof(TEnum)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => ((TEnum)f.GetValue(null)!, f.GetCustomAttribute<ChoiceAttribute>()?.Names ?? (IReadOnlyList<string>)[f.Name.ToLowerInvariant()]))
        .ToArray();

    public ChoiceConverter() : base(typeof(TEnum)) { }

    /// <summary>The name a value is written as.</summary>
    public static string NameOf(TEnum value) => Choices.First(c => c.Value.Equals(value)).Names[0];

    public static TEnum Parse(string? text)
    {
        var v = text?.Trim() ?? "";
        if (v.Length == 0) return Choices[0].Value;
        foreach (var (value, names) in Choices)
            if (names.Contains(v, StringComparer.OrdinalIgnoreCase)) return value;
        var all = Choices.Select(c => c.Names[0]).ToList();
        var noun = typeof(TEnum).GetCustomAttribute<DescriptionAttribute>()?.Description ?? typeof(TEnum).Name;
        throw new NotAChoiceException($"'{text}' is not {noun}: use {string.Join(", ", all[..^1])} or {all[^1]}");
    }

    public override object ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string s ? Parse(s) : base.ConvertFrom(context, culture, value)!;

    public override object? ConvertTo(ITypeDescriptorContext? context, CultureInfo? culture, object? value, Type destinationType) =>
        destinationType == typeof(string) && value is TEnum e ? NameOf(e) : base.ConvertTo(context, culture, value, destinationType);
}
