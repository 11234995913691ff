namespace MaceScf.Driver;

/// The driver (client) side of the i-PI protocol, as i-PI's drivers/py/driver.py and ASE's SocketClient speak it:
/// STATUS → NEEDINIT (until INIT) / READY / HAVEDATA; INIT → bead index, length, bytes (ignored); POSDATA → h, h⁻¹ (9 float64
/// each), natoms (int32), 3N float64 positions; GETFORCE → FORCEREADY, energy, natoms, 3N forces, 9 virial, int32 0 (no
/// extra bytes); EXIT ends the run. Everything on the wire is in Bohr and Hartree.
public sealed class IpiClient(Stream stream)
{
    private readonly IpiStream _wire = new(stream);

    /// Answers the server until EXIT or until it closes the connection between messages; calls <paramref name="compute"/>
    /// (Å, eV) for every POSDATA. Returns the number of structures computed.
    public int Run(Func<IpiGeometry, IpiResult> compute)
    {
        bool initialised = false;
        IpiResult? result = null;
        int computed = 0;
        while (true)
        {
            switch (_wire.ReadHeader())
            {
                case null or "EXIT":
                    return computed;
                case "STATUS":
                    _wire.WriteHeader(!initialised ? "NEEDINIT" : result is null ? "READY" : "HAVEDATA");
                    _wire.Flush();
                    break;
                case "INIT":
                    _wire.ReadInt32();
                    _wire.ReadBytes(Length(_wire.ReadInt32(), "INIT"));
                    initialised = true;
                    break;
                case "POSDATA":
                    var geometry = ReadGeometry();
                    result = compute(geometry);
                    if (result.Forces.GetLength(0) != geometry.AtomCount)
                        throw new InvalidOperationException($"{result.Forces.GetLength(0)} forces for {geometry.AtomCount} atoms");
                    computed++;
                    break;
                case "GETFORCE":
                    WriteResult(result ?? throw new InvalidDataException("the i-PI server asked for forces (GETFORCE) before sending positions (POSDATA)"));
                    result = null;
                    break;
                case var other:
                    throw new InvalidDataException($"unknown i-PI message '{other}' (expected STATUS, INIT, POSDATA, GETFORCE or EXIT)");
            }
        }
    }

    /// h has the lattice vectors as columns and is sent row-major, so its bytes are those of the ASE cell (rows) transposed;
    /// the inverse cell that follows is not needed.
    private IpiGeometry ReadGeometry()
    {
        var h = _wire.ReadDoubles(9);
        _wire.ReadDoubles(9);
        int n = Length(_wire.ReadInt32(), "POSDATA");
        var flat = _wire.ReadDoubles(3 * n);
        var cell = new double[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) cell[i, j] = h[3 * j + i] * IpiUnits.Bohr;
        var positions = new double[n, 3];
        for (int a = 0; a < n; a++)
            for (int k = 0; k < 3; k++) positions[a, k] = flat[3 * a + k] * IpiUnits.Bohr;
        return new IpiGeometry(cell, positions);
    }

    /// Forces in Hartree/Bohr, atom by atom; the virial in Hartree, transposed like h (ASE sends virial.T; it is symmetric).
    private void WriteResult(IpiResult result)
    {
        int n = result.Forces.GetLength(0);
        var forces = new double[3 * n];
        for (int a = 0; a < n; a++)
            for (int k = 0; k < 3; k++) forces[3 * a + k] = result.Forces[a, k] * IpiUnits.Bohr / IpiUnits.Hartree;
        var virial = new double[9];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) virial[3 * i + j] = result.Virial[j, i] / IpiUnits.Hartree;
        _wire.WriteHeader("FORCEREADY");
        _wire.WriteDoubles([result.Energy / IpiUnits.Hartree]);
        _wire.WriteInt32(n);
        _wire.WriteDoubles(forces);
        _wire.WriteDoubles(virial);
        _wire.WriteInt32(0);
        _wire.Flush();
    }

    private static int Length(int value, string message) =>
        value >= 0 ? value : throw new InvalidDataException($"negative length {value} in the i-PI {message} message");
}
