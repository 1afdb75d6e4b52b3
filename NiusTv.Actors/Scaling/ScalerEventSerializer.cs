using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using NiusTv.Actors.Serialization;
using static NiusTv.Actors.Scaling.ScalerEvents;

namespace NiusTv.Actors.Scaling;

/// <summary>The scaler's journaled decisions under versioned manifests (<c>scaler.decided.v1</c>), in the same
/// <see cref="ManifestTableSerializer"/> as story events: the manifest is the contract, so the records can change shape
/// later through an upgrade instead of breaking a failover's replay. Enums are written by name, as they always were.</summary>
public sealed class ScalerEventSerializer(ExtendedActorSystem system) : ManifestTableSerializer(system, SerializerId, "scaler event",
    "the journal was written by a newer NiusTv", Table, new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    })
{
    public const int SerializerId = 7103;

    public static readonly (Type Type, string Manifest)[] Table =
    [
        (typeof(Decided), "scaler.decided.v1"),
        (typeof(Applied), "scaler.applied.v1"),
        (typeof(ApplyFailed), "scaler.apply-failed.v1"),
    ];
}
