namespace MaceScf.Driver;

/// The driver (client) side of the i-PI protocol, as i-PI's drivers/py/driver.py and ASE's SocketClient speak it:
/// STATUS → NEEDINIT (until INIT) / READY / HAVEDATA; INIT → bead index, length, bytes (ignored); POSDATA → h, h⁻¹ (9 float64
/// each), natoms (int32), 3N float64 positions; GETFORCE → FORCEREADY, energy, natoms, 3N forces, 9 virial, the length
/// (int32) and UTF-8 bytes of the extras string (<see cref="IpiResult.Extras"/>, empty by default); EXIT ends the run. Everything on the wire is in Bohr and Hartree.
/// Every value read is checked before it is used (docs/errors.md): the atom count against <paramref name="expectedAtomCount"/>
/// before anything is allocated, finite positions and cell, a right-handed cell (or none); a violation, or a connection
/// closed in the middle of a message, is an error that says it came from the i-PI server.
/// <param name="stream">the connection to the i-PI server</param>
/// <param name="expectedAtomCount">atoms of the driven system; null accepts any count up to <see cref="MaxAtomCount"/></param>
/// <param name="system">where the driven system comes from, for messages (e.g. "the initial structure (start.xyz, frame 0)")</param>
internal sealed class IpiClient(Stream stream, int? expectedAtomCount = null, string system = "the driven system")
{
    /// Largest structure accepted without an expected count, and largest INIT payload (bytes).
    public const int MaxAtomCount = 10_000_000, MaxInitBytes = 1 << 24;

    private readonly IpiStream _wire = new(stream);
    private int _step;

    /// Answers the server until EXIT or until it closes the connection between messages; calls <paramref name="compute"/>
    /// (Å, eV) for every POSDATA. Returns the number of structures computed.
    public int Run(Func<IpiGeometry, IpiResult> compute)
    {
        bool initialised = false;
        IpiResult? result = null;
        int computed = 0;
        while (true)
        {
            switch (ReadFromServer("message header", _wire.ReadHeader))
            {
                case null or "EXIT":
                    return computed;
                case "STATUS":
                    string status = !initialised ? "NEEDINIT" : result is null ? "READY" : "HAVEDATA";
                    SendToServer("status", () => _wire.WriteHeader(status));
                    break;
                case "INIT":
                    ReadFromServer("INIT message", () =>
                    {
                        _wire.ReadInt32();
                        int length = _wire.ReadInt32();
                        if (length < 0 || length > MaxInitBytes)
                            throw new InvalidDataException($"the i-PI server sent an INIT message of {length} bytes (expected 0 to {MaxInitBytes})");
                        return _wire.ReadBytes(length);
                    });
                    initialised = true;
                    break;
                case "POSDATA":
                    var geometry = ReadFromServer("POSDATA message", ReadGeometry);
                    _step++;
                    result = compute(geometry);
                    if (result.Forces.GetLength(0) != geometry.AtomCount)
                        throw new InvalidOperationException($"{result.Forces.GetLength(0)} forces for {geometry.AtomCount} atoms");
                    computed++;
                    break;
                case "GETFORCE":
                    var answer = result ?? throw new InvalidDataException("the i-PI server asked for forces (GETFORCE) before sending positions (POSDATA)");
                    SendToServer("forces", () => WriteResult(answer));
                    result = null;
                    break;
                case var other:
                    throw new InvalidDataException($"unknown i-PI message '{other}' from the i-PI server (expected STATUS, INIT, POSDATA, GETFORCE or EXIT)");
            }
        }
    }

    /// h has the lattice vectors as columns and is sent row-major, so its bytes are those of the ASE cell (rows) transposed;
    /// the inverse cell that follows is not needed.
    private IpiGeometry ReadGeometry()
    {
        var h = _wire.ReadDoubles(9);
        _wire.ReadDoubles(9);
        int n = _wire.ReadInt32();
        if (expectedAtomCount is int expected && n != expected)
            throw new InvalidDataException($"from the i-PI server (step {_step}): the server sent {n} atoms, {system} has {expected}; "
                + "start the server with the same structure");
        if (n < 0 || n > MaxAtomCount)
            throw new InvalidDataException($"the i-PI server sent a structure of {n} atoms (step {_step}; expected 0 to {MaxAtomCount})");
        var flat = _wire.ReadDoubles(3 * n);
        var cell = new double[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) cell[i, j] = h[3 * j + i] * IpiUnits.Bohr;
        CheckCell(cell);
        var positions = new double[n, 3];
        for (int a = 0; a < n; a++)
            for (int k = 0; k < 3; k++)
            {
                positions[a, k] = flat[3 * a + k] * IpiUnits.Bohr;
                if (!double.IsFinite(positions[a, k]))
                    throw new InvalidDataException($"the i-PI server sent a non-finite position for atom {a} (step {_step}): {flat[3 * a + k]} Bohr");
            }
        return new IpiGeometry(cell, positions);
    }

    /// All zeros (no cell) or finite and right-handed.
    private void CheckCell(double[,] cell)
    {
        var values = cell.Cast<double>().ToArray();
        if (values.Any(x => !double.IsFinite(x)))
            throw new InvalidDataException($"the i-PI server sent a cell with non-finite entries (step {_step}): {string.Join(" ", values)} Å");
        if (values.All(x => x == 0)) return;
        double volume = MaceScf.Data.CellVolume.Of(cell);
        if (!(volume > 0))
            throw new InvalidDataException($"the i-PI server sent a cell of volume {volume:G6} Å³ (step {_step}): a cell must be right-handed "
                + "with positive volume, or all zeros for none");
    }

    /// Reads one piece of the server's input; a connection that ends or fails in the middle says so, naming the server.
    private T ReadFromServer<T>(string what, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (EndOfStreamException e)
        {
            throw new IOException($"the i-PI server closed the connection in the middle of a {what} (step {_step})", e);
        }
        catch (IOException e)
        {
            throw new IOException($"reading a {what} from the i-PI server failed (step {_step}): {e.Message}", e);
        }
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
        var extras = System.Text.Encoding.UTF8.GetBytes(result.Extras);
        _wire.WriteInt32(extras.Length);
        if (extras.Length > 0) _wire.WriteBytes(extras);
    }

    private void SendToServer(string what, Action write)
    {
        try
        {
            write();
            _wire.Flush();
        }
        catch (IOException e)
        {
            throw new IOException($"sending the {what} to the i-PI server failed (step {_step}; did the server stop?): {e.Message}", e);
        }
    }
}
