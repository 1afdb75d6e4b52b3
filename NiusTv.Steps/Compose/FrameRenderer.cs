using NiusTv.Steps.Stories;
using SkiaSharp;

namespace NiusTv.Steps.Compose;

/// <summary>Draws the frame at a given video time. Everything that does not change over time (studio
/// backdrop, lower third with the title, the title card) is drawn once into images; per frame we blit those,
/// draw the current picture with its pan/zoom, the image caption and the caption line. Images are prepared
/// when their segment comes up and dropped when it is over, so memory stays flat for long stories.</summary>
internal sealed class FrameRenderer : IDisposable
{

    /// <summary>Crossfade length between images and out of the title card.</summary>
    private const double FadeSeconds = 0.35;

    private readonly StoryLayout _layout;
    private readonly BrandLook _look;
    private readonly SKRect _logoRect;
    private readonly ComposeFonts _fonts;
    private readonly Story _story;
    private readonly string _workspace;
    private readonly IReadOnlyList<ImageSegment> _segments;
    private readonly CaptionTrack _captions;
    private readonly double _titleSeconds;
    private readonly SKImage _chrome;
    private readonly SKImage _titleCard;
    private readonly Dictionary<int, PreparedImage> _prepared = new();
    private readonly SKPaint _imagePaint = new() { IsAntialias = false };
    private readonly SKPaint _textPaint;
    private readonly SKPaint _greyPaint;
    private readonly SKPaint _boxPaint;
    private readonly SKPaint _layerPaint = new();
    private readonly SKRoundRect _panelClip;
    private readonly SKSamplingOptions _sampling = new(SKFilterMode.Linear, SKMipmapMode.None);
    private readonly Dictionary<int, string> _imageCaptionText = new();
    private float _lowerThirdCaptionX, _lowerThirdCaptionBaseline, _lowerThirdCaptionWidth;
    private SKFont? _lowerThirdCaptionFont;

    public FrameRenderer(StoryLayout layout, ComposeFonts fonts, Story story, string workspace,
        IReadOnlyList<ImageSegment> segments, CaptionTrack captions, double titleSeconds, BrandLook? look = null)
    {
        _layout = layout;
        _look = look ?? BrandLook.Default();
        _logoRect = _look.LogoRect(layout);
        _textPaint = new SKPaint { IsAntialias = true, Color = _look.Text };
        _greyPaint = new SKPaint { IsAntialias = true, Color = _look.CaptionGrey };
        _boxPaint = new SKPaint { IsAntialias = true, Color = _look.CaptionBox };
        _fonts = fonts;
        _story = story;
        _workspace = workspace;
        _segments = segments;
        _captions = captions;
        _titleSeconds = titleSeconds;
        var area = SKRect.Create(layout.ImageArea.Left, layout.ImageArea.Top, layout.ImageArea.Width, layout.ImageArea.Height);
        _panelClip = new SKRoundRect(area, layout.Margin * 0.5f);
        _chrome = DrawChrome();
        _titleCard = DrawTitleCard();
    }

    /// <summary>Whether the frame at <paramref name="t"/> shows the anchor: not under the title card, only as it fades out.</summary>
    public bool ShowsAnchorAt(double t) => t >= _titleSeconds - FadeSeconds;

    /// <param name="anchor">The presenter's frame for this time (from the render step's segment), drawn into
    /// the anchor slot; null leaves the slot to the studio backdrop.</param>
    public void Render(SKCanvas canvas, double t, SKImage? anchor = null)
    {
        if (t < _titleSeconds - FadeSeconds)
            canvas.DrawImage(_titleCard, 0, 0, SKSamplingOptions.Default, null);
        else
        {
            RenderStory(canvas, t, anchor);
            if (t < _titleSeconds)
            {
                _layerPaint.Color = SKColors.White.WithAlpha(Alpha((_titleSeconds - t) / FadeSeconds));
                canvas.DrawImage(_titleCard, 0, 0, SKSamplingOptions.Default, _layerPaint);
            }
        }
        // Last, on every frame: a picture or the anchor drawn into a corner must never cover the brand's logo.
        if (_look.Logo is { } logo) canvas.DrawImage(logo, _logoRect.Left, _logoRect.Top, SKSamplingOptions.Default, null);
    }

