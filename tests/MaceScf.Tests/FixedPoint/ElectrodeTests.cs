using MaceScf.Calculators;
using MaceScf.Data;
using MaceScf.Electrostatics;
using MaceScf.FixedPoint;
using MaceScf.Models;
using MaceScf.Synthetic;
using MaceScf.Tests.Mace;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.FixedPoint;

/// The SCF with electrodes at a potential difference (docs/response.md, "Electrodes at a potential difference"), on the
/// teacher's capacitor (Na₄ | Na⁺ 2 H₂O | K₄) with a model that represents the charges-only teacher exactly
/// (<see cref="TeacherStudent"/>; its cutoff 0.8 Å is below every interatomic distance): the electrode charges are the
/// teacher's, linear in the electrode Fermi levels with its capacitance, the electrolyte keeps its charge, and the forces
/// are central differences of the grand potential.
public sealed class ElectrodeTests(ITestOutputHelper output)
{
    internal static readonly int[] Elements = [1, 8, 11, 19];
    internal const double Cutoff = 0.8;

    internal static readonly ScfOptions Tight = new()
    {
        Mixer = ScfMixer.Anderson, ScfTolerance = 1e-13, NumScfSteps = 400, MixingParameter = 0.5,
    };

    /// Capacitor frames solved by the charges-only teacher, and a model that represents it.
    internal static (List<(SyntheticStructure Structure, Configuration Frame)> Frames, FixedPointModel Model) Capacitor(int count, int seed)
    {
        var generator = new SyntheticDataGenerator(SyntheticSystems.Find("capacitor")!, TeacherStudent.Teacher, new SynthesisOverrides());
        var structures = generator.Solve(count, seed).Select(s => s.Structure).ToList();
        var frames = generator.Frames(count, seed).ToList();
        return (structures.Zip(frames).ToList(), TeacherStudent.Build(frames[0], Elements, Cutoff));
    }

    static Structure At(SyntheticStructure structure, Configuration frame, double[] levels) =>
        new(frame, Electrodes: new ElectrodeConditions(structure.Electrodes!.Regions, levels, structure.Constraint.Value));

    static double[] TeacherCharges(SyntheticStructure structure, double[] levels) =>
        new TeacherModel(TeacherStudent.Teacher).Solve(structure with { Electrodes = structure.Electrodes! with { FermiLevels = levels } }).RegionCharges!;

    [Fact]
    public void Electrode_charges_are_linear_in_the_bias_with_the_teachers_capacitance()
    {
        var (frames, model) = Capacitor(2, 5);
        using var _ = model;
        var calculator = new FixedPointCalculator(model, Tight);
        double[][] settings = [[-2.6, -2.6], [-2.9, -2.3], [-2.3, -2.9], [-2.1, -3.1], [-3.0, -2.8]];
        double charges = 0, linear = 0, electrolyte = 0, largest = 0;
        foreach (var (structure, frame) in frames)
        {
            var capacitance = TeacherCapacitance.Of(TeacherStudent.Teacher, structure);
            // One batch of every setting: the groups of different structures must not mix.
            var results = calculator.CalculateAll(settings.Select(levels => At(structure, frame, levels)).ToList(), CalculatorProperties.Energy,
                batchSize: settings.Length).ToList();
            var reference = results[0].RegionCharges!;
            for (int k = 0; k < settings.Length; k++)
            {
                var q = results[k].RegionCharges!;
                Assert.Equal(ScfStatus.Converged, results[k].Status);
                Assert.Equal(3, q.Length);
                var exact = TeacherCharges(structure, settings[k]);
                for (int r = 0; r < 3; r++) charges = Math.Max(charges, Math.Abs(q[r] - exact[r]) / exact.Max(Math.Abs));
                electrolyte = Math.Max(electrolyte, Math.Abs(q[0] - structure.Constraint.Value));
                Assert.Equal(settings[k], results[k].RegionFermiLevels![1..]);
                // Q_r(μ) − Q_r(μ_ref) = −Σ_s C_rs (μ_s − μ_ref,s).
                for (int r = 0; r < 2; r++)
                {
                    double expected = -Enumerable.Range(0, 2).Sum(s => capacitance[r, s] * (settings[k][s] - settings[0][s]));
                    largest = Math.Max(largest, Math.Abs(expected));
                    linear = Math.Max(linear, Math.Abs(q[r + 1] - reference[r + 1] - expected));
                }
            }
            // The bias ΔV = μ₂ − μ₁ at a fixed mean: dQ₁/dΔV = (C₁₁ − C₁₂)/2, the capacitor's capacitance.
            output.WriteLine($"capacitance matrix (e/V): [[{capacitance[0, 0]:F6}, {capacitance[0, 1]:F6}], [{capacitance[1, 0]:F6}, "
                + $"{capacitance[1, 1]:F6}]]; dQ1/dΔV = {(capacitance[0, 0] - capacitance[0, 1]) / 2:F6} e/V; "
                + $"Q at μ = (−2.9, −2.3): {string.Join(", ", results[1].RegionCharges!.Select(x => x.ToString("F6")))}");
            Assert.True(capacitance[0, 0] > 0 && capacitance[1, 1] > 0 && capacitance[0, 1] < 0, "a capacitor's C₁₁, C₂₂ > 0 > C₁₂");
        }
        Assert.True(largest > 0.01, $"the bias moves charge: {largest}");
        output.Report("region charges vs the teacher, max |ΔQ| / max |Q|", charges, 1e-6);
        output.Report("ΔQ_electrode vs −C Δμ, max deviation / max |C Δμ|", linear / largest, 1e-6);
        output.Report("electrolyte charge − its target (e)", electrolyte, 1e-12);
    }

