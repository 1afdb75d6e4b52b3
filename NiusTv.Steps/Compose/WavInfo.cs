using System.Buffers.Binary;

namespace NiusTv.Steps.Compose;

/// <summary>The parts of a RIFF/WAVE header compose needs: the exact duration decides the frame count,
/// and the sample rate lets the audio delay be given in samples rather than rounded milliseconds.</summary>
public sealed record WavInfo(int SampleRate, int Channels, int BitsPerSample, long DataBytes)
{
    public double Duration => SampleRate <= 0 || Channels <= 0 || BitsPerSample <= 0 ? 0
        : (double)DataBytes / (SampleRate * (long)Channels * (BitsPerSample / 8));

    public static WavInfo Read(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> header = stackalloc byte[12];
        if (stream.Read(header) != 12 || !header[..4].SequenceEqual("RIFF"u8) || !header[8..12].SequenceEqual("WAVE"u8))
            throw new InvalidDataException($"{Path.GetFileName(path)} is not a RIFF/WAVE file");
        int? rate = null, channels = null, bits = null;
        Span<byte> chunk = stackalloc byte[8];
        Span<byte> fmt = stackalloc byte[16];
        while (stream.Read(chunk) == 8)
        {
            var id = chunk[..4];
            long size = BinaryPrimitives.ReadUInt32LittleEndian(chunk[4..]);
            if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16 || stream.Read(fmt) != 16) break;
                channels = BinaryPrimitives.ReadUInt16LittleEndian(fmt[2..]);
                rate = (int)BinaryPrimitives.ReadUInt32LittleEndian(fmt[4..]);
                bits = BinaryPrimitives.ReadUInt16LittleEndian(fmt[14..]);
                stream.Seek(size - 16 + (size & 1), SeekOrigin.Current);
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (rate is null) break;
                // Streaming writers leave the size at 0 or 0xFFFFFFFF; the rest of the file is the data then.
                var remaining = stream.Length - stream.Position;
                if (size == 0 || size > remaining) size = remaining;
                return new WavInfo(rate.Value, channels!.Value, bits!.Value, size);
            }
            else stream.Seek(size + (size & 1), SeekOrigin.Current);
        }
        throw new InvalidDataException($"{Path.GetFileName(path)} has no fmt/data chunk");
    }
}
