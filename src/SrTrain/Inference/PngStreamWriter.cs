using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;
using SrTrain.Interop;

namespace SrTrain.Inference;

/// <summary>Writes an upscale's output as PNG, compressing row by row straight into 64 KB IDAT chunks. ImageSharp 2's
/// encoder first deflates the whole image into a MemoryStream and then copies that out (about three times the file's
/// size in memory: 0.7 GB for a 16000x16000 output), which is what upscaling a large photo must not cost.
/// Every row is Paeth-filtered (the filter that suits photos best on its own).</summary>
internal static class PngStreamWriter
{
    const int ChunkBytes = 1 << 16;

    /// <summary>Writes <paramref name="image"/> (L8, L16, La16, La32, Rgb24, Rgb48, Rgba32 or Rgba64) to
    /// <paramref name="path"/> in the PNG colour type and bit depth of its pixels.</summary>
    public static void Save(Image image, string path)
    {
        var (colourType, channels, sixteen) = image switch
        {
            Image<L8> => (0, 1, false),
            Image<L16> => (0, 1, true),
            Image<La16> => (4, 2, false),
            Image<La32> => (4, 2, true),
            Image<Rgb24> => (2, 3, false),
            Image<Rgb48> => (2, 3, true),
            Image<Rgba32> => (6, 4, false),
            Image<Rgba64> => (6, 4, true),
            _ => throw new ArgumentException($"no PNG layout for {image.GetType().Name}", nameof(image)),
        };
        int bpp = channels * (sixteen ? 2 : 1), rowBytes = image.Width * bpp;
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        file.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), image.Height);
        header[8] = (byte)(sixteen ? 16 : 8);
        header[9] = (byte)colourType;
        WriteChunk(file, "IHDR", header);
        using (var idat = new IdatStream(file))
        using (var zlib = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true))
        {
            var previous = new byte[rowBytes];
            var current = new byte[rowBytes];
            var filtered = new byte[rowBytes + 1];
            for (int y = 0; y < image.Height; y++)
            {
                RowBytes(image, y, current);
                if (sixteen) SwapToBigEndian(current);
                filtered[0] = 4; // Paeth
                for (int i = 0; i < rowBytes; i++)
                {
                    int a = i >= bpp ? current[i - bpp] : 0, b = previous[i], c = i >= bpp ? previous[i - bpp] : 0;
                    filtered[i + 1] = (byte)(current[i] - Paeth(a, b, c));
                }
                zlib.Write(filtered);
                (previous, current) = (current, previous);
            }
        }
        WriteChunk(file, "IEND", []);
    }

    static void RowBytes(Image image, int y, byte[] destination)
    {
        switch (image)
        {
            case Image<L8> i: Copy(i, y, destination); break;
            case Image<L16> i: Copy(i, y, destination); break;
            case Image<La16> i: Copy(i, y, destination); break;
            case Image<La32> i: Copy(i, y, destination); break;
            case Image<Rgb24> i: Copy(i, y, destination); break;
            case Image<Rgb48> i: Copy(i, y, destination); break;
            case Image<Rgba32> i: Copy(i, y, destination); break;
            case Image<Rgba64> i: Copy(i, y, destination); break;
        }
    }

    // These pixel types are laid out as their channels in PNG order (16-bit ones little-endian in memory).
    static void Copy<T>(Image<T> image, int y, byte[] destination) where T : unmanaged, IPixel<T> =>
        MemoryMarshal.AsBytes(image.DangerousGetPixelRowMemory(y).Span).CopyTo(destination);

    static void SwapToBigEndian(byte[] row)
    {
        for (int i = 0; i + 1 < row.Length; i += 2) (row[i], row[i + 1]) = (row[i + 1], row[i]);
    }

    static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    static void WriteChunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        var chunk = new byte[8 + data.Length + 4];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        for (int i = 0; i < 4; i++) chunk[4 + i] = (byte)type[i];
        data.CopyTo(chunk.AsSpan(8));
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32.Compute(chunk.AsSpan(4, 4 + data.Length)));
        s.Write(chunk);
    }

    /// <summary>The zlib stream's bytes, cut into IDAT chunks as they come.</summary>
    sealed class IdatStream(Stream file) : Stream
    {
        readonly byte[] _buffer = new byte[ChunkBytes];
        int _count;

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> data)
        {
            while (!data.IsEmpty)
            {
                int n = Math.Min(data.Length, ChunkBytes - _count);
                data[..n].CopyTo(_buffer.AsSpan(_count));
                _count += n;
                data = data[n..];
                if (_count == ChunkBytes) Flush();
            }
        }

        public override void Flush()
        {
            if (_count == 0) return;
            WriteChunk(file, "IDAT", _buffer.AsSpan(0, _count));
            _count = 0;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) Flush();
            base.Dispose(disposing);
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
