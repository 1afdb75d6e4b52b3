using NiusTv.Steps.Compose;
using NiusTv.Steps.Speech;
using SkiaSharp;
using Xunit;

namespace NiusTv.Tests.Compose;

public sealed class LayoutTests
{
    public static readonly (int W, int H)[] Sizes =
    [
        (160, 90), (90, 160), (320, 180), (1024, 512), (1280, 720), (1920, 1080), (3840, 2160),
        (1080, 1920), (2160, 3840), (1000, 1000), (160, 160), (3840, 160), (160, 3840),
    ];

    private static bool Inside(SKRectI inner, SKRectI outer) =>
        inner.Left >= outer.Left && inner.Top >= outer.Top && inner.Right <= outer.Right && inner.Bottom <= outer.Bottom;

    private static bool Overlap(SKRectI a, SKRectI b) =>
        a.Left < b.Right && b.Left < a.Right && a.Top < b.Bottom && b.Top < a.Bottom;

    [Fact]
    public void Regions_lie_in_the_frame_and_do_not_overlap()
    {
        foreach (var (w, h) in Sizes)
        {
            var l = new StoryLayout(w, h);
            var frame = new SKRectI(0, 0, w, h);
            foreach (var r in new[] { l.ImageArea, l.AnchorSlot, l.LowerThird, l.TitleCardArea })
            {
                Assert.True(Inside(r, frame), $"{w}x{h}: {r} outside the frame");
                Assert.True(r.Width > 0 && r.Height > 0, $"{w}x{h}: {r} is empty");
            }
            Assert.False(Overlap(l.ImageArea, l.AnchorSlot), $"{w}x{h}: picture overlaps the presenter slot");
            Assert.False(Overlap(l.ImageArea, l.LowerThird), $"{w}x{h}: picture overlaps the lower third");
            Assert.False(Overlap(l.AnchorSlot, l.LowerThird), $"{w}x{h}: presenter slot overlaps the lower third");
            Assert.True(Inside(l.CaptionBand, l.ImageArea), $"{w}x{h}: captions outside the picture");
            Assert.Equal(h > w, l.IsPortrait);
        }
    }

    [Theory]
    [InlineData(1024, 512)]
    [InlineData(1024, 576)]
    [InlineData(1920, 1080)]
    [InlineData(576, 1024)]
    [InlineData(1080, 1920)]
    [InlineData(720, 720)]
    [InlineData(720, 900)]
    [InlineData(1080, 1350)]
    [InlineData(320, 180)]
    public void The_widest_caption_box_stays_inside_the_safe_area(int w, int h)
    {
        var l = new StoryLayout(w, h);
        Assert.Equal(new SKRectI((int)Math.Ceiling(w * 0.05), (int)Math.Ceiling(h * 0.05), w - (int)Math.Ceiling(w * 0.05), h - (int)Math.Ceiling(h * 0.05)), l.SafeArea);
        var half = l.CaptionMaxTextWidth / 2 + l.CaptionPadding;
        var box = new SKRect(l.CaptionBand.MidX - half, l.CaptionBand.Top, l.CaptionBand.MidX + half, l.CaptionBand.Bottom);
        Assert.True(box.Left >= l.SafeArea.Left - 0.01f && box.Right <= l.SafeArea.Right + 0.01f, $"{w}x{h}: caption box {box} leaves the safe area {l.SafeArea}");
        Assert.True(box.Top >= l.SafeArea.Top && box.Bottom <= l.SafeArea.Bottom, $"{w}x{h}: caption band {box} leaves the safe area {l.SafeArea}");
        // Still room for a real line of text.
        Assert.True(l.CaptionMaxTextWidth >= l.CaptionFontSize * 8, $"{w}x{h}: captions only {l.CaptionMaxTextWidth} wide");
    }

    [Fact]
    public void Outputs_narrower_than_3_to_2_stack_the_tag_over_a_full_width_title()
    {
        Assert.False(new StoryLayout(1024, 576).LowerThirdStacked);
        Assert.False(new StoryLayout(1024, 512).LowerThirdStacked);
        Assert.True(new StoryLayout(576, 1024).LowerThirdStacked);
        Assert.True(new StoryLayout(720, 720).LowerThirdStacked);
        Assert.True(new StoryLayout(720, 900).LowerThirdStacked);
        // The landscape band (and with it the presenter slot the render step draws at) is as before.
        Assert.Equal((304, 406), (new StoryLayout(1024, 512).AnchorSlot.Width, new StoryLayout(1024, 512).AnchorSlot.Height));
    }

    [Fact]
    public void Presenter_slot_is_a_side_column_on_landscape_and_a_band_on_portrait()
    {
        var wide = new StoryLayout(1920, 1080);
        Assert.Equal(1920, wide.AnchorSlot.Right);
        Assert.True(wide.AnchorSlot.Left >= wide.ImageArea.Right);
        var tall = new StoryLayout(1080, 1920);
        Assert.Equal(1080, tall.AnchorSlot.Width);
        Assert.True(tall.AnchorSlot.Top >= tall.ImageArea.Bottom);
    }

