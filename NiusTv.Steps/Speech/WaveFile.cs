using System.Buffers.Binary;

namespace NiusTv.Steps.Speech;

/// <summary>16-bit PCM mono audio as the speech step needs it: read from what a synthesizer wrote, written
/// as <c>speech.wav</c>. Only this one format is accepted so that every later step (compose, mux) can rely on it.</summary>
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

    public static WaveFile Read(string path) => Parse(File.ReadAllBytes(path), path);

    /// <summary>Walks the RIFF chunks instead of assuming a 44-byte header: tools are free to put LIST or
    /// fact chunks before <c>data</c>, and a wrong offset would turn header bytes into clicks.</summary>
    public static WaveFile Parse(ReadOnlySpan<byte> bytes, string name = "WAV")
    {
        if (bytes.Length < 12 || !bytes[..4].SequenceEqual("RIFF"u8) || !bytes[8..12].SequenceEqual("WAVE"u8))
            throw new InvalidDataException($"{name} is not a RIFF/WAVE file");

        int? sampleRate = null;
        int pos = 12;
        while (pos + 8 <= bytes.Length)
        {
            var id = bytes.Slice(pos, 4);
            long size = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(pos + 4, 4));
            int body = pos + 8;
            if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16 || body + 16 > bytes.Length) throw new InvalidDataException($"{name} has a truncated fmt chunk");
                var fmt = bytes.Slice(body, 16);
                int format = BinaryPrimitives.ReadUInt16LittleEndian(fmt);
                int channels = BinaryPrimitives.ReadUInt16LittleEndian(fmt[2..]);
                int rate = BinaryPrimitives.ReadInt32LittleEndian(fmt[4..]);
                int bits = BinaryPrimitives.ReadUInt16LittleEndian(fmt[14..]);
                // 0xFFFE (extensible) is accepted only because some writers use it for plain PCM as well.
                if ((format != 1 && format != 0xFFFE) || channels != 1 || bits != 16 || rate <= 0)
                    throw new InvalidDataException($"{name} is format {format}, {channels} channel(s), {bits} bit; expected 16-bit PCM mono");
                sampleRate = rate;
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (sampleRate is null) throw new InvalidDataException($"{name} has its data chunk before the fmt chunk");
                // Streaming writers leave the size at 0 or 0xFFFFFFFF; the file's end is then the truth.
                long available = bytes.Length - body;
                long length = size == 0 || size > available ? available : size;
                var data = bytes.Slice(body, (int)(length & ~1L));
                var samples = new short[data.Length / 2];
                for (int i = 0; i < samples.Length; i++)
                    samples[i] = BinaryPrimitives.ReadInt16LittleEndian(data.Slice(i * 2, 2));
                return new WaveFile(sampleRate.Value, samples);
            }
            // Chunks are word-aligned: an odd size is followed by one pad byte.
            long next = body + size + (size & 1);
            if (next > int.MaxValue) break;
            pos = (int)next;
        }
        throw new InvalidDataException($"{name} has no data chunk");
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
