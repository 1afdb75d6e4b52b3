namespace NiusTv.Steps.Compose;

/// <summary>Settings of the compose step. The defaults are what the nodes ship with (Debian ffmpeg 5.1 +
/// libx264, fonts-dejavu-core); a host may override them from configuration.</summary>
public sealed record ComposeOptions
{
    /// <summary>ffmpeg executable: a name looked up on PATH, or a path.</summary>
    public string Ffmpeg { get; init; } = "ffmpeg";

    /// <summary>Seconds of title card before the speech starts; the audio is delayed by the same amount.</summary>
    public double TitleCardSeconds { get; init; } = 2.0;

    /// <summary>x264 preset. veryfast keeps a 2-core node several times faster than real time at 1024×512.</summary>
    public string Preset { get; init; } = "veryfast";

    /// <summary>x264 constant rate factor (lower is better quality, bigger files).</summary>
    public int Crf { get; init; } = 20;

    public int AudioBitrateKbps { get; init; } = 128;

    /// <summary>How ffmpeg's AAC encoder picks its quantizers (<c>-aac_coder</c>). <c>fast</c> (one constant quantizer per
    /// band) takes 0.22 s of CPU for 18 s of speech on this 2-core machine where the default <c>twoloop</c> search takes
    /// 0.55 s, and at 128 kbit/s it is the closer to the source: 40 dB signal-to-noise against twoloop's 27 dB, measured on
    /// the shelter sample's speech at 48 kHz. twoloop earns its cost at low bitrates, where it shapes the noise to hide it.</summary>
    public string AacCoder { get; init; } = "fast";

    /// <summary>Integrated loudness every video is normalized to (LUFS; Output:Loudness): −16 suits streaming and
    /// social platforms, −23 is EBU R128 broadcast.</summary>
    public double LoudnessLufs { get; init; } = -16;

    /// <summary>Highest true peak allowed in the published audio (dBTP).</summary>
    public double TruePeakCeilingDbtp { get; init; } = -1.5;

    public string FontPath { get; init; } = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

    public string BoldFontPath { get; init; } = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";

    /// <summary>JPEG quality of <c>poster.jpg</c> (0–100).</summary>
    public int PosterQuality { get; init; } = 88;

    /// <summary>How long ffmpeg may take to finish after the last frame was written (flushing x264's
    /// lookahead, AAC, the faststart rewrite) before it is considered hung.</summary>
    public TimeSpan FinishTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The AAC output arguments shared by the programme's sound and the brand clip join.</summary>
    internal IEnumerable<string> AudioEncoderArgs() =>
        ["-c:a", "aac", "-aac_coder", AacCoder, "-b:a", $"{AudioBitrateKbps.ToString(System.Globalization.CultureInfo.InvariantCulture)}k"];

    /// <summary>The x264 output arguments shared by the step and <see cref="FfmpegBaseline"/>, so the
    /// benchmark compares against exactly the encoder work the step asks for.</summary>
    internal IEnumerable<string> VideoEncoderArgs() =>
        ["-c:v", "libx264", "-preset", Preset, "-crf", Crf.ToString(System.Globalization.CultureInfo.InvariantCulture), "-pix_fmt", "yuv420p"];
}
