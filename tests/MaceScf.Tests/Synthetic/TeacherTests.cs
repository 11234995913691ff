using MaceScf.Synthetic;
using Xunit.Abstractions;
using static MaceScf.Tests.Synthetic.SynthFixtures;
using static TorchSharp.torch;

namespace MaceScf.Tests.Synthetic;

public sealed class SynthTeacherTests(ITestOutputHelper output)
{
    public static TheoryData<string> Systems => new(SyntheticSystems.All.Select(s => s.Name));

    [Theory]
    [MemberData(nameof(Systems))]
    public void SolvedDensityIsStationary(string system)
    {
        var structure = Structure(system, 11);
        var solution = Teacher.Solve(structure);
        using var scope = NewDisposeScope();
        using var functional = new TeacherFunctional(Teacher.Parameters, structure);
        var p = tensor(solution.Multipoles, dtype: float64).requires_grad_(true);
        var gradient = autograd.grad([functional.Energy(p)], [p])[0];
        // ∂E/∂q_i = −μ on every atom (with electrodes, −μ_r on the atoms of electrode r), ∂E/∂d_i = 0 (docs/synth.md, eq. 2).
        var electrodes = structure.Electrodes;
        var mu = tensor(Enumerable.Range(0, structure.AtomCount)
            .Select(i => electrodes is { } e && e.Regions[i] > 0 ? e.FermiLevels[e.Regions[i] - 1] : solution.FermiLevel).ToArray(), dtype: float64);
        double chargeResidual = (gradient[.., 0].Plus(mu)).abs().max().item<double>();
        double dipoleResidual = gradient[.., 1..].abs().max().item<double>();
        output.WriteLine($"{system}: max |∂E/∂q + μ| = {chargeResidual:E2}, max |∂E/∂d| = {dipoleResidual:E2}, μ = {solution.FermiLevel:F4}");
        Assert.True(chargeResidual < 1e-10, $"charge stationarity {chargeResidual}");
        Assert.True(dipoleResidual < 1e-10, $"dipole stationarity {dipoleResidual}");
        Assert.Equal(solution.TotalCharge, SynthFixtures.Column(solution.Multipoles, 0).Sum(), 1e-12);
        // The constraint holds the electrolyte region when there are electrodes.
        double held = electrodes is null ? solution.TotalCharge : solution.RegionCharges![0];
        if (electrodes is not null) Assert.Equal(solution.TotalCharge, solution.RegionCharges!.Sum(), 1e-12);
        if (!structure.Constraint.IsFixedFermiLevel) Assert.Equal(structure.Constraint.Value, held, 1e-10);
        else Assert.Equal(structure.Constraint.Value, solution.FermiLevel, 1e-12);
    }

    [Theory]
    [InlineData("charged_cluster")]
    [InlineData("water_slab")]
    [InlineData("conductor")]
    public void ConstantChargeAndConstantFermiLevelSolutionsAgree(string system)
    {
        var structure = Structure(system, 5);
        var atCharge = Teacher.Solve(structure with { Constraint = ElectronConstraint.TotalCharge(0.4) });
        var atFermiLevel = Teacher.Solve(structure with { Constraint = ElectronConstraint.FermiLevel(atCharge.FermiLevel) });
        double multipoleDifference = MaxDifference(atCharge.Multipoles.Cast<double>().ToArray(), atFermiLevel.Multipoles.Cast<double>().ToArray());
        output.WriteLine($"{system}: μ = {atCharge.FermiLevel:F6} eV, Q = {atFermiLevel.TotalCharge:F12}, max |Δp| = {multipoleDifference:E2}");
        Assert.Equal(0.4, atFermiLevel.TotalCharge, 1e-10);
        Assert.True(multipoleDifference < 1e-10);
        Assert.Equal(atCharge.InternalEnergy, atFermiLevel.InternalEnergy, 1e-9);
        Assert.True(MaxDifference(atCharge.Forces.Cast<double>().ToArray(), atFermiLevel.Forces.Cast<double>().ToArray()) < 1e-9);
        // At constant μ the label is the grand potential E + μQ.
        Assert.Equal(atFermiLevel.InternalEnergy + atCharge.FermiLevel * 0.4, atFermiLevel.Energy, 1e-9);
    }

