using System.Buffers.Binary;
using System.Text;

namespace MaceScf.Driver;

/// The framing of the i-PI socket protocol: 12-byte ASCII message headers padded with spaces, then raw little-endian
/// int32 and float64 values (i-PI and ASE send their machine's native order, little-endian on every supported platform).
internal sealed class IpiStream(Stream stream)
{
    public const int HeaderLength = 12;

    /// The next header without its padding, or null when the peer closed the connection before sending one (ASE's
    /// SocketIOCalculator closes without EXIT).
    public string? ReadHeader()
    {
        var bytes = new byte[HeaderLength];
        int first = stream.Read(bytes, 0, HeaderLength);
        if (first == 0) return null;
        stream.ReadExactly(bytes, first, HeaderLength - first);
        return Encoding.ASCII.GetString(bytes).TrimEnd(' ', '\0');
    }

    public void WriteHeader(string header)
    {
        if (header.Length > HeaderLength) throw new ArgumentException($"an i-PI header has at most {HeaderLength} characters: '{header}'");
        stream.Write(Encoding.ASCII.GetBytes(header.PadRight(HeaderLength)));
    }

    public int ReadInt32()
    {
        Span<byte> bytes = stackalloc byte[4];
        stream.ReadExactly(bytes);
        return BinaryPrimitives.ReadInt32LittleEndian(bytes);
    }

    public double[] ReadDoubles(int count)
    {
        var bytes = ReadBytes(checked(8 * count));
        var values = new double[count];
        for (int i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(8 * i));
        return values;
    }

    public byte[] ReadBytes(int count)
    {
        var bytes = new byte[count];
        stream.ReadExactly(bytes);
        return bytes;
    }

    public void WriteInt32(int value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        stream.Write(bytes);
    }

    public void WriteDoubles(IReadOnlyList<double> values)
    {
        var bytes = new byte[8 * values.Count];
        for (int i = 0; i < values.Count; i++) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(8 * i), values[i]);
        stream.Write(bytes);
    }

    public void WriteBytes(byte[] bytes) => stream.Write(bytes);

    public void Flush() => stream.Flush();
}
