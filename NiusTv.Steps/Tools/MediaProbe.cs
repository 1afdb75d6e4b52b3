using System.Globalization;
using System.Text.Json;

namespace NiusTv.Steps.Tools;

/// <summary>What ffprobe says about a media file: the facts a person checks on a finished video.</summary>
public sealed record MediaProbe(IReadOnlyList<MediaStream> Streams, double FormatDuration, long Bytes)
{
    public MediaStream? Video => Streams.FirstOrDefault(s => s.CodecType == "video");
    public MediaStream? Audio => Streams.FirstOrDefault(s => s.CodecType == "audio");

    public static async Task<MediaProbe> ProbeAsync(string file, CancellationToken ct = default)
    {
        var result = await new ExternalTool("ffprobe").RunAsync(
            ["-v", "error", "-print_format", "json", "-show_streams", "-show_format", file], TimeSpan.FromSeconds(60), ct);
        if (result.ExitCode != 0) throw new InvalidDataException($"ffprobe could not read {file}: {result.StderrTail.Trim()}");
        using var doc = JsonDocument.Parse(result.Stdout);
        var streams = doc.RootElement.GetProperty("streams").EnumerateArray().Select(s => new MediaStream(
            Str(s, "codec_type"), Str(s, "codec_name"), Int(s, "width"), Int(s, "height"), Str(s, "pix_fmt"),
            Rate(Str(s, "r_frame_rate")), Double(Str(s, "duration")), Int(s, "sample_rate") ?? IntFromString(Str(s, "sample_rate")),
            IntFromString(Str(s, "nb_frames")))).ToList();
        var format = doc.RootElement.GetProperty("format");
        return new MediaProbe(streams, Double(Str(format, "duration")) ?? 0, new FileInfo(file).Length);
    }

    private static string Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.ToString() : "";
    private static int? Int(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;
    private static int? IntFromString(string s) => int.TryParse(s, out var n) ? n : null;
    private static double? Double(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;

    private static double? Rate(string s)
    {
        var parts = s.Split('/');
        return parts.Length == 2 && double.TryParse(parts[0], CultureInfo.InvariantCulture, out var n) && double.TryParse(parts[1], CultureInfo.InvariantCulture, out var d) && d != 0
            ? n / d : null;
    }
}

public sealed record MediaStream(string CodecType, string CodecName, int? Width, int? Height, string PixelFormat,
    double? FrameRate, double? Duration, int? SampleRate, int? Frames);