    [Fact]
    public void Fonts_scale_with_the_output()
    {
        Assert.True(new StoryLayout(3840, 2160).CaptionFontSize > 3 * new StoryLayout(1024, 512).CaptionFontSize);
        Assert.True(new StoryLayout(1080, 1920).CaptionFontSize > new StoryLayout(540, 960).CaptionFontSize);
    }

    [Fact]
    public void Fitted_image_keeps_its_aspect_ratio_and_lies_within_the_image_area()
    {
        var aspects = new (int W, int H)[] { (640, 480), (1800, 240), (240, 1100), (1280, 720), (1, 1), (10000, 7), (7, 10000) };
        foreach (var (w, h) in Sizes)
        {
            var layout = new StoryLayout(w, h);
            var area = SKRect.Create(layout.ImageArea.Left, layout.ImageArea.Top, layout.ImageArea.Width, layout.ImageArea.Height);
            foreach (var (iw, ih) in aspects)
            {
                var fit = StoryLayout.FitInside(iw, ih, area);
                const float eps = 0.01f;
                Assert.True(fit.Left >= area.Left - eps && fit.Top >= area.Top - eps && fit.Right <= area.Right + eps && fit.Bottom <= area.Bottom + eps,
                    $"{iw}x{ih} in {w}x{h}: {fit} not within {area}");
                Assert.Equal((double)iw / ih, fit.Width / fit.Height, (double)iw / ih * 0.001);
                // Fills one dimension: letterboxed, not shrunk more than needed.
                Assert.True(Math.Abs(fit.Width - area.Width) < 0.01 || Math.Abs(fit.Height - area.Height) < 0.01);
            }
        }
    }

    [Fact]
    public void Caption_lines_never_exceed_the_frame_even_with_a_very_long_word()
    {
        var paragraph = "The committee, chaired by Dr. Ngozi Okonjo-Iweala, announced on Tuesday that " +
            "LlanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogochLlanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch " +
            "would receive $1,250,000 for flood defences by 2027, citing https://example.org/a/very/long/path/that/never/ends/at/all/whatsoever.";
        foreach (var (w, h) in Sizes)
        {
            var layout = new StoryLayout(w, h);
            using var fonts = new ComposeFonts(new ComposeOptions(), layout);
            var lines = TextWrap.WrapTokens(TextWrap.Tokenize(paragraph), layout.CaptionMaxTextWidth, TextWrap.Measure(fonts.Caption));
            Assert.NotEmpty(lines);
            Assert.Equal(paragraph.Replace(" ", ""), string.Concat(lines.Select(l => l.Text.Replace(" ", ""))));
            foreach (var line in lines)
            {
                var width = fonts.Caption.MeasureText(line.Text);
                var fits = width <= layout.CaptionMaxTextWidth + 0.01f;
                // The one exception TextWrap allows: a single glyph wider than the whole line.
                Assert.True(fits || line.Text.Length == 1, $"{w}x{h}: '{line.Text}' is {width} px, max {layout.CaptionMaxTextWidth}");
                Assert.True(width + 2 * layout.CaptionPadding <= w, $"{w}x{h}: caption box wider than the frame");
            }
        }
    }

    [Fact]
    public void Ellipsize_fits_and_keeps_short_text()
    {
        Func<string, float> measure = s => s.Length * 10f;
        Assert.Equal("short", TextWrap.Ellipsize("short", 100, measure));
        var cut = TextWrap.Ellipsize("a rather long lower third title", 100, measure);
        Assert.EndsWith("…", cut);
        Assert.True(measure(cut) <= 100);
    }

    [Fact]
    public void Caption_cues_show_one_line_at_a_time_in_order()
    {
        using var ws = new SyntheticWorkspace(320, 180, 24);
        var layout = new StoryLayout(320, 180);
        using var fonts = new ComposeFonts(new ComposeOptions(), layout);
        var timings = SyntheticWorkspace.BuildTimings(3.0);
        var track = CaptionTrack.Build(ws.Story, timings, TextWrap.Measure(fonts.Caption), layout.CaptionMaxTextWidth, 2.0, 5.0);
        Assert.True(track.Cues.Count >= 4);
        for (var n = 0; n + 1 < track.Cues.Count; n++)
        {
            Assert.True(track.Cues[n].End <= track.Cues[n + 1].Start + 1e-9, "two lines on screen at once");
            Assert.True(track.Cues[n].Start <= track.Cues[n].End);
        }
        Assert.Null(track.At(1.0)); // title card
        Assert.StartsWith("Dr.", track.At(2.0 + 0.11)!.Text);
        Assert.Equal(track.Cues[^1], track.At(4.99));
        Assert.Equal(1, track.Cues[^1].Paragraph);
    }
}
