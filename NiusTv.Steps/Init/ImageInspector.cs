using SkiaSharp;

namespace NiusTv.Steps.Init;

/// <summary>What a whole, decodable image turned out to be.</summary>
public sealed record InspectedImage(string Format, string Extension, int Width, int Height);

/// <summary>Why an image was refused: a sentence that reads after the image's name ("… is 20000×20000 pixels; …").
/// <see cref="OutOfMemory"/> marks the one case that may pass on a later try.</summary>
public sealed class ImageRejectedException(string reason, bool outOfMemory = false) : Exception(reason)
{
    public bool OutOfMemory { get; } = outOfMemory;
}

/// <summary>The one image check, shared by the init step and the newsroom's uploads, so that what an editor may
/// upload is exactly what init will accept: format from the bytes (never the file name), size from the header,
/// then a full decode, since a truncated file often has an intact header and only shows itself when the pixels
/// run out.</summary>
public static class ImageInspector
{
    public static InspectedImage Inspect(string file, ImageLimits limits)
    {
        using var codec = SKCodec.Create(file, out var createResult);
        if (codec is null && createResult == SKCodecResult.IncompleteInput)
            throw new ImageRejectedException("cannot be decoded: the file is truncated before the end of its header");
        if (codec is null)
            throw new ImageRejectedException($"is not a JPEG, PNG or WebP image (its content is not a recognised image format: {createResult})");

        var (format, extension) = codec.EncodedFormat switch
        {
            SKEncodedImageFormat.Jpeg => ("jpeg", "jpg"),
            SKEncodedImageFormat.Png => ("png", "png"),
            SKEncodedImageFormat.Webp => ("webp", "webp"),
            var other => throw new ImageRejectedException(
                $"is a {other.ToString().ToUpperInvariant()} image; only JPEG, PNG and WebP are accepted"),
        };

        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (width <= 0 || height <= 0)
            throw new ImageRejectedException($"({format}) cannot be decoded: its header gives no size");
        if (width > limits.MaxSide || height > limits.MaxSide)
            throw new ImageRejectedException($"is {width}×{height} pixels; neither side may exceed {limits.MaxSide}");

        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var bitmap = new SKBitmap();
        if (!bitmap.TryAllocPixels(info))
            throw new ImageRejectedException($"could not be checked: not enough memory to decode {width}×{height} pixels", outOfMemory: true);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
        {
            var why = result == SKCodecResult.IncompleteInput ? "the file is truncated" : $"the image data is corrupt ({result})";
            throw new ImageRejectedException($"({format}) cannot be decoded: {why}");
        }
        return new InspectedImage(format, extension, width, height);
    }
}