    [Theory]
    [InlineData("water_cluster", 27)]
    [InlineData("charged_cluster", 9)]
    [InlineData("conductor", 24)]
    [InlineData("capacitor", 45)]
    [InlineData("water_box", 6)]
    [InlineData("water_slab", 6)]
    public void ForcesMatchCentralDifferencesOfTheSolvedEnergy(string system, int coordinates)
    {
        const double h = 1e-4;
        var structure = Structure(system, 2);
        var forces = Teacher.Solve(structure).Forces;
        double worst = 0;
        foreach (int c in Enumerable.Range(0, coordinates).Select(k => k * (3 * structure.AtomCount / coordinates)))
        {
            int atom = c / 3, axis = c % 3;
            // The full E(p*(R), R): the density is solved again at every displaced geometry.
            double plus = Teacher.Solve(Moved(structure, atom, axis, h)).Energy;
            double minus = Teacher.Solve(Moved(structure, atom, axis, -h)).Energy;
            double difference = -(plus - minus) / (2 * h);
            worst = Math.Max(worst, Math.Abs(difference - forces[atom, axis]));
        }
        output.WriteLine($"{system}: {coordinates} coordinates, max |F − F_fd| = {worst:E2} eV/Å");
        Assert.True(worst < 1e-6, $"largest force error {worst}");
    }

    /// The stress of a fully periodic frame is the strain derivative of the solved energy: central differences of the label
    /// energy of the strained structure (positions and cell times 1 + ε, the density solved again) over the volume.
    [Fact]
    public void StressMatchesCentralDifferencesOfTheSolvedEnergyUnderStrain()
    {
        const double h = 1e-5;
        var structure = Structure("water_box", 2);
        var stress = Teacher.Solve(structure).Stress!;
        var c = structure.Cell;
        double volume = Math.Abs(c[0, 0] * (c[1, 1] * c[2, 2] - c[1, 2] * c[2, 1]) - c[0, 1] * (c[1, 0] * c[2, 2] - c[1, 2] * c[2, 0])
            + c[0, 2] * (c[1, 0] * c[2, 1] - c[1, 1] * c[2, 0]));
        double worst = 0, largest = 0;
        for (int a = 0; a < 3; a++)
            for (int b = a; b < 3; b++)
            {
                double plus = Teacher.Solve(Strained(structure, a, b, h)).Energy;
                double minus = Teacher.Solve(Strained(structure, a, b, -h)).Energy;
                double difference = (plus - minus) / (2 * h) / volume;
                worst = Math.Max(worst, Math.Abs(difference - stress[a, b]));
                largest = Math.Max(largest, Math.Abs(stress[a, b]));
                Assert.Equal(stress[a, b], stress[b, a], 1e-15);
            }
        output.WriteLine($"water_box: max |σ − σ_fd| = {worst:E2} eV/Å³ (largest component {largest:E2})");
        Assert.True(largest > 1e-4, $"{largest}");
        Assert.True(worst < 1e-8, $"largest stress error {worst}");
        // Stress is a label of fully periodic frames only.
        Assert.Null(Teacher.Solve(Structure("water_slab", 2)).Stress);
        Assert.Null(Teacher.Solve(Structure("water_cluster", 2)).Stress);
    }

