using System.Runtime.Serialization;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;

namespace NiusTv.Actors.Serialization;

/// <summary>The one serializer shape of the project: records as UTF-8 JSON under a string manifest taken from a table
/// of (type, manifest). The manifest, not the CLR type name, is the contract, so types can be renamed or moved freely.
/// For journaled records the manifests carry a schema version (<c>story.accepted.v1</c>) and must never change: an old
/// version that the table no longer holds is read through an <see cref="Upgrade"/> hook into today's type, instead of
/// breaking replay. Subclasses only name their table, identifier and wording.</summary>
public abstract class ManifestTableSerializer : SerializerWithStringManifest
{
    /// <summary>Reads the payload of a retired manifest and returns the record of today's type it stands for.</summary>
    public delegate object Upgrade(byte[] payload, JsonSerializerOptions json);

    private readonly int _identifier;
    private readonly string _what;
    private readonly string _unknownHint;
    private readonly JsonSerializerOptions _json;
    private readonly Dictionary<Type, string> _manifestByType;
    private readonly Dictionary<string, Type> _typeByManifest;
    private readonly IReadOnlyDictionary<string, Upgrade> _upgrades;

    /// <param name="identifier">Akka's serializer id; written beside every journaled record, so fixed forever.</param>
    /// <param name="what">What the records are, for error messages (<c>story event</c>).</param>
    /// <param name="unknownHint">Why a manifest may be unknown, appended to that error.</param>
    /// <param name="upgrades">Retired manifests, each read into a record of today's table.</param>
    protected ManifestTableSerializer(ExtendedActorSystem system, int identifier, string what, string unknownHint,
        IReadOnlyList<(Type Type, string Manifest)> table, JsonSerializerOptions json,
        IReadOnlyDictionary<string, Upgrade>? upgrades = null) : base(system)
    {
        _identifier = identifier;
        _what = what;
        _unknownHint = unknownHint;
        _json = json;
        // ToDictionary throws on a duplicate: two types under one manifest would read back as the wrong one.
        _manifestByType = table.ToDictionary(t => t.Type, t => t.Manifest);
        _typeByManifest = table.ToDictionary(t => t.Manifest, t => t.Type);
        _upgrades = upgrades ?? new Dictionary<string, Upgrade>();
        if (_upgrades.Keys.FirstOrDefault(_typeByManifest.ContainsKey) is { } both)
            throw new ArgumentException($"'{both}' is both a current manifest and an upgrade; a manifest has one meaning", nameof(upgrades));
    }

    public override int Identifier => _identifier;

    /// <summary>Every manifest this serializer reads: today's and the upgraded ones.</summary>
    public IEnumerable<string> Manifests => _typeByManifest.Keys.Concat(_upgrades.Keys);

    public override string Manifest(object o) => _manifestByType.TryGetValue(o.GetType(), out var m)
        ? m : throw new ArgumentException($"{o.GetType()} is not a {_what} this serializer knows", nameof(o));

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), _json);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (_upgrades.TryGetValue(manifest, out var upgrade)) return upgrade(bytes, _json);
        if (!_typeByManifest.TryGetValue(manifest, out var type))
            throw new SerializationException($"unknown {_what} manifest '{manifest}': {_unknownHint}");
        return JsonSerializer.Deserialize(bytes, type, _json)
            ?? throw new SerializationException($"empty payload for '{manifest}': {Encoding.UTF8.GetString(bytes)}");
    }
}
