namespace NiusTv.Steps.Init;

/// <summary>What init accepts from an asset store. The bounds keep a decode (4 bytes a pixel) and the compose
/// step's memory predictable whatever an author uploads.</summary>
/// <param name="MaxBytes">Largest file, checked from the store's size before anything is copied.</param>
/// <param name="MaxSide">Largest width or height in pixels, read from the header before pixels are decoded.</param>
public sealed record ImageLimits(long MaxBytes = ImageLimits.DefaultMaxBytes, int MaxSide = ImageLimits.DefaultMaxSide)
{
    public const long DefaultMaxBytes = 50L * 1024 * 1024;
    public const int DefaultMaxSide = 12_000;

    public static readonly ImageLimits Default = new();
}
