using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MaceScf.Tests.Driver;

/// The server side of the i-PI protocol on 127.0.0.1 (an ephemeral port), written from the protocol description and ASE's
/// socketio.py independently of MaceScf.Driver: h = cellᵀ sent row-major, Bohr and Hartree (CODATA 2014 as in ase.units).
public sealed class FakeIpiServer : IDisposable
{
    public const double Bohr = 0.5291772105638411, Hartree = 27.211386024367243;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private Socket? _client;
    private NetworkStream? _stream;

    public FakeIpiServer() => _listener.Start();

    public string Address => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// Waits for <paramref name="driver"/> to connect: fails (instead of hanging) when it ends first, showing its result, or
    /// after a minute.
    public void Accept(Task driver)
    {
        var accept = _listener.AcceptSocketAsync();
        int first = Task.WaitAny(new Task[] { accept, driver }, TimeSpan.FromMinutes(1));
        if (first != 0)
            throw new InvalidOperationException(first < 0 ? "no driver connected within a minute" : $"the driver ended before connecting: {Describe(driver)}");
        _client = accept.Result;
        _client.ReceiveTimeout = 60_000;
        _stream = new NetworkStream(_client);
    }

    /// Accepts <paramref name="driver"/> and takes it through the handshake: NEEDINIT, INIT, READY.
    public void Handshake(Task driver)
    {
        Accept(driver);
        Xunit.Assert.Equal("NEEDINIT", Status());
        Init();
        Xunit.Assert.Equal("READY", Status());
    }

    /// One force evaluation: POSDATA, HAVEDATA, GETFORCE.
    public (double Energy, double[,] Forces, double[,] Virial) Step(double[,] cell, double[,] positions)
    {
        PosData(cell, positions);
        Xunit.Assert.Equal("HAVEDATA", Status());
        return GetForce();
    }

    private NetworkStream Stream => _stream ?? throw new InvalidOperationException("no client yet");

    public void Send(string header) => Stream.Write(Encoding.ASCII.GetBytes(header.PadRight(12)));

    public string Receive()
    {
        var bytes = new byte[12];
        Stream.ReadExactly(bytes);
        return Encoding.ASCII.GetString(bytes).TrimEnd();
    }

    public string Status()
    {
        Send("STATUS");
        return Receive();
    }

    public void Init()
    {
        Send("INIT");
        Write(BitConverter.GetBytes(0), BitConverter.GetBytes(1), [0]);
    }

    /// <param name="cell">rows are lattice vectors (Å)</param>
    public void PosData(double[,] cell, double[,] positions)
    {
        Send("POSDATA");
        var h = new double[9];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) h[3 * i + j] = cell[j, i] / Bohr;
        Write(Doubles(h), Doubles(new double[9]), BitConverter.GetBytes(positions.GetLength(0)),
            Doubles(positions.Cast<double>().Select(x => x / Bohr)));
    }

    /// A POSDATA message as given, unchecked: a cell h (Bohr, row-major as on the wire), a claimed atom count and the positions
    /// actually sent (Bohr), for servers that send malformed data.
    public void RawPosData(double[] h, int atomCount, double[] positions)
    {
        Send("POSDATA");
        Write(Doubles(h), Doubles(new double[9]), BitConverter.GetBytes(atomCount), Doubles(positions));
    }

    public void RawBytes(params byte[][] parts) => Write(parts);

    /// The extras string of the last FORCEREADY reply.
    public string LastExtras { get; private set; } = "";

    /// GETFORCE and the reply in eV, eV/Å and eV (virial, as a matrix).
    public (double Energy, double[,] Forces, double[,] Virial) GetForce()
    {
        Send("GETFORCE");
        Assert.Equal("FORCEREADY", Receive());
        double energy = ReadDoubles(1)[0] * Hartree;
        int n = BitConverter.ToInt32(Read(4));
        var f = ReadDoubles(3 * n);
        var forces = new double[n, 3];
        for (int a = 0; a < n; a++)
            for (int k = 0; k < 3; k++) forces[a, k] = f[3 * a + k] * Hartree / Bohr;
        var v = ReadDoubles(9);
        var virial = new double[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) virial[i, j] = v[3 * j + i] * Hartree;
        int extra = BitConverter.ToInt32(Read(4));
        LastExtras = Encoding.UTF8.GetString(Read(extra));
        return (energy, forces, virial);
    }

    /// True when the client closed the connection (reads end of stream).
    public bool ClientClosed()
    {
        try
        {
            return Stream.Read(new byte[1]) == 0;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private static string Describe(Task driver) => driver.IsFaulted ? driver.Exception!.ToString()
        : driver.GetType().GetProperty("Result")?.GetValue(driver)?.ToString() ?? "no result";

    private void Write(params byte[][] parts)
    {
        foreach (var p in parts) Stream.Write(p);
    }

    private static byte[] Doubles(IEnumerable<double> values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    private byte[] Read(int count)
    {
        var bytes = new byte[count];
        Stream.ReadExactly(bytes);
        return bytes;
    }

    private double[] ReadDoubles(int count)
    {
        var bytes = Read(8 * count);
        return Enumerable.Range(0, count).Select(i => BitConverter.ToDouble(bytes, 8 * i)).ToArray();
    }

    public void Dispose()
    {
        _stream?.Dispose();
        _client?.Dispose();
        _listener.Stop();
    }
}