    private void RenderStory(SKCanvas canvas, double t, SKImage? anchor)
    {
        canvas.DrawImage(_chrome, 0, 0, SKSamplingOptions.Default, null);
        if (anchor is not null) DrawAnchor(canvas, anchor);
        var current = CurrentSegment(t);
        if (current >= 0)
        {
            Evict(current);
            canvas.Save();
            canvas.ClipRoundRect(_panelClip, antialias: true);
            var seg = _segments[current];
            var sinceStart = t - seg.Start;
            if (current > 0 && sinceStart < FadeSeconds && seg.Start > _titleSeconds)
            {
                DrawPicture(canvas, _segments[current - 1], t);
                _layerPaint.Color = SKColors.White.WithAlpha(Alpha(sinceStart / FadeSeconds));
                canvas.SaveLayer(_panelClip.Rect, _layerPaint);
                DrawPicture(canvas, seg, t);
                canvas.Restore();
            }
            else DrawPicture(canvas, seg, t);
            canvas.Restore();
            DrawImageCaption(canvas, seg);
        }
        DrawCaptionLine(canvas, t);
    }

    /// <summary>The render step renders at the slot's size, so this is a plain copy; a segment of another size
    /// (rendered for another output size) is fitted into the slot, never stretched.</summary>
    private void DrawAnchor(SKCanvas canvas, SKImage anchor)
    {
        var slot = _layout.AnchorSlot;
        if (anchor.Width == slot.Width && anchor.Height == slot.Height)
            canvas.DrawImage(anchor, slot.Left, slot.Top, SKSamplingOptions.Default, null);
        else
            canvas.DrawImage(anchor, StoryLayout.FitInside(anchor.Width, anchor.Height, SKRect.Create(slot.Left, slot.Top, slot.Width, slot.Height)), _sampling, _imagePaint);
    }

    private static byte Alpha(double fraction) => (byte)Math.Clamp(Math.Round(fraction * 255), 0, 255);

    private int CurrentSegment(double t)
    {
        int lo = 0, hi = _segments.Count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) / 2;
            if (_segments[mid].Start <= t) { found = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        return found;
    }

    /// <summary>Keeps only the current image and the one it fades from.</summary>
    private void Evict(int current)
    {
        if (_prepared.Count <= 2) return;
        foreach (var key in _prepared.Keys.Where(k => k < current - 1 || k > current).ToList())
        {
            _prepared[key].Dispose();
            _prepared.Remove(key);
        }
    }

    private PreparedImage Prepared(ImageSegment seg)
    {
        if (!_prepared.TryGetValue(seg.Ordinal, out var p))
            _prepared[seg.Ordinal] = p = PreparedImage.Load(_workspace, seg.Image, _layout);
        return p;
    }

