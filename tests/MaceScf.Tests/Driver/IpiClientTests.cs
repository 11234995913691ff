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
        server.Accept(client);
        Assert.Equal("NEEDINIT", server.Status());
        server.Init();
        Assert.Equal("READY", server.Status());
        for (int step = 1; step <= 2; step++)
        {
            server.PosData(Cell, Positions);
            Assert.Equal("HAVEDATA", server.Status());
            var (energy, f, v) = server.GetForce();
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
