using MaceScf.Electrostatics;
using MaceScf.Tests.Cli;
using static TorchSharp.torch;
using static MaceScf.Tests.Electrostatics.Fixtures;

namespace MaceScf.Tests.Electrostatics;

/// Memory of the electrostatics is estimated before anything is allocated: huge boxes and cells are handled or refused
/// with the k-vector count, the estimate and what to change (issue: a 3-atom molecule in a 400 Å box took > 20 GB, a 1e6 Å
/// cell crashed inside libtorch).
public sealed class MemoryBudgetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("macescf-memory-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static readonly double[,] Water = { { 1.0, 1.0, 1.0 }, { 1.96, 1.0, 1.0 }, { 0.76, 1.93, 1.0 } };
    static readonly double[,] WaterCharges = { { -0.8 }, { 0.4 }, { 0.4 } };

    private string WaterFile(double box, string pbc)
    {
        var path = Path.Combine(_dir, $"water-{box}-{pbc.Replace(' ', '_')}.xyz");
        File.WriteAllText(path, $"3\nLattice=\"{box} 0 0 0 {box} 0 0 0 {box}\" Properties=species:S:1:pos:R:3:q:R:1 pbc=\"{pbc}\"\n"
            + "O 1.0 1.0 1.0 -0.8\nH 1.96 1.0 1.0 0.4\nH 0.76 1.93 1.0 0.4\n");
        return path;
    }

    [Theory]
    [InlineData(400.0)]
    [InlineData(1e6)]
    public void AMoleculeInAHugeBoxIsEvaluatedWithOpenBoundaries(double box)
    {
        using var scope = NewDisposeScope();
        var options = new ElectrostaticsOptions { DensityMaxL = 0 };
        using var inBox = new ElectrostaticsPlan(options, T(Water), Cubic(box), Pbc(false, false, false));
        using var open = new ElectrostaticsPlan(options with { Method = BoundaryMethod.Realspace }, T(Water));
        Assert.Equal([BoundaryMethod.Realspace], inBox.Methods);
        Assert.Equal(0, inBox.KVectorCount);
        Assert.Equal(open.Energy(T(WaterCharges)).item<double>(), inBox.Energy(T(WaterCharges)).item<double>());
    }

    /// A cluster of <paramref name="atoms"/> atoms with charges and dipoles at 0.05 atoms/Å³ on a jittered cubic grid.
    private string ClusterFile(int atoms)
    {
        var random = new Random(atoms);
        int side = (int)Math.Ceiling(Math.Cbrt(atoms));
        double spacing = Math.Cbrt(20.0);
        var lines = new List<string> { $"{atoms}", "Properties=species:S:1:pos:R:3:mp:R:4 pbc=\"F F F\"" };
        for (int i = 0; i < atoms; i++)
        {
            double Coordinate(int k) => (k + 0.3 * (random.NextDouble() - 0.5)) * spacing;
            double[] values = [Coordinate(i % side), Coordinate(i / side % side), Coordinate(i / (side * side)),
                random.NextDouble() - 0.5, 0.2 * (random.NextDouble() - 0.5), 0.2 * (random.NextDouble() - 0.5), 0.2 * (random.NextDouble() - 0.5)];
            lines.Add("O " + string.Join(' ', values.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
        }
        var path = Path.Combine(_dir, $"cluster{atoms}.xyz");
        File.WriteAllLines(path, lines);
        return path;
    }

    /// Realspace forces of 1,000 atoms (10⁶ pairs) under a 1.5 GB cap: the estimate of kept pair graphs (8·330 bytes per
    /// pair, 2.6 GB) refused them; the backward pass now rebuilds one block at a time, the estimate is one block's, and
    /// the run stays within the cap.
    [Fact]
    public void RealspaceForcesThatKeptPairGraphsCouldNotFitRunWithinTheCap()
    {
        const int atoms = 1000;
        const double capGb = 1.5;
        double usable = ElectrostaticsMemory.UsableFraction * capGb * 1e9;
        var options = new ElectrostaticsOptions();
        Assert.True(atoms * (atoms - 1.0) * 8 * 330 > usable);
        Assert.True(ElectrostaticsMemory.RealspaceBytes(atoms, options, gradients: true) < usable);
        string input = ClusterFile(atoms), output = Path.Combine(_dir, "out.xyz");
        Environment.SetEnvironmentVariable(ElectrostaticsMemory.LimitVariable, capGb.ToString(System.Globalization.CultureInfo.InvariantCulture));
        long baseline = ProcessMemory.ResetPeak();
        try
        {
            var (code, text) = CliRunner.Run("coulomb", input, "--multipoles-key", "mp", "--electrostatic_pbc_method", "realspace", "-o", output);
            Assert.True(code == 0, text);
        }
        finally
        {
            Environment.SetEnvironmentVariable(ElectrostaticsMemory.LimitVariable, null);
        }
        double peak = ProcessMemory.Peak() - baseline;
        Assert.True(peak < usable, $"the run took {peak / 1e9:F2} GB more than before it, above the {usable / 1e9:F2} GB usable");
        var frame = MaceScf.Data.ExtXyzReader.Read(output).Single();
        Assert.Null(MaceScf.Data.FrameChecks.FirstNonFinite(frame));
        Assert.Equal(atoms, frame.AtomCount);
    }

    [Fact]
    public void AMoleculeInAModerateBoxKeepsMoleculeInBox()
    {
        using var scope = NewDisposeScope();
        using var plan = new ElectrostaticsPlan(new ElectrostaticsOptions { DensityMaxL = 0 }, T(Water), Cubic(30), Pbc(false, false, false));
        Assert.Equal([BoundaryMethod.MoleculeInBox], plan.Methods);
        Assert.True(plan.KVectorCount > 1000);
    }

    [Fact]
    public void ALargeMoleculeInAHugeButNotFarLargerBoxIsRefusedWithTheAlternative()
    {
        using var scope = NewDisposeScope();
        // Two atoms 150 Å apart in a 200 Å box: 2.8 M k-vectors, and the box is not far larger than the molecule.
        var positions = T(new double[,] { { 20, 20, 20 }, { 170, 20, 20 } });
        var error = Assert.Throws<StructureGeometryException>(() =>
            new ElectrostaticsPlan(new ElectrostaticsOptions { DensityMaxL = 0 }, positions, Cubic(200), Pbc(false, false, false)));
        Assert.Equal(0, error.Structure);
        Assert.Contains("k-vectors", error.Message);
        Assert.Contains("electrostatic_pbc_method realspace", error.Message);
    }

    [Fact]
    public void AHugePeriodicCellIsRefusedBeforeAnyAllocationThroughTheCli()
    {
        var (code, text) = CliRunner.Run("coulomb", WaterFile(1e6, "T T T"), "--multipoles-key", "q", "--atomic_multipoles_max_l", "0");
        Assert.Equal(1, code);
        Assert.Contains("frame 0", text);
        Assert.Contains("k-vectors", text);
        Assert.Contains("kspace_cutoff_factor", text);
        Assert.DoesNotContain("Exception", text);
    }

    [Fact]
    public void AnEstimateAboveTheAvailableMemoryIsRefusedNamingEstimateAndRemedy()
    {
        using var scope = NewDisposeScope();
        var options = new ElectrostaticsOptions { DensityMaxL = 0, Method = BoundaryMethod.Pbc };
        var error = Assert.Throws<StructureGeometryException>(() =>
            KspaceBudget.Check(options, BoundaryMethod.Pbc, T(Water), Cubic(60), available: () => 1e6));
        Assert.Contains("k-vectors", error.Message);
        Assert.Contains("MB of memory, more than the 0.8 MB it may use (80 % of the 1 MB available)", error.Message);
        Assert.Contains("kspace_cutoff_factor (now 1.25)", error.Message);
        Assert.Equal(BoundaryMethod.Pbc, KspaceBudget.Check(options, BoundaryMethod.Pbc, T(Water), Cubic(60), available: () => 1e12));
    }

    /// PME: the grid of the estimate is the plan's, and a grid above the available memory is refused naming grid, order,
    /// estimate and remedy (nothing allocated: the check runs before the plan is built).
    [Fact]
    public void AParticleMeshGridAboveTheAvailableMemoryIsRefusedNamingGridEstimateAndRemedy()
    {
        using var scope = NewDisposeScope();
        var options = new ElectrostaticsOptions { DensityMaxL = 0, Method = BoundaryMethod.Pbc, KspaceMethod = KspaceMethod.Pme };
        var mesh = MeshParameters.Choose(options);
        using var plan = new ElectrostaticsPlan(options, T(Water), Cubic(20), Pbc(true, true, true));
        Assert.Equal(plan.KspaceSetups[0]!.Grid, ParticleMeshSum.GridShape(Cubic(20), mesh));
        var error = Assert.Throws<StructureGeometryException>(() =>
            KspaceBudget.CheckParticleMesh(options, BoundaryMethod.Pbc, T(Water), Cubic(60), mesh, available: () => 1e6));
        Assert.Contains($"grid {string.Join("x", ParticleMeshSum.GridShape(Cubic(60), mesh))}, spline order {mesh.Order}, 3 atoms", error.Message);
        Assert.Contains("MB of memory, more than the 0.8 MB it may use (80 % of the 1 MB available)", error.Message);
        Assert.Contains("electrostatics_accuracy (now 1E-06)", error.Message);
        KspaceBudget.CheckParticleMesh(options, BoundaryMethod.Pbc, T(Water), Cubic(60), mesh, available: () => 1e12);
    }

    /// The estimate grows with the grid (∝ K³ at a fixed spacing), the stencil block (o³ per atom), the channels and the features.
    [Fact]
    public void TheParticleMeshEstimateGrowsWithGridOrderChannelsAndFeatures()
    {
        var options = new ElectrostaticsOptions();
        double Bytes(long k, long atoms, int order, ElectrostaticsOptions o) => ElectrostaticsMemory.ParticleMeshBytes([k, k, k], atoms, order, o);
        double reference = Bytes(100, 4000, 6, options);
        Assert.InRange(Bytes(200, 4000, 6, options) / reference, 6, 8.1);
        Assert.True(Bytes(100, 4000, 8, options) > reference);
        Assert.True(Bytes(100, 4000, 6, options with { DensityMaxL = 2 }) > reference);
        Assert.True(Bytes(100, 4000, 6, options with { FieldFeatureWidths = [1.0, 2.0, 3.0] }) > reference);
    }

    /// Nothing per atom is kept: beyond one block of stencil entries the estimate grows with the atoms only by a few
    /// values each, and it covers the measured peaks of energy + forces of the benchmark boxes (0.1 atoms/Å³, default
    /// options, docs/benchmarks.md "Particle-mesh Ewald": 0.74 GB at 10,000 atoms, 2.43 GB at 100,000 atoms above the
    /// process's own 0.16 GB) while staying under the 3 GB target at 100,000 atoms.
    [Fact]
    public void TheParticleMeshEstimateCoversTheMeasuredPeaksAndGrowsByAFewValuesPerAtom()
    {
        var options = new ElectrostaticsOptions { KspaceMethod = KspaceMethod.Pme };
        var mesh = MeshParameters.Choose(options);
        double Estimate(int atoms)
        {
            using var scope = NewDisposeScope();
            var grid = ParticleMeshSum.GridShape(Cubic(Math.Cbrt(atoms / 0.1)), mesh);
            return ElectrostaticsMemory.ParticleMeshBytes(grid, atoms, mesh.Order, options);
        }
        Assert.InRange(Estimate(10_000) / 1e9, 0.74, 0.74 / 0.7);
        Assert.InRange(Estimate(100_000) / 1e9, 2.43, 3.0);
        double perAtom = (ElectrostaticsMemory.ParticleMeshBytes([160, 160, 160], 200_000, mesh.Order, options)
            - ElectrostaticsMemory.ParticleMeshBytes([160, 160, 160], 100_000, mesh.Order, options)) / 100_000;
        Assert.InRange(perAtom, 8, 8 * 64);
    }

    [Fact]
    public void AHugePeriodicCellUnderParticleMeshIsRefusedThroughTheCli()
    {
        var (code, text) = CliRunner.Run("coulomb", WaterFile(1e6, "T T T"), "--multipoles-key", "q", "--atomic_multipoles_max_l", "0",
            "--kspace_method", "pme");
        Assert.Equal(1, code);
        Assert.Contains("frame 0", text);
        Assert.Contains("particle-mesh sum", text);
        Assert.Contains("electrostatics_accuracy", text);
        Assert.DoesNotContain("Exception", text);
    }

    [Fact]
    public void TheKVectorEstimateMatchesTheCount()
    {
        using var scope = NewDisposeScope();
        var options = new ElectrostaticsOptions { DensityMaxL = 0, Method = BoundaryMethod.Pbc };
        using var plan = new ElectrostaticsPlan(options, T(Water), T(TriclinicCell).Times(3), Pbc(true, true, true));
        double volume = linalg.det(T(TriclinicCell).Times(3)).item<double>();
        double estimate = ElectrostaticsMemory.KVectorEstimate(volume, options.KspaceCutoff);
        Assert.InRange(plan.KVectorCount / estimate, 0.97, 1.03);
    }

    [Theory]
    [InlineData("0 0 0 0 0 0 0 0 0", "volume 0")]
    [InlineData("10 0 0 0 -10 0 0 0 10", "right-handed")]
    [InlineData("10 0 0 0 10 0 0 0 inf", "is not finite")]
    [InlineData("1e6 0 0 0 1e6 0 0 0 1e-6", "thin or skewed")]
    public void UnusableCellsAreRefusedByName(string lattice, string expected)
    {
        var path = Path.Combine(_dir, "cell.xyz");
        File.WriteAllText(path, $"2\nLattice=\"{lattice}\" Properties=species:S:1:pos:R:3:q:R:1 pbc=\"T T T\"\nO 0 0 0 -0.5\nH 0.5 0.5 0.5 0.5\n");
        var (code, text) = CliRunner.Run("coulomb", path, "--multipoles-key", "q", "--atomic_multipoles_max_l", "0");
        Assert.Equal(1, code);
        Assert.Contains("frame 0", text);
        Assert.Contains(expected, System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " "));
    }
}