    [Fact]
    public void Forces_are_central_differences_of_the_grand_potential()
    {
        const double h = 1e-4;
        var (frames, model) = Capacitor(1, 8);
        using var _ = model;
        var (structure, frame) = frames[0];
        var calculator = new FixedPointCalculator(model, Tight);
        double[] levels = [-2.9, -2.3];
        var result = calculator.Calculate(At(structure, frame, levels));
        Assert.Equal(ScfStatus.Converged, result.Status);
        Assert.Equal(ForcesMethod.Implicit, result.Derivation!.Method);
        // The energy is the grand potential of the electrodes: E + Σ_r μ_r Q_r.
        double reservoirs = levels[0] * result.RegionCharges![1] + levels[1] * result.RegionCharges[2];
        Assert.Equal(reservoirs, result.Terms["electrodes"], 1e-12);
        Assert.Equal(result.Terms.Values.Sum(), result.Energy, 1e-10);
        double Energy(int atom, int axis, double delta)
        {
            var positions = (double[,])frame.Positions.Clone();
            positions[atom, axis] += delta;
            var moved = new Configuration(frame.AtomicNumbers, positions, frame.Cell, frame.Pbc);
            var r = calculator.Calculate(new Structure(moved, Electrodes: new ElectrodeConditions(structure.Electrodes!.Regions, levels, 1.0)),
                CalculatorProperties.Energy);
            return r.Energy;
        }
        double worst = 0, largest = 0;
        // Atoms of both electrodes and of the electrolyte, every direction.
        foreach (int atom in new[] { 0, 5, 8, 9, 13 })
            for (int axis = 0; axis < 3; axis++)
            {
                double difference = -(Energy(atom, axis, h) - Energy(atom, axis, -h)) / (2 * h);
                worst = Math.Max(worst, Math.Abs(difference - result.Forces![atom, axis]));
                largest = Math.Max(largest, Math.Abs(result.Forces[atom, axis]));
            }
        output.WriteLine($"largest force component {largest:E3} eV/Å");
        output.Report("max |F − F_fd| / max |F| (grand potential)", worst / largest, 1e-6);
    }