    /// <summary>The picture with a slow zoom (in on even images, out on odd ones) and a drift whose direction
    /// changes image to image. The drift never exceeds the zoom's overhang, so the letterbox edges never move
    /// inwards and the picture is never stretched, only uniformly scaled.</summary>
    private void DrawPicture(SKCanvas canvas, ImageSegment seg, double t)
    {
        var p = Prepared(seg);
        var area = _panelClip.Rect;
        canvas.DrawImage(p.Fill, area.Left, area.Top, SKSamplingOptions.Default, null);

        var duration = Math.Max(0.001, seg.End - seg.Start);
        var progress = (float)Math.Clamp((t - seg.Start) / duration, 0, 1);
        const float zoomRange = StoryLayout.MaxZoom - 1f;
        var zoom = seg.Ordinal % 2 == 0 ? 1f + zoomRange * progress : StoryLayout.MaxZoom - zoomRange * progress;
        var (dirX, dirY) = (seg.Ordinal % 4) switch { 0 => (1f, 0.4f), 1 => (-1f, 0.3f), 2 => (-0.6f, -1f), _ => (0.7f, 1f) };
        var f = p.Fitted;
        var drift = 2f * progress - 1f;
        var ox = dirX * (zoom - 1f) * f.Width / 2f * drift * 0.9f;
        var oy = dirY * (zoom - 1f) * f.Height / 2f * drift * 0.9f;
        var w = f.Width * zoom;
        var h = f.Height * zoom;
        var dest = SKRect.Create(f.MidX - w / 2 + ox, f.MidY - h / 2 + oy, w, h);
        canvas.DrawImage(p.Picture, dest, _sampling, _imagePaint);
    }

    private void DrawImageCaption(SKCanvas canvas, ImageSegment seg)
    {
        var caption = seg.Image.Caption;
        if (string.IsNullOrWhiteSpace(caption) || _lowerThirdCaptionWidth <= 0) return;
        if (!_imageCaptionText.TryGetValue(seg.Ordinal, out var text))
            _imageCaptionText[seg.Ordinal] = text = TextWrap.Ellipsize(caption.Trim(), _lowerThirdCaptionWidth, TextWrap.Measure(_lowerThirdCaptionFont ?? _fonts.LowerThirdCaption));
        canvas.DrawText(text, _lowerThirdCaptionX, _lowerThirdCaptionBaseline, SKTextAlign.Left, _lowerThirdCaptionFont ?? _fonts.LowerThirdCaption, _greyPaint);
    }

    private void DrawCaptionLine(SKCanvas canvas, double t)
    {
        var cue = _captions.At(t);
        if (cue is null) return;
        var font = _fonts.Caption;
        var band = _layout.CaptionBand;
        var width = font.MeasureText(cue.Text);
        var pad = _layout.CaptionPadding;
        var cx = band.MidX;
        var box = new SKRect(cx - width / 2 - pad, band.Top, cx + width / 2 + pad, band.Bottom);
        var corner = _look.Pack.Captions.RoundedCorners ? pad * 0.5f : 0f;
        canvas.DrawRoundRect(box, corner, corner, _boxPaint);
        canvas.DrawText(cue.Text, cx, CentredBaseline(font, band.Top, band.Bottom), SKTextAlign.Center, font, _textPaint);
    }

    private static float CentredBaseline(SKFont font, float top, float bottom)
    {
        font.GetFontMetrics(out var m);
        // Centre the cap-height-ish box (ascent..descent) in the band.
        return (top + bottom) / 2 - (m.Ascent + m.Descent) / 2;
    }

