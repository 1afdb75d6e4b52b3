using NiusTv.Steps.Init;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Stories;

namespace NiusTv.Steps.Compose;

/// <summary>An image on screen from <see cref="Start"/> to <see cref="End"/> (video time).
/// <see cref="Ordinal"/> alternates the pan/zoom direction so consecutive images do not move alike.</summary>
public sealed record ImageSegment(ImageManifestEntry Image, double Start, double End, int Ordinal);

public static class ImageSchedule
{
    /// <summary>Each image during its paragraph's spoken span; several images of one paragraph split it
    /// evenly; an image stays up until the next one starts (so paragraphs without an image, and the pauses
    /// between paragraphs, keep it). The first image starts right after the title card when it belongs to
    /// the first spoken paragraph, so the picture does not flash the studio backdrop for Festival's leading
    /// silence.</summary>
    public static IReadOnlyList<ImageSegment> Build(Story story, ImageManifest manifest, SpeechTimings timings, double offset, double videoEnd)
    {
        var paragraphCount = Math.Max(story.Paragraphs.Count, manifest.Images.Count == 0 ? 0 : manifest.Images.Max(i => i.Paragraph) + 1);
        var starts = new List<(ImageManifestEntry Image, double Start)>();
        var firstSpoken = Enumerable.Range(0, paragraphCount)
            .Select(p => (P: p, T: CaptionTrack.ParagraphTime(timings, p, paragraphCount)))
            .OrderBy(x => x.T.Start).Select(x => x.P).FirstOrDefault();
        foreach (var group in manifest.Images.GroupBy(i => i.Paragraph).OrderBy(g => g.Key))
        {
            var (s, e) = CaptionTrack.ParagraphTime(timings, group.Key, paragraphCount);
            var images = group.OrderBy(i => i.Index).ToList();
            for (var n = 0; n < images.Count; n++)
            {
                var start = offset + s + (e - s) * n / images.Count;
                if (n == 0 && group.Key == firstSpoken) start = offset;
                starts.Add((images[n], start));
            }
        }
        starts.Sort((a, b) => a.Start.CompareTo(b.Start));
        var segments = new List<ImageSegment>(starts.Count);
        for (var n = 0; n < starts.Count; n++)
        {
            var end = n + 1 < starts.Count ? starts[n + 1].Start : videoEnd;
            if (end <= starts[n].Start && n + 1 < starts.Count) continue; // squeezed out by a same-time successor
            segments.Add(new ImageSegment(starts[n].Image, starts[n].Start, Math.Max(end, starts[n].Start), segments.Count));
        }
        return segments;
    }
}
