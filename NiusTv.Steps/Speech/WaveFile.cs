using System.Buffers.Binary;

namespace NiusTv.Steps.Speech;

/// <summary>16-bit PCM mono audio as the speech step needs it: read from what a synthesizer wrote, written
/// as <c>speech.wav</c>. Only this one format is accepted so that every later step (compose, mux) can rely on it.
/// The header is read by <see cref="WavInfo"/>, the one RIFF reader of the project.</summary>
public sealed class WaveFile
{
    public int SampleRate { get; }
    public short[] Samples { get; }

    public WaveFile(int sampleRate, short[] samples)
    {
        if (sampleRate <= 0) throw new ArgumentOutOfRangeException(nameof(sampleRate));
        SampleRate = sampleRate;
        Samples = samples;
    }

    public double Duration => (double)Samples.Length / SampleRate;

    public static WaveFile Read(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    public static WaveFile Parse(ReadOnlySpan<byte> bytes, string name = "WAV")
    {
        using var stream = new MemoryStream(bytes.ToArray(), writable: false);
        return Read(stream, name);
    }

    /// <summary>Only 16-bit PCM mono, so that every later step (compose, mux) can rely on it.</summary>
    private static WaveFile Read(Stream stream, string name)
    {
        var info = WavInfo.ReadHeader(stream, name);
        // 0xFFFE (extensible) is accepted only because some writers use it for plain PCM as well.
        if ((info.Format != 1 && info.Format != 0xFFFE) || info.Channels != 1 || info.BitsPerSample != 16 || info.SampleRate <= 0)
            throw new InvalidDataException($"{name} is format {info.Format}, {info.Channels} channel(s), {info.BitsPerSample} bit; expected 16-bit PCM mono");
        var data = new byte[info.DataBytes & ~1L];
        stream.ReadExactly(data);
        var samples = new short[data.Length / 2];
        for (int i = 0; i < samples.Length; i++)
            samples[i] = BinaryPrimitives.ReadInt16LittleEndian(data.AsSpan(i * 2, 2));
        return new WaveFile(info.SampleRate, samples);
    }

    public void Write(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        Write(stream);
        stream.Flush(flushToDisk: true);
    }

    public void Write(Stream stream)
    {
        long dataBytes = (long)Samples.Length * 2;
        if (dataBytes + 36 > uint.MaxValue) throw new InvalidOperationException("audio too long for a WAV file");
        Span<byte> header = stackalloc byte[44];
        "RIFF"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)(36 + dataBytes));
        "WAVE"u8.CopyTo(header[8..]);
        "fmt "u8.CopyTo(header[12..]);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 16);
        BinaryPrimitives.WriteUInt16LittleEndian(header[20..], 1);
        BinaryPrimitives.WriteUInt16LittleEndian(header[22..], 1);
        BinaryPrimitives.WriteInt32LittleEndian(header[24..], SampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(header[28..], SampleRate * 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[32..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[34..], 16);
        "data"u8.CopyTo(header[36..]);
        BinaryPrimitives.WriteUInt32LittleEndian(header[40..], (uint)dataBytes);
        stream.Write(header);

        var buffer = new byte[64 * 1024];
        int filled = 0;
        foreach (var s in Samples)
        {
            BinaryPrimitives.WriteInt16LittleEndian(buffer.AsSpan(filled), s);
            filled += 2;
            if (filled == buffer.Length) { stream.Write(buffer, 0, filled); filled = 0; }
        }
        stream.Write(buffer, 0, filled);
    }
}

/// <summary>What a RIFF/WAVE header says, without reading the samples: compose's exact duration decides the frame
/// count, and the sample rate lets the audio delay be given in samples rather than rounded milliseconds.</summary>
/// <param name="Format">the fmt chunk's format tag: 1 is PCM, 0xFFFE extensible.</param>
public sealed record WavInfo(int SampleRate, int Channels, int BitsPerSample, long DataBytes, int Format = 1)
{
    public double Duration => SampleRate <= 0 || Channels <= 0 || BitsPerSample <= 0 ? 0
        : (double)DataBytes / (SampleRate * (long)Channels * (BitsPerSample / 8));

    public static WavInfo Read(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadHeader(stream, Path.GetFileName(path));
    }

    /// <summary>Walks the RIFF chunks instead of assuming a 44-byte header: tools are free to put LIST or fact
    /// chunks before <c>data</c>, and a wrong offset would turn header bytes into clicks. Leaves
    /// <paramref name="stream"/> at the first byte of the data.</summary>
    public static WavInfo ReadHeader(Stream stream, string name)
    {
        Span<byte> header = stackalloc byte[12];
        if (stream.ReadAtLeast(header, 12, throwOnEndOfStream: false) != 12 || !header[..4].SequenceEqual("RIFF"u8) || !header[8..12].SequenceEqual("WAVE"u8))
            throw new InvalidDataException($"{name} is not a RIFF/WAVE file");
        int? rate = null, channels = null, bits = null, format = null;
        Span<byte> chunk = stackalloc byte[8];
        Span<byte> fmt = stackalloc byte[16];
        while (stream.ReadAtLeast(chunk, 8, throwOnEndOfStream: false) == 8)
        {
            var id = chunk[..4];
            long size = BinaryPrimitives.ReadUInt32LittleEndian(chunk[4..]);
            if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16 || stream.ReadAtLeast(fmt, 16, throwOnEndOfStream: false) != 16)
                    throw new InvalidDataException($"{name} has a truncated fmt chunk");
                format = BinaryPrimitives.ReadUInt16LittleEndian(fmt);
                channels = BinaryPrimitives.ReadUInt16LittleEndian(fmt[2..]);
                rate = BinaryPrimitives.ReadInt32LittleEndian(fmt[4..]);
                bits = BinaryPrimitives.ReadUInt16LittleEndian(fmt[14..]);
                stream.Seek(size - 16 + (size & 1), SeekOrigin.Current);
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (rate is null) throw new InvalidDataException($"{name} has its data chunk before the fmt chunk");
                // Streaming writers leave the size at 0 or 0xFFFFFFFF; the rest of the file is the data then.
                var remaining = stream.Length - stream.Position;
                if (size == 0 || size > remaining) size = remaining;
                return new WavInfo(rate.Value, channels!.Value, bits!.Value, size, format!.Value);
            }
            // Chunks are word-aligned: an odd size is followed by one pad byte.
            else stream.Seek(size + (size & 1), SeekOrigin.Current);
        }
        throw new InvalidDataException($"{name} has no data chunk");
    }
}
