using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;

namespace SrTrain.Inference;

/// <summary>The output image of an upscale at its final bit depth (1 to 8 bytes a pixel), filled a band of rows at a
/// time from levels (integers already clamped to 0..255 or 0..65535): the colour first, then, for images with
/// transparency, the alpha. Nothing of the whole output is ever float.</summary>
internal sealed class UpscaleCanvas : IDisposable
{
    readonly bool _grey, _alpha, _sixteen;

    public UpscaleCanvas(int width, int height, bool grey, bool alpha, bool sixteen)
    {
        _grey = grey;
        _alpha = alpha;
        _sixteen = sixteen;
        Image = (grey, alpha, sixteen) switch
        {
            (true, false, false) => new Image<L8>(width, height),
            (true, false, true) => new Image<L16>(width, height),
            (true, true, false) => new Image<La16>(width, height),
            (true, true, true) => new Image<La32>(width, height),
            (false, false, false) => new Image<Rgb24>(width, height),
            (false, false, true) => new Image<Rgb48>(width, height),
            (false, true, false) => new Image<Rgba32>(width, height),
            (false, true, true) => (Image)new Image<Rgba64>(width, height),
        };
    }

    public Image Image { get; }

    /// <summary>Sets the colour of <c>levels.Length / (planes·width)</c> rows from <paramref name="firstRow"/>:
    /// planar levels, one plane (grey) or three (R, G, B).</summary>
    public void SetColour(long firstRow, int[] levels)
    {
        int w = Image.Width, planes = _grey ? 1 : 3, rows = levels.Length / (planes * w), plane = rows * w;
        switch (Image)
        {
            case Image<L8> i: Rows(i, firstRow, rows, (span, o) => { for (int x = 0; x < w; x++) span[x].PackedValue = (byte)levels[o + x]; }); break;
            case Image<L16> i: Rows(i, firstRow, rows, (span, o) => { for (int x = 0; x < w; x++) span[x].PackedValue = (ushort)levels[o + x]; }); break;
            case Image<La16> i: Rows(i, firstRow, rows, (span, o) => { for (int x = 0; x < w; x++) span[x].L = (byte)levels[o + x]; }); break;
            case Image<La32> i: Rows(i, firstRow, rows, (span, o) => { for (int x = 0; x < w; x++) span[x].L = (ushort)levels[o + x]; }); break;
            case Image<Rgb24> i:
                Rows(i, firstRow, rows, (span, o) =>
                {
                    for (int x = 0; x < w; x++) span[x] = new Rgb24((byte)levels[o + x], (byte)levels[plane + o + x], (byte)levels[2 * plane + o + x]);
                });
                break;
            case Image<Rgb48> i:
                Rows(i, firstRow, rows, (span, o) =>
                {
                    for (int x = 0; x < w; x++) span[x] = new Rgb48((ushort)levels[o + x], (ushort)levels[plane + o + x], (ushort)levels[2 * plane + o + x]);
                });
                break;
            case Image<Rgba32> i:
                Rows(i, firstRow, rows, (span, o) =>
                {
                    for (int x = 0; x < w; x++)
                    {
                        ref var p = ref span[x];
                        p.R = (byte)levels[o + x]; p.G = (byte)levels[plane + o + x]; p.B = (byte)levels[2 * plane + o + x];
                    }
                });
                break;
            case Image<Rgba64> i:
                Rows(i, firstRow, rows, (span, o) =>
                {
                    for (int x = 0; x < w; x++)
                    {
                        ref var p = ref span[x];
                        p.R = (ushort)levels[o + x]; p.G = (ushort)levels[plane + o + x]; p.B = (ushort)levels[2 * plane + o + x];
                    }
                });
                break;
        }
    }

    /// <summary>Sets the alpha of <c>levels.Length / width</c> rows from <paramref name="firstRow"/>.</summary>
    public void SetAlpha(long firstRow, int[] levels)
    {
        if (!_alpha) throw new InvalidOperationException("the canvas has no alpha channel");
        int w = Image.Width, rows = levels.Length / w;
        switch (Image)
        {
            case Image<La16> i: Rows(i, firstRow, rows, (span, o) => { for (int x = 0; x < w; x++) span[x].A = (byte)levels[o + x]; }); break;
            case Image<La32> i: Rows(i, firstRow, rows, (span, o) => { for (int x = 0; x < w; x++) span[x].A = (ushort)levels[o + x]; }); break;
            case Image<Rgba32> i: Rows(i, firstRow, rows, (span, o) => { for (int x = 0; x < w; x++) span[x].A = (byte)levels[o + x]; }); break;
            case Image<Rgba64> i: Rows(i, firstRow, rows, (span, o) => { for (int x = 0; x < w; x++) span[x].A = (ushort)levels[o + x]; }); break;
        }
    }

    /// <summary>Highest level of a channel: 255, or 65535 for 16-bit output.</summary>
    public int MaxLevel => _sixteen ? 65535 : 255;

    delegate void RowAction<T>(Span<T> row, int offset);

    static void Rows<T>(Image<T> image, long firstRow, int rows, RowAction<T> set) where T : unmanaged, IPixel<T>
    {
        int w = image.Width;
        for (int y = 0; y < rows; y++) set(image.DangerousGetPixelRowMemory((int)firstRow + y).Span, y * w);
    }

    public void Dispose() => Image.Dispose();
}
