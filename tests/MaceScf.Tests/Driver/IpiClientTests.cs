using MaceScf.Driver;

namespace MaceScf.Tests.Driver;

/// The i-PI protocol of <see cref="IpiClient"/> against a fake server: handshake, units, cell and virial layout, EXIT.
public sealed class IpiClientTests
{
    private static readonly double[,] Cell = { { 5.0, 0.0, 0.0 }, { 1.0, 6.0, 0.0 }, { 0.5, -0.7, 7.0 } };
    private static readonly double[,] Positions = { { 0.1, 0.2, 0.3 }, { 1.5, -2.5, 3.25 } };

    [Fact]
    public async Task HandshakeUnitsAndLayoutFollowTheProtocol()
    {
        using var server = new FakeIpiServer();
        var received = new List<IpiGeometry>();
        // An asymmetric virial shows whether it is transposed on the wire.
        var virial = new double[,] { { 1.0, 2.0, 3.0 }, { 4.0, 5.0, 6.0 }, { 7.0, 8.0, 9.0 } };
        var forces = new double[,] { { 0.5, -1.0, 2.0 }, { -0.5, 1.0, -2.0 } };
        var client = Task.Run(() =>
        {
            using var stream = IpiEndpoint.ConnectInet(server.Address);
            return new IpiClient(stream).Run(g =>
            {
                received.Add(g);
                return new IpiResult(-3.5 * received.Count, forces, virial);
            });
        });
        server.Handshake(client);
        for (int step = 1; step <= 2; step++)
        {
            var (energy, f, v) = server.Step(Cell, Positions);
            Assert.Equal("READY", server.Status());
            Assert.Equal(-3.5 * step, energy, 12);
            AssertClose(forces, f, 1e-12);
            AssertClose(virial, v, 1e-12);
        }
        server.Send("EXIT");
        Assert.Equal(2, await client.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.All(received, g =>
        {
            AssertClose(Cell, g.Cell, 1e-12);
            AssertClose(Positions, g.Positions, 1e-12);
        });
    }

    [Fact]
    public async Task ServerClosingBetweenMessagesEndsTheRun()
    {
        using var server = new FakeIpiServer();
        var client = Task.Run(() =>
        {
            using var stream = IpiEndpoint.ConnectInet(server.Address);
            return new IpiClient(stream).Run(_ => throw new InvalidOperationException("no structure was sent"));
        });
        server.Accept(client);
        Assert.Equal("NEEDINIT", server.Status());
        server.Dispose();
        Assert.Equal(0, await client.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task ProtocolErrorsAreNamed()
    {
        foreach (var (send, message) in new[] { ("HELLO", "unknown i-PI message 'HELLO'"), ("GETFORCE", "GETFORCE) before sending positions") })
        {
            using var server = new FakeIpiServer();
            var client = Task.Run(() =>
            {
                using var stream = IpiEndpoint.ConnectInet(server.Address);
                return new IpiClient(stream).Run(_ => throw new InvalidOperationException("no structure was sent"));
            });
            server.Accept(client);
            server.Send(send);
            var error = await Assert.ThrowsAsync<InvalidDataException>(() => client.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains(message, error.Message);
        }
    }

    private static readonly double[] CubeH = [20, 0, 0, 0, 20, 0, 0, 0, 20];
    private static readonly double[] TwoAtoms = [0.1, 0.2, 0.3, 1.5, -2.5, 3.25];

    public static TheoryData<double[], int, double[], int?, string> MalformedPositions => new()
    {
        // The message claiming 10^9 atoms: refused before anything is allocated, with and without an expected count.
        { CubeH, 1_000_000_000, TwoAtoms, null, "the i-PI server sent a structure of 1000000000 atoms (step 0; expected 0 to" },
        { CubeH, 1_000_000_000, TwoAtoms, 2, "from the i-PI server (step 0): the server sent 1000000000 atoms, the driven system has 2" },
        { CubeH, -5, TwoAtoms, null, "structure of -5 atoms" },
        { CubeH, 3, [.. TwoAtoms, 1, 1, 1], 2, "the server sent 3 atoms, the driven system has 2" },
        { CubeH, 2, [0.1, 0.2, 0.3, double.NaN, 0, 0], 2, "non-finite position for atom 1 (step 0)" },
        { CubeH, 2, [0.1, double.PositiveInfinity, 0.3, 1, 0, 0], 2, "non-finite position for atom 0" },
        { [20, 0, 0, 0, 20, 0, 0, 0, double.NaN], 2, TwoAtoms, 2, "cell with non-finite entries" },
        { [20, 0, 0, 0, -20, 0, 0, 0, 20], 2, TwoAtoms, 2, "cell of volume" },
        { [20, 0, 0, 0, 20, 0, 0, 0, 20], 2, [0.1, 0.2], 2, "closed the connection in the middle of a POSDATA message" },
    };

    [Theory]
    [MemberData(nameof(MalformedPositions))]
    public async Task MalformedPositionsFromTheServerAreRefusedNamingTheServer(double[] h, int atoms, double[] positions, int? expected, string message)
    {
        using var server = new FakeIpiServer();
        int computed = 0;
        var client = Task.Run(() =>
        {
            using var stream = IpiEndpoint.ConnectInet(server.Address);
            return new IpiClient(stream, expected).Run(g =>
            {
                computed++;
                return new IpiResult(0, new double[g.AtomCount, 3], new double[3, 3]);
            });
        });
        server.Accept(client);
        server.Init();
        server.RawPosData(h, atoms, positions);
        if (message.Contains("closed the connection")) server.Dispose();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => client.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(error is InvalidDataException or IOException, error.ToString());
        Assert.Contains(message, error.Message);
        Assert.Contains("i-PI server", error.Message);
        Assert.Equal(0, computed);
    }

    [Fact]
    public async Task AnOversizedInitMessageIsRefused()
    {
        using var server = new FakeIpiServer();
        var client = Task.Run(() =>
        {
            using var stream = IpiEndpoint.ConnectInet(server.Address);
            return new IpiClient(stream).Run(_ => throw new InvalidOperationException("no structure was sent"));
        });
        server.Accept(client);
        server.Send("INIT");
        server.RawBytes(BitConverter.GetBytes(0), BitConverter.GetBytes(int.MaxValue));
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => client.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains($"the i-PI server sent an INIT message of {int.MaxValue} bytes", error.Message);
    }

    [Fact]
    public void RefusedConnectionsNameTheAddress()
    {
        string address;
        using (var server = new FakeIpiServer()) address = server.Address;
        var error = Assert.Throws<IOException>(() => IpiEndpoint.ConnectInet(address));
        Assert.Contains($"cannot connect to the i-PI server at {address}", error.Message);
        error = Assert.Throws<IOException>(() => IpiEndpoint.ConnectUnix("macescf-no-such-socket"));
        Assert.Contains("/tmp/ipi_macescf-no-such-socket", error.Message);
        Assert.Throws<ArgumentException>(() => IpiEndpoint.ConnectInet("localhost"));
    }

    internal static void AssertClose(double[,] expected, double[,] actual, double tolerance)
    {
        Assert.Equal(expected.GetLength(0), actual.GetLength(0));
        Assert.Equal(expected.GetLength(1), actual.GetLength(1));
        for (int i = 0; i < expected.GetLength(0); i++)
            for (int j = 0; j < expected.GetLength(1); j++)
                Assert.True(Math.Abs(expected[i, j] - actual[i, j]) <= tolerance * Math.Max(1, Math.Abs(expected[i, j])),
                    $"[{i}, {j}]: expected {expected[i, j]:R}, got {actual[i, j]:R}");
    }
}