    /// The structure strained by the symmetric ε with ε_ab = ε_ba = h/2 (a ≠ b) or ε_aa = h: r → r(1 + ε), cell → cell(1 + ε).
    private static SyntheticStructure Strained(SyntheticStructure structure, int a, int b, double h)
    {
        var m = new double[3, 3] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };
        m[a, b] += a == b ? h : h / 2;
        if (a != b) m[b, a] += h / 2;
        static double[,] Times(double[,] x, double[,] m)
        {
            var y = new double[x.GetLength(0), 3];
            for (int i = 0; i < x.GetLength(0); i++)
                for (int j = 0; j < 3; j++)
                    for (int k = 0; k < 3; k++) y[i, j] += x[i, k] * m[k, j];
            return y;
        }
        return structure with { Positions = Times(structure.Positions, m), Cell = Times(structure.Cell, m) };
    }

    [Theory]
    [InlineData("water_cluster")]
    [InlineData("water_box")]
    public void LabelsRotateWithTheStructureAndField(string system)
    {
        var structure = Structure(system, 8) with { ExternalField = [0.05, -0.1, 0.08] };
        var rotation = RandomGeometry.Rotation(new Random(5));
        var positions = new double[structure.AtomCount, 3];
        for (int i = 0; i < structure.AtomCount; i++)
        {
            var r = Rotate(rotation, Row(structure.Positions, i));
            for (int a = 0; a < 3; a++) positions[i, a] = r[a];
        }
        var cell = new double[3, 3];
        for (int v = 0; v < 3; v++)
        {
            var r = Rotate(rotation, Row(structure.Cell, v));
            for (int a = 0; a < 3; a++) cell[v, a] = r[a];
        }
        var rotated = structure with { Positions = positions, Cell = cell, ExternalField = Rotate(rotation, structure.ExternalField) };
        var before = Teacher.Solve(structure);
        var after = Teacher.Solve(rotated);

        Assert.Equal(before.Energy, after.Energy, 1e-9);
        Assert.Equal(before.FermiLevel, after.FermiLevel, 1e-9);
        Assert.True(MaxDifference(Column(before.Multipoles, 0), Column(after.Multipoles, 0)) < 1e-10);
        double worstForce = 0, worstDipole = 0;
        for (int i = 0; i < structure.AtomCount; i++)
        {
            worstForce = Math.Max(worstForce, MaxDifference(Rotate(rotation, Row(before.Forces, i)), Row(after.Forces, i)));
            worstDipole = Math.Max(worstDipole, MaxDifference(Rotate(rotation, Dipole(before.Multipoles, i)), Dipole(after.Multipoles, i)));
        }
        output.WriteLine($"{system}: |ΔE| = {Math.Abs(before.Energy - after.Energy):E2}, max |RF − F'| = {worstForce:E2}, max |Rd − d'| = {worstDipole:E2}");
        Assert.True(worstForce < 1e-8);
        Assert.True(worstDipole < 1e-10);
        Assert.True(MaxDifference(Rotate(rotation, before.Dipole), after.Dipole) < 1e-9);
    }

    [Fact]
    public void WaterHasNegativeOxygenAndChargesWithinOneElectron()
    {
        foreach (var system in SyntheticSystems.All)
        {
            var random = new Random(4);
            for (int frame = 0; frame < 3; frame++)
            {
                var structure = system.Generate(random);
                var charges = Column(Teacher.Solve(structure).Multipoles, 0);
                Assert.All(charges, q => Assert.InRange(q, -1.0, 1.0));
                Assert.All(charges.Where((_, i) => structure.AtomicNumbers[i] == 8), q => Assert.InRange(q, -0.9, -0.5));
            }
        }
    }

    [Fact]
    public void ConductorChargeFollowsTheFermiLevelAndTheField()
    {
        var structure = Structure("conductor", 3);
        double Charge(double mu, double field, int element)
        {
            var solution = Teacher.Solve(structure with { Constraint = ElectronConstraint.FermiLevel(mu), ExternalField = [field, 0, 0] });
            return Column(solution.Multipoles, 0).Where((_, i) => element == 0 || structure.AtomicNumbers[i] == element).Sum();
        }
        double response = (Charge(-2.5, 0, 0) - Charge(-2.7, 0, 0)) / 0.2;
        // Raising the Fermi level fills the reservoir's states: dQ/dμ < 0 (what the student's loss expects).
        Assert.True(response < -0.05, $"dQ/dμ = {response}");
        // A positive x field (potential rising towards K at +x) moves electrons onto K, across the gap.
        double sodiumShift = Charge(-2.6, 0.1, 11) - Charge(-2.6, -0.1, 11);
        double potassiumShift = Charge(-2.6, 0.1, 19) - Charge(-2.6, -0.1, 19);
        output.WriteLine($"dQ/dμ = {response:F4} e/eV; field 0.1 vs −0.1 V/Å: ΔQ(Na4) = {sodiumShift:F4} e, ΔQ(K4) = {potassiumShift:F4} e");
        Assert.True(sodiumShift > 0.05);
        Assert.True(potassiumShift < -0.05);
    }
}
