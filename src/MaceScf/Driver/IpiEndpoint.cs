using System.Net.Sockets;

namespace MaceScf.Driver;

/// Connects to an i-PI server: INET "host:port", or a UNIX socket NAME at /tmp/ipi_NAME (the path i-PI and ASE bind).
internal static class IpiEndpoint
{
    public const string UnixPrefix = "/tmp/ipi_";

    public static Stream ConnectInet(string address)
    {
        int colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address[(colon + 1)..], out int port) || port is < 1 or > 65535)
            throw new ArgumentException($"an i-PI address is HOST:PORT with a port in 1–65535, got '{address}'");
        string host = address[..colon];
        var client = new TcpClient { NoDelay = true };
        try
        {
            client.Connect(host, port);
        }
        catch (SocketException e)
        {
            client.Dispose();
            throw new IOException($"cannot connect to the i-PI server at {host}:{port}: {e.Message}", e);
        }
        return client.GetStream();
    }

    public static Stream ConnectUnix(string name)
    {
        string path = UnixPrefix + name;
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new IOException($"cannot connect to the i-PI server at the UNIX socket {path}: {e.Message}", e);
        }
        return new NetworkStream(socket, ownsSocket: true);
    }
}