    private void DrawBackdrop(SKCanvas canvas)
    {
        using var back = new SKPaint();
        back.Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(0, _layout.Height), [_look.BackTop, _look.BackBottom], null, SKShaderTileMode.Clamp);
        canvas.DrawRect(0, 0, _layout.Width, _layout.Height, back);
    }

    /// <summary>Studio backdrop, the empty picture panel, the presenter's lit slot and the lower third with
    /// the story title: everything constant from the end of the title card on.</summary>
    /// <remarks>Opaque, as the title card: the backdrop covers the frame, and an opaque image is copied onto each
    /// frame rather than blended pixel by pixel.</remarks>
    private SKImage DrawChrome()
    {
        using var surface = SKSurface.Create(new SKImageInfo(_layout.Width, _layout.Height, SKColorType.Bgra8888, SKAlphaType.Opaque));
        var canvas = surface.Canvas;
        DrawBackdrop(canvas);

        var slot = _layout.AnchorSlot;
        using (var glow = new SKPaint())
        {
            var radius = Math.Max(slot.Width, slot.Height) * 0.75f;
            glow.Shader = SKShader.CreateRadialGradient(new SKPoint(slot.MidX, slot.MidY), Math.Max(1, radius),
                [_look.Glow.WithAlpha(110), _look.Glow.WithAlpha(0)], null, SKShaderTileMode.Clamp);
            // Over everything above the lower third, not just the slot: clipped to the slot the gradient
            // would end in a visible seam where it has not yet faded out.
            canvas.DrawRect(SKRect.Create(0, 0, _layout.Width, _layout.LowerThird.Top), glow);
        }

        using (var shadow = new SKPaint { IsAntialias = true, Color = new SKColor(0, 0, 0, 140) })
        {
            shadow.MaskFilter = SKMaskFilter.CreateBlur(SKBlurStyle.Normal, Math.Max(0.5f, _layout.Margin * 0.6f));
            var r = _panelClip.Rect;
            r.Offset(0, _layout.Margin * 0.25f);
            canvas.DrawRoundRect(new SKRoundRect(r, _panelClip.Radii[0].X), shadow);
        }
        using (var panel = new SKPaint { IsAntialias = true })
        {
            var r = _panelClip.Rect;
            panel.Shader = SKShader.CreateLinearGradient(new SKPoint(r.Left, r.Top), new SKPoint(r.Right, r.Bottom),
                [_look.Panel, _look.PanelEnd], null, SKShaderTileMode.Clamp);
            canvas.DrawRoundRect(_panelClip, panel);
            using var watermark = ComposeFonts.Make(_fonts.Bold, Math.Max(6f, r.Height * 0.12f));
            using var faint = new SKPaint { IsAntialias = true, Color = _look.Text.WithAlpha(28) };
            canvas.DrawText(_look.Tag, r.MidX, CentredBaseline(watermark, r.Top, r.Bottom), SKTextAlign.Center, watermark, faint);
        }

        DrawLowerThird(canvas);
        return surface.Snapshot();
    }

    private void DrawLowerThird(SKCanvas canvas)
    {
        var band = _layout.LowerThird;
        var stripe = _layout.LowerThirdStripe;
        using var fill = new SKPaint { Color = _look.Band };
        canvas.DrawRect(SKRect.Create(band.Left, band.Top, band.Width, band.Height), fill);
        using var accent = new SKPaint { Color = _look.Accent, IsAntialias = true };
        canvas.DrawRect(SKRect.Create(band.Left, band.Top, band.Width, stripe), accent);

        var inner = SKRect.Create(band.Left, band.Top + stripe, band.Width, band.Height - stripe);
        // Text stays inside the safe area sideways: 5% of the width from either edge.
        var insetX = Math.Max(_layout.Margin, _layout.SafeArea.Left);
        float textLeft, textTop, textBottom;
        if (_layout.LowerThirdStacked)
        {
            // The channel tag as a small label over the title, which gets the whole safe width for its two lines.
            using var tagFont = ComposeFonts.Make(_fonts.Bold, _layout.LowerThirdTagFontSize);
            tagFont.GetFontMetrics(out var gm);
            var pad = _layout.Margin * 0.6f;
            var tagRect = SKRect.Create(insetX, inner.Top + _layout.Margin * 0.5f, tagFont.MeasureText(_look.Tag) + 2 * pad, (gm.Descent - gm.Ascent) * 1.3f);
            canvas.DrawRect(tagRect, accent);
            canvas.DrawText(_look.Tag, tagRect.MidX, CentredBaseline(tagFont, tagRect.Top, tagRect.Bottom), SKTextAlign.Center, tagFont, _textPaint);
            textLeft = insetX;
            textTop = tagRect.Bottom + _layout.Margin * 0.4f;
            textBottom = inner.Bottom - _layout.Margin * 0.5f;
        }
        else
        {
            // The channel tag: a red block on the left, as wide as its text needs.
            var tagFont = _fonts.Tag;
            var tagPad = _layout.Margin;
            var tagWidth = Math.Min(band.Width * 0.25f, tagFont.MeasureText(_look.Tag) + 2 * tagPad);
            textLeft = inner.Left + insetX;
            if (tagWidth >= tagFont.MeasureText(_look.Tag) + tagPad)
            {
                canvas.DrawRect(SKRect.Create(inner.Left, inner.Top, tagWidth, inner.Height), accent);
                canvas.DrawText(_look.Tag, inner.Left + tagWidth / 2, CentredBaseline(tagFont, inner.Top, inner.Bottom), SKTextAlign.Center, tagFont, _textPaint);
                textLeft = Math.Max(textLeft, inner.Left + tagWidth + _layout.Margin);
            }
            textTop = inner.Top + _layout.Margin * 0.25f;
            textBottom = inner.Bottom - _layout.Margin * 0.25f;
        }
        var textWidth = Math.Max(1f, inner.Right - insetX - textLeft);

        var captionFont = _fonts.LowerThirdCaption;
        captionFont.GetFontMetrics(out var cm);
        var captionH = cm.Descent - cm.Ascent;
        var anyCaption = _segments.Any(s => !string.IsNullOrWhiteSpace(s.Image.Caption));
        var captionLine = anyCaption ? captionH * 1.1f : 0;

        var (titleFont, lines) = FitTitle(_story.Title.Trim(), textWidth, Math.Max(1f, textBottom - textTop - captionLine));
        using (titleFont)
        {
            // The picture's caption line never outsizes a title that had to shrink.
            if (titleFont.Size < captionFont.Size)
            {
                _lowerThirdCaptionFont = ComposeFonts.Make(_fonts.Regular, titleFont.Size);
                captionFont = _lowerThirdCaptionFont;
                captionFont.GetFontMetrics(out cm);
                captionH = cm.Descent - cm.Ascent;
                captionLine = anyCaption ? captionH * 1.1f : 0;
            }
            titleFont.GetFontMetrics(out var tm);
            var lineH = titleFont.Spacing;
            var blockH = lines.Count * lineH + captionLine;
            var top = textTop + Math.Max(0, (textBottom - textTop - blockH) / 2);
            var baseline = top + (lineH - (tm.Descent - tm.Ascent)) / 2 - tm.Ascent;
            foreach (var line in lines)
            {
                canvas.DrawText(line, textLeft, baseline, SKTextAlign.Left, titleFont, _textPaint);
                baseline += lineH;
            }
            _lowerThirdCaptionX = textLeft;
            _lowerThirdCaptionBaseline = top + lines.Count * lineH + captionH * 0.1f - cm.Ascent;
            _lowerThirdCaptionWidth = textWidth;
        }
    }

    /// <summary>The lower-third title as large as fits <paramref name="width"/>×<paramref name="height"/>: one line at
    /// the layout's title size if it can, else wrapped onto two lines, shrinking down to the minimum legible size.
    /// A title that still does not fit (only the longest titles on the narrowest outputs) keeps shrinking rather than
    /// being cut; only below 5 px, where nothing is legible anyway, is the last line shortened with an ellipsis.</summary>
    internal (SKFont Font, IReadOnlyList<string> Lines) FitTitle(string title, float width, float height)
    {
        var size = _layout.LowerThirdTitleFontSize;
        const float floor = 5f;
        while (true)
        {
            var font = ComposeFonts.Make(_fonts.Bold, size);
            var lines = TextWrap.Wrap(title, width, TextWrap.Measure(font));
            var fits = lines.Count * font.Spacing <= height + 0.5f && lines.All(l => font.MeasureText(l) <= width);
            // Two lines while the size is legible; below the minimum a third line is better than a smaller font.
            var maxLines = size > _layout.LowerThirdTitleMinFontSize + 0.01f ? 2 : 3;
            if (fits && lines.Count <= maxLines) return (font, lines);
            if (size <= floor)
            {
                var kept = lines.Take(Math.Max(1, (int)(height / font.Spacing))).ToList();
                if (kept.Count < lines.Count)
                    kept[^1] = TextWrap.Ellipsize(string.Join(" ", lines.Skip(kept.Count - 1)), width, TextWrap.Measure(font));
                return (font, kept);
            }
            font.Dispose();
            var next = size * 0.96f;
            // Stop once at the minimum itself, so the two-line rule is tried there before going smaller.
            size = size > _layout.LowerThirdTitleMinFontSize && next < _layout.LowerThirdTitleMinFontSize ? _layout.LowerThirdTitleMinFontSize : Math.Max(floor, next);
        }
    }

    /// <summary>The title, as large as fits: wrapped to the card's width, shrunk until the lines fit its
    /// height; at the smallest size the last line is shortened with an ellipsis rather than overflowing.</summary>
    private SKImage DrawTitleCard()
    {
        using var surface = SKSurface.Create(new SKImageInfo(_layout.Width, _layout.Height, SKColorType.Bgra8888, SKAlphaType.Opaque));
        var canvas = surface.Canvas;
        DrawBackdrop(canvas);
        var area = _layout.TitleCardArea;
        var title = _story.Title.Trim();

        var size = _layout.TitleCardMaxFontSize;
        SKFont font;
        IReadOnlyList<string> lines;
        float lineHeight;
        while (true)
        {
            font = ComposeFonts.Make(_fonts.Bold, size);
            lines = TextWrap.Wrap(title, area.Width, TextWrap.Measure(font));
            lineHeight = font.Spacing;
            if (lines.Count * lineHeight <= area.Height || size <= _layout.TitleCardMinFontSize) break;
            font.Dispose();
            size = Math.Max(_layout.TitleCardMinFontSize, size * 0.9f);
        }
        using (font)
        {
            var maxLines = Math.Max(1, (int)(area.Height / lineHeight));
            if (lines.Count > maxLines)
            {
                var kept = lines.Take(maxLines).ToList();
                kept[^1] = TextWrap.Ellipsize(kept[^1] + " " + lines[maxLines], area.Width, TextWrap.Measure(font));
                lines = kept;
            }
            font.GetFontMetrics(out var m);
            var blockH = lines.Count * lineHeight;
            var y = area.MidY - blockH / 2 - m.Ascent;
            foreach (var line in lines)
            {
                canvas.DrawText(line, area.MidX, y, SKTextAlign.Center, font, _textPaint);
                y += lineHeight;
            }

            using var accent = new SKPaint { Color = _look.Accent, IsAntialias = true };
            var barW = Math.Max(4f, _layout.Width * 0.12f);
            var barH = Math.Max(1f, _layout.Unit * 0.012f);
            var barY = area.MidY + blockH / 2 + _layout.Margin;
            canvas.DrawRect(SKRect.Create(area.MidX - barW / 2, barY, barW, barH), accent);

            var tag = _fonts.Tag;
            tag.GetFontMetrics(out var tm);
            var tagY = area.MidY - blockH / 2 - _layout.Margin - tm.Descent;
            if (tagY + tm.Ascent > 0)
                canvas.DrawText(_look.Tag, area.MidX, tagY, SKTextAlign.Center, tag, _greyPaint);
        }
        return surface.Snapshot();
    }

    public void Dispose()
    {
        foreach (var p in _prepared.Values) p.Dispose();
        _prepared.Clear();
        _chrome.Dispose();
        _titleCard.Dispose();
        _imagePaint.Dispose();
        _textPaint.Dispose();
        _greyPaint.Dispose();
        _lowerThirdCaptionFont?.Dispose();
        _boxPaint.Dispose();
        _layerPaint.Dispose();
        _panelClip.Dispose();
    }
}
