using System.Net;
using System.Net.Sockets;

namespace NiusTv.Steps.Tools;

/// <summary>Ports for helpers this process starts on loopback (the Pub/Sub emulator, a throwaway PostgreSQL, test
/// nodes). The kernel picks a free one; it stays free until someone binds it, which for our own children is soon.</summary>
public static class LoopbackPorts
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
