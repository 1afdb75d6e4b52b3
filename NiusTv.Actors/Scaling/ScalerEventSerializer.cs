using System.Runtime.Serialization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;
using static NiusTv.Actors.Scaling.ScalerEvents;

namespace NiusTv.Actors.Scaling;

/// <summary>The scaler's journaled decisions as UTF-8 JSON under versioned manifests (<c>scaler.decided.v1</c>), like
/// <see cref="Stories.StoryEventSerializer"/>: the manifest is the contract, so the records can change shape later
/// through an explicit upgrade here instead of breaking a failover's replay.</summary>
public sealed class ScalerEventSerializer : SerializerWithStringManifest
{
    public const int SerializerId = 7103;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private static readonly (Type Type, string Manifest)[] Table =
    [
        (typeof(Decided), "scaler.decided.v1"),
        (typeof(Applied), "scaler.applied.v1"),
        (typeof(ApplyFailed), "scaler.apply-failed.v1"),
    ];

    private static readonly Dictionary<Type, string> ManifestByType = Table.ToDictionary(t => t.Type, t => t.Manifest);
    private static readonly Dictionary<string, Type> TypeByManifest = Table.ToDictionary(t => t.Manifest, t => t.Type);

    public ScalerEventSerializer(ExtendedActorSystem system) : base(system) { }

    public override int Identifier => SerializerId;

    public override string Manifest(object o) => ManifestByType.TryGetValue(o.GetType(), out var m)
        ? m : throw new ArgumentException($"{o.GetType()} is not a scaler event this serializer knows", nameof(o));

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Json);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!TypeByManifest.TryGetValue(manifest, out var type))
            throw new SerializationException($"unknown scaler event manifest '{manifest}': the journal was written by a newer NiusTv");
        return JsonSerializer.Deserialize(bytes, type, Json)
            ?? throw new SerializationException($"empty payload for '{manifest}': {Encoding.UTF8.GetString(bytes)}");
    }
}
