using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using NiusTv.Actors.Admission;
using NiusTv.Actors.Ingest;
using NiusTv.Actors.Stories;
using static NiusTv.Host.Admin.OperatorApi;

namespace NiusTv.Host.Admin;

/// <summary>The admin endpoint's JSON, one definition for both ends: the node writes its replies with
/// <see cref="Configure"/>d options (ASP.NET's HTTP JSON options), and the CLI reads them back into the same records
/// with <see cref="Options"/>. The records the routes answer with are listed in <see cref="AdminJsonContext"/>.</summary>
public static class AdminJson
{
    /// <summary>What the CLI reads replies with: the options the node writes them with.</summary>
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>How `nius … --json` prints a reply: the node's JSON as it came, indented, with non-ASCII text as is.</summary>
    public static readonly JsonSerializerOptions Pretty = new()
    {
        WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Web defaults (camelCase names), enums as camelCase strings, and the generated metadata of the reply
    /// records first; anything else (a route's one-off anonymous object) falls back to reflection.</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions o)
    {
        o.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        o.TypeInfoResolver = JsonTypeInfoResolver.Combine(AdminJsonContext.Default, o.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver());
        return o;
    }

    /// <summary>A reply's body as the record the route wrote.</summary>
    public static T Read<T>(JsonElement body) =>
        body.Deserialize<T>(Options) ?? throw new JsonException($"the node answered null where a {typeof(T).Name} was expected");
}

/// <summary>Every record an admin route answers with (and the CLI reads): the wire contract in one list.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(AdminApi.ErrorBody))]
[JsonSerializable(typeof(AdminApi.NodeView))]
[JsonSerializable(typeof(AdminApi.PronunciationView))]
[JsonSerializable(typeof(List<AdminApi.PronunciationView>))]
[JsonSerializable(typeof(StoryView))]
[JsonSerializable(typeof(List<StorySummary>))]
[JsonSerializable(typeof(StoryCommands.PublishResult))]
[JsonSerializable(typeof(StoryCommands.CancelResult))]
[JsonSerializable(typeof(StoryCommands.RetryResult))]
[JsonSerializable(typeof(IngestStats))]
[JsonSerializable(typeof(List<GpuSlotReport>))]
[JsonSerializable(typeof(ScalerReport))]
[JsonSerializable(typeof(List<NiusTv.Steps.Speech.VoiceInfo>))]
[JsonSerializable(typeof(ClusterView))]
[JsonSerializable(typeof(ClusterCommandResult))]
[JsonSerializable(typeof(List<RegionsView>))]
[JsonSerializable(typeof(List<RegionStatsView>))]
[JsonSerializable(typeof(ShardsView))]
[JsonSerializable(typeof(ActorNode))]
[JsonSerializable(typeof(ModelsView))]
[JsonSerializable(typeof(List<LogRing.Line>))]
[JsonSerializable(typeof(ComponentReport))]
public sealed partial class AdminJsonContext : JsonSerializerContext;
