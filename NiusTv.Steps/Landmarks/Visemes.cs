using NiusTv.Steps.Phonemes;

namespace NiusTv.Steps.Landmarks;

/// <summary>Mouth shapes that look different from the front. Several phones share one (P, B and M all close the
/// lips); what the tongue does behind the teeth is invisible in 68 landmarks. The table and the reasons for each
/// value are in <c>Visemes.md</c> beside this file.</summary>
public enum Viseme
{
    /// <summary>Silence: lips relaxed and closed.</summary>
    Rest,
    /// <summary>P B M: lips pressed together.</summary>
    Bilabial,
    /// <summary>F V: lower lip tucked under the upper teeth, upper lip lifted.</summary>
    Labiodental,
    /// <summary>TH DH: tongue tip between the teeth, small opening.</summary>
    Dental,
    /// <summary>T D N L K G NG HH: tongue consonants; the lips follow the neighbouring vowels.</summary>
    Lingual,
    /// <summary>S Z: teeth almost together, lips spread.</summary>
    Sibilant,
    /// <summary>SH ZH CH JH: lips pushed forward and rounded, teeth close.</summary>
    Postalveolar,
    /// <summary>R ER: lips slightly rounded.</summary>
    Rhotic,
    /// <summary>W: lips tightly rounded, almost closed.</summary>
    RoundedGlide,
    /// <summary>IY IH Y: lips spread, jaw fairly high.</summary>
    HighSpread,
    /// <summary>EH AE (and the start of EY): spread, jaw half open.</summary>
    MidSpread,
    /// <summary>AH: the central vowel, jaw half open, lips neutral.</summary>
    Central,
    /// <summary>AA (and the start of AY, AW): jaw wide open.</summary>
    Open,
    /// <summary>AO (and the start of OW, OY): jaw open, lips rounded.</summary>
    MidRounded,
    /// <summary>UW UH (and the end of OW, AW): lips rounded, jaw high.</summary>
    HighRounded,
}

/// <summary>Mouth parameters, each in [0, 1] (0 = the relaxed closed mouth). <see cref="FaceAnimator"/> turns them
/// into point displacements scaled by the reference mouth width, so the same numbers fit any face size.</summary>
/// <param name="Open">Jaw and lip opening: the inner-lip gap is <c>Open × 0.36 ×</c> the mouth width.</param>
/// <param name="Spread">Lips stretched sideways (smile-like, IY): up to +10 % mouth width.</param>
/// <param name="Round">Lips rounded and pushed forward (UW, W): up to −22 % mouth width, the inner opening narrower
/// still, the lips fuller.</param>
/// <param name="UpperLip">Upper lip raised off the teeth (F V, SH): up to 0.08 × the mouth width.</param>
public readonly record struct MouthShape(double Open, double Spread, double Round, double UpperLip)
{
    public static readonly MouthShape Closed = new(0, 0, 0, 0);

    public static MouthShape operator *(MouthShape s, double k) => new(s.Open * k, s.Spread * k, s.Round * k, s.UpperLip * k);
    public static MouthShape operator +(MouthShape a, MouthShape b) =>
        new(a.Open + b.Open, a.Spread + b.Spread, a.Round + b.Round, a.UpperLip + b.UpperLip);
}

/// <summary>A viseme's target shape and how strongly it holds that target against its neighbours (Cohen and
/// Massaro's dominance, 1993): the opening and the lip shape have separate dominances because, say, an M must close
/// the lips whatever surrounds it but takes its rounding from the next vowel ("moon" vs "me").</summary>
public sealed record VisemeTarget(Viseme Viseme, MouthShape Shape, double OpenDominance, double ShapeDominance);

/// <summary>CMU phones (no stress) → visemes. Diphthongs move between two visemes: the first one for the first
/// half of the phone, the second for the rest.</summary>
public static class VisemeTable
{
    /// <summary>The 39 phones of the CMU dictionary's phone set, without stress.</summary>
    public static readonly IReadOnlyList<string> CmuPhones =
    [
        "AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH", "IH", "IY", "JH",
        "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH", "UW", "V", "W", "Y", "Z", "ZH",
    ];

