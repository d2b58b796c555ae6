// ImageCodec: image files to Caffe's pixel layout and back. Decoding (JPEG, PNG, BMP,
// GIF, TGA …) uses StbImageSharp (MIT/Unlicense); pixels come out as Caffe's OpenCV-based
// tools store them: channel-major (C, H, W) uint8 in BGR order. Resizing is bilinear
// (OpenCV's default INTER_LINEAR, half-pixel centres). Encoding writes PNG, losslessly,
// with the framework's zlib.
using System.Buffers.Binary;
using System.IO.Compression;
using Omnivore.Core;
using StbImageSharp;

namespace Omnivore.Data;

public enum ColorMode { Unchanged, Color, Gray }

/// <summary>An 8-bit image in Caffe's layout: (C, H, W), BGR when C is 3.</summary>
public sealed record PixelImage(byte[] Chw, int Channels, int Height, int Width);

public static class ImageCodec
{
    public static PixelImage Decode(byte[] encoded, ColorMode mode, string what)
    {
        ImageResult img;
        try
        {
            var want = mode switch
            {
                ColorMode.Color => ColorComponents.RedGreenBlue,
                ColorMode.Gray => ColorComponents.Grey,
                _ => ColorComponents.Default,
            };
            img = ImageResult.FromMemory(encoded, want);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            throw new OmnivoreException($"{what}: cannot decode image ({e.Message})", e);
        }
        int c = img.Comp switch
        {
            ColorComponents.Grey => 1,
            ColorComponents.GreyAlpha => 1,
            ColorComponents.RedGreenBlue => 3,
            _ => 3,
        };
        int stride = img.Comp switch
        {
            ColorComponents.Grey => 1,
            ColorComponents.GreyAlpha => 2,
            ColorComponents.RedGreenBlue => 3,
            _ => 4,
        };
        int h = img.Height, w = img.Width, plane = h * w;
        var chw = new byte[c * plane];
        for (int i = 0; i < plane; i++)
        {
            if (c == 1)
            {
                chw[i] = img.Data[i * stride];
                continue;
            }
            // RGB(A) interleaved -> B, G, R planes
            chw[i] = img.Data[i * stride + 2];
            chw[plane + i] = img.Data[i * stride + 1];
            chw[2 * plane + i] = img.Data[i * stride];
        }
        return new PixelImage(chw, c, h, w);
    }

    /// <summary>Bilinear resize with half-pixel centres, as OpenCV's INTER_LINEAR.</summary>
    public static PixelImage Resize(PixelImage src, int height, int width)
    {
        if (height <= 0 || width <= 0) throw new OmnivoreException($"cannot resize to {height}x{width}");
        if (src.Height == height && src.Width == width) return src;
        var dst = new byte[src.Channels * height * width];
        double sy = (double)src.Height / height, sx = (double)src.Width / width;
        for (int y = 0; y < height; y++)
        {
            double fy = Math.Max((y + 0.5) * sy - 0.5, 0);
            int y0 = Math.Min((int)fy, src.Height - 1), y1 = Math.Min(y0 + 1, src.Height - 1);
            double wy = fy - y0;
            for (int x = 0; x < width; x++)
            {
                double fx = Math.Max((x + 0.5) * sx - 0.5, 0);
                int x0 = Math.Min((int)fx, src.Width - 1), x1 = Math.Min(x0 + 1, src.Width - 1);
                double wx = fx - x0;
                for (int c = 0; c < src.Channels; c++)
                {
                    int b = c * src.Height * src.Width;
                    double top = src.Chw[b + y0 * src.Width + x0] * (1 - wx) + src.Chw[b + y0 * src.Width + x1] * wx;
                    double bottom = src.Chw[b + y1 * src.Width + x0] * (1 - wx) + src.Chw[b + y1 * src.Width + x1] * wx;
                    dst[(c * height + y) * width + x] = (byte)Math.Clamp(Math.Round(top * (1 - wy) + bottom * wy), 0, 255);
                }
            }
        }
        return new PixelImage(dst, src.Channels, height, width);
    }

    /// <summary>Encodes as an 8-bit PNG (gray or RGB, from Caffe's BGR planes).</summary>
    public static byte[] EncodePng(PixelImage img)
    {
        int c = img.Channels, h = img.Height, w = img.Width, plane = h * w;
        if (c != 1 && c != 3) throw new OmnivoreException($"PNG encoding takes 1 or 3 channels, not {c}");
        var raw = new byte[h * (1 + w * c)];
        for (int y = 0; y < h; y++)
        {
            int row = y * (1 + w * c); // filter byte 0 (none)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                if (c == 1) raw[row + 1 + x] = img.Chw[i];
                else
                {
                    raw[row + 1 + 3 * x] = img.Chw[2 * plane + i];
                    raw[row + 2 + 3 * x] = img.Chw[plane + i];
                    raw[row + 3 + 3 * x] = img.Chw[i];
                }
            }
        }
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, w);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), h);
        header[8] = 8;
        header[9] = (byte)(c == 1 ? 0 : 2);
        WriteChunk(png, "IHDR", header);
        using (var z = new MemoryStream())
        {
            using (var zs = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true)) zs.Write(raw);
            WriteChunk(png, "IDAT", z.ToArray());
        }
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var typed = new byte[4 + data.Length];
        System.Text.Encoding.ASCII.GetBytes(type, typed);
        data.CopyTo(typed, 4);
        s.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(len, Crc32(typed));
        s.Write(len);
    }

    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }
}