    /// Both electrodes and the electrolyte at the structure's own Fermi level is the plain constant-μ SCF.
    [Fact]
    public void Electrodes_at_the_electrolytes_fermi_level_are_the_constant_fermi_level_scf()
    {
        var (frames, model) = Capacitor(1, 3);
        using var _ = model;
        var (structure, frame) = frames[0];
        var options = Tight with { ConstantCharge = false };
        var calculator = new FixedPointCalculator(model, options);
        const double mu = -2.7;
        var plain = calculator.Calculate(new Structure(frame, FermiLevel: mu), CalculatorProperties.Energy);
        var regions = calculator.Calculate(new Structure(frame, FermiLevel: mu,
            Electrodes: new ElectrodeConditions(structure.Electrodes!.Regions, [mu, mu])), CalculatorProperties.Energy);
        double reservoirs = mu * (regions.RegionCharges![1] + regions.RegionCharges[2]);
        output.Report("|Ω − μ Q_electrodes − E_plain| (eV)", Math.Abs(regions.Energy - reservoirs - plain.Energy), 1e-9);
        output.Report("max |p − p_plain| (e)", MaxDifference(regions.Density!, plain.Density!), 1e-10);
        output.Report("|Σ Q_regions − Q_plain| (e)", Math.Abs(regions.RegionCharges.Sum() - plain.TotalCharge!.Value), 1e-10);
    }

    static double MaxDifference(double[,] a, double[,] b) => a.Cast<double>().Zip(b.Cast<double>(), (x, y) => Math.Abs(x - y)).Max();

    /// A random model with a non-linear update (its charge response depends on the density and μ, so the Fukui weights
    /// are taken at every update) on a periodic cell with two one-atom electrodes: the implicit forces and stress of the grand
    /// potential equal those of the long unroll, and the electrolyte keeps its charge.
    [Fact]
    public void Implicit_forces_and_stress_with_electrodes_equal_the_unroll_for_a_nonlinear_update()
    {
        using var scope = NewDisposeScope();
        var model = FixedPointTestSystems.Model(FixedPointTestSystems.Hyperparameters(nonlinearity: BlockNames.MLPNonLinearity,
            method: BoundaryMethod.Pbc), 8);
        var inputs = FixedPointTestSystems.Periodic() with
        {
            Electrodes = new ElectrodeInputs(tensor(new long[] { 1, 0, 0, 2 }), tensor(new[] { -0.1, 0.2 }, dtype: float64).view(1, 2),
                tensor(new[] { 0.3 }, dtype: float64)),
        };
        var options = FixedPointTestSystems.TightScf();
        var implicitResult = model.Evaluate(inputs, options, computeForces: true, computeStress: true);
        var unrolled = model.Evaluate(inputs, options with { ForcesMethod = ForcesMethod.Unroll }, computeForces: true, computeStress: true);
        output.WriteLine($"{implicitResult.Derivation}; SCF {string.Join(", ", implicitResult.Scf!.Status)} in {implicitResult.Scf.Steps[0]} updates");
        Assert.Equal(ForcesMethod.Implicit, implicitResult.Derivation!.Method);
        Assert.True(implicitResult.Scf!.AllConverged);
        var charges = implicitResult.Regions!.Charge;
        output.WriteLine($"region charges {string.Join(", ", charges.data<double>().ToArray())}; μ {string.Join(", ", implicitResult.Regions.FermiLevel.data<double>().ToArray())}");
        output.Report("|Q_electrolyte − 0.3| (e)", Math.Abs(charges[0, 0].item<double>() - 0.3), 1e-12);
        Assert.True(charges[0, 1].abs().item<double>() > 1e-4 && charges[0, 2].abs().item<double>() > 1e-4, "the electrodes take charge");
        output.Report("|Ω_implicit − Ω_unroll| (eV)", Math.Abs(implicitResult.Energy.item<double>() - unrolled.Energy.item<double>()), 1e-10);
        output.Report("max |F_implicit − F_unroll| / max |F|",
            MaceTestSystems.MaxDiff(implicitResult.Forces!, unrolled.Forces!) / MaceTestSystems.MaxAbs(unrolled.Forces!), 1e-8);
        output.Report("max |σ_implicit − σ_unroll| / max |σ|",
            MaceTestSystems.MaxDiff(implicitResult.Stress!, unrolled.Stress!) / MaceTestSystems.MaxAbs(unrolled.Stress!), 1e-8);
    }
}