    // Values are explained row by row in Visemes.md; keep the two in step.
    //                                                      Open  Spread Round UpperLip  dom(open) dom(shape)
    private static readonly Dictionary<Viseme, VisemeTarget> Targets = new VisemeTarget[]
    {
        new(Viseme.Rest,         new MouthShape(0.00, 0.00, 0.00, 0.00), 1.0, 0.3),
        new(Viseme.Bilabial,     new MouthShape(0.00, 0.00, 0.00, 0.00), 1.0, 0.1),
        new(Viseme.Labiodental,  new MouthShape(0.04, 0.15, 0.00, 0.20), 0.9, 0.6),
        new(Viseme.Dental,       new MouthShape(0.16, 0.20, 0.00, 0.10), 0.6, 0.3),
        new(Viseme.Lingual,      new MouthShape(0.14, 0.10, 0.00, 0.00), 0.4, 0.1),
        new(Viseme.Sibilant,     new MouthShape(0.10, 0.40, 0.00, 0.10), 0.7, 0.5),
        new(Viseme.Postalveolar, new MouthShape(0.16, 0.00, 0.60, 0.30), 0.7, 0.8),
        new(Viseme.Rhotic,       new MouthShape(0.22, 0.00, 0.45, 0.05), 0.5, 0.6),
        new(Viseme.RoundedGlide, new MouthShape(0.08, 0.00, 1.00, 0.00), 0.8, 1.0),
        new(Viseme.HighSpread,   new MouthShape(0.34, 0.80, 0.00, 0.10), 0.6, 0.7),
        new(Viseme.MidSpread,    new MouthShape(0.60, 0.50, 0.00, 0.05), 0.6, 0.6),
        new(Viseme.Central,      new MouthShape(0.60, 0.10, 0.00, 0.00), 0.5, 0.3),
        new(Viseme.Open,         new MouthShape(0.90, 0.15, 0.00, 0.05), 0.7, 0.5),
        new(Viseme.MidRounded,   new MouthShape(0.65, 0.00, 0.60, 0.00), 0.7, 0.8),
        new(Viseme.HighRounded,  new MouthShape(0.30, 0.00, 0.90, 0.00), 0.7, 0.9),
    }.ToDictionary(t => t.Viseme);

    private static readonly Dictionary<string, (Viseme First, Viseme Second)> Phones = new(StringComparer.OrdinalIgnoreCase)
    {
        [PhoneTrack.Silence] = (Viseme.Rest, Viseme.Rest),
        ["P"] = (Viseme.Bilabial, Viseme.Bilabial), ["B"] = (Viseme.Bilabial, Viseme.Bilabial), ["M"] = (Viseme.Bilabial, Viseme.Bilabial),
        ["F"] = (Viseme.Labiodental, Viseme.Labiodental), ["V"] = (Viseme.Labiodental, Viseme.Labiodental),
        ["TH"] = (Viseme.Dental, Viseme.Dental), ["DH"] = (Viseme.Dental, Viseme.Dental),
        ["T"] = (Viseme.Lingual, Viseme.Lingual), ["D"] = (Viseme.Lingual, Viseme.Lingual),
        ["N"] = (Viseme.Lingual, Viseme.Lingual), ["L"] = (Viseme.Lingual, Viseme.Lingual),
        ["K"] = (Viseme.Lingual, Viseme.Lingual), ["G"] = (Viseme.Lingual, Viseme.Lingual),
        ["NG"] = (Viseme.Lingual, Viseme.Lingual), ["HH"] = (Viseme.Lingual, Viseme.Lingual),
        ["S"] = (Viseme.Sibilant, Viseme.Sibilant), ["Z"] = (Viseme.Sibilant, Viseme.Sibilant),
        ["SH"] = (Viseme.Postalveolar, Viseme.Postalveolar), ["ZH"] = (Viseme.Postalveolar, Viseme.Postalveolar),
        ["CH"] = (Viseme.Postalveolar, Viseme.Postalveolar), ["JH"] = (Viseme.Postalveolar, Viseme.Postalveolar),
        ["R"] = (Viseme.Rhotic, Viseme.Rhotic), ["ER"] = (Viseme.Rhotic, Viseme.Rhotic),
        ["W"] = (Viseme.RoundedGlide, Viseme.RoundedGlide),
        ["Y"] = (Viseme.HighSpread, Viseme.HighSpread), ["IY"] = (Viseme.HighSpread, Viseme.HighSpread),
        ["IH"] = (Viseme.HighSpread, Viseme.HighSpread),
        ["EH"] = (Viseme.MidSpread, Viseme.MidSpread), ["AE"] = (Viseme.MidSpread, Viseme.MidSpread),
        ["AH"] = (Viseme.Central, Viseme.Central),
        ["AA"] = (Viseme.Open, Viseme.Open),
        ["AO"] = (Viseme.MidRounded, Viseme.MidRounded),
        ["UW"] = (Viseme.HighRounded, Viseme.HighRounded), ["UH"] = (Viseme.HighRounded, Viseme.HighRounded),
        // Diphthongs: where the mouth starts and where it ends up.
        ["AY"] = (Viseme.Open, Viseme.HighSpread),
        ["AW"] = (Viseme.Open, Viseme.HighRounded),
        ["EY"] = (Viseme.MidSpread, Viseme.HighSpread),
        ["OW"] = (Viseme.MidRounded, Viseme.HighRounded),
        ["OY"] = (Viseme.MidRounded, Viseme.HighSpread),
    };

    public static VisemeTarget Target(Viseme viseme) => Targets[viseme];

    /// <summary>The visemes of one phone (CMU without stress, or <c>SIL</c>; case and a trailing stress digit are
    /// tolerated). False for anything else.</summary>
    public static bool TryMap(string phone, out (Viseme First, Viseme Second) visemes)
    {
        var p = phone.Trim();
        if (p.Length > 1 && char.IsDigit(p[^1])) p = p[..^1];
        return Phones.TryGetValue(p, out visemes);
    }
}
