using MaceScf.Models;
using MaceScf.Equivariant;
using MaceScf.FixedPoint;
using MaceScf.Tests.Equivariant;
using MaceScf.Tests.Mace;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.FixedPoint;

/// Every update rule, embedding, non-linearity, local-density block and field readout runs, and every output of the SCF
/// transforms correctly under rotations, reflections, translations and permutations.
public class FixedPointEquivarianceTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-9;

    private static readonly ScfOptions Scf = new() { ConstantCharge = true, MixingParameter = 0.5, NumScfSteps = 6, ScfTolerance = 0 };

    public static TheoryData<string, string?, string, string, bool> Configurations => new()
    {
        { BlockNames.OneBodyVariableUpdate, null, BlockNames.NoNonLinearity, BlockNames.StrictQuadraticFieldEnergyReadout, false },
        { BlockNames.OneBodyVariableUpdate, BlockNames.LinearPotentialEmbedding, BlockNames.MLPNonLinearity, BlockNames.OneBodyMLPFieldReadout, false },
        { BlockNames.ManyBodyUpdate, null, BlockNames.NoNonLinearity, BlockNames.ManyBodyChargesReadout, false },
        { BlockNames.ManyBodyUpdate, BlockNames.BiasedLinearPotentialEmbedding, BlockNames.MLPNonLinearity, BlockNames.ManyBodyChargesFieldReadout, true },
        { BlockNames.OneBodyVariableUpdate, null, BlockNames.NoNonLinearity, BlockNames.NullFieldReadout, true },
    };

    private static (Tensor Energy, Tensor Forces, Tensor Density, Tensor Fermi, Tensor Charge, Tensor Dipole, Tensor Terms) Run(
        FixedPointModel model, SystemInputs inputs, ScfOptions? options = null, ScfStatus expected = ScfStatus.MaxStepsReached)
    {
        var p = model.Evaluate(inputs, options ?? Scf, computeForces: true);
        Assert.Equal(expected, p.Scf!.Status[0]);
        return (p.Energy, p.Forces!, p.Scf!.Density, p.Scf!.FermiLevel, p.TotalCharge, p.Dipole, stack(p.Terms.Select(t => t.Value).ToArray()));
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void OutputsAreRotationAndReflectionEquivariant(string update, string? embedding, string nonlinearity, string readout, bool linearLocal)
    {
        using var scope = NewDisposeScope();
        var hp = FixedPointTestSystems.Hyperparameters(update, embedding, nonlinearity, readout, linearLocal: linearLocal);
        var model = FixedPointTestSystems.Model(hp, 21);
        var inputs = FixedPointTestSystems.Molecule();
        var reference = Run(model, inputs);
        Assert.False(reference.Energy.isnan().any().item<bool>());
        var rng = new System.Random(2);
        double worst = 0;
        for (int trial = 0; trial < 2; trial++)
        {
            var g = Reference.Orthogonal(rng, improper: trial == 1);
            var moved = inputs.WithGeometry(inputs.Graph.Positions.matmul(g.T), inputs.Graph.Cell) with
            {
                ExternalField = inputs.ExternalField!.matmul(g.T),
            };
            var r = Run(model, moved);
            var d = WignerD.ForIrreps(hp.ChargesIrreps, g, VectorOrder.Yzx);
            // Deviations relative to each output's size (at least 1).
            static double Relative(Tensor a, Tensor b) => MaceTestSystems.MaxDiff(a, b) / Math.Max(1, MaceTestSystems.MaxAbs(b));
            worst = new[]
            {
                Relative(r.Energy, reference.Energy), Relative(r.Terms, reference.Terms), Relative(r.Forces, reference.Forces.matmul(g.T)),
                Relative(r.Density, reference.Density.matmul(d.T)), Relative(r.Fermi, reference.Fermi), Relative(r.Charge, reference.Charge),
                Relative(r.Dipole, reference.Dipole.matmul(g.T)), worst,
            }.Max();
        }
        output.WriteLine($"{update}/{embedding ?? "default"}/{nonlinearity}/{readout}/linear local {linearLocal}: E = "
            + $"{reference.Energy.item<double>():F6}, Q = {reference.Charge.item<double>():F6}, worst deviation {worst:E2}");
        Assert.True(worst < Tolerance, $"{worst}");
    }

    [Fact]
    public void ConvergedOutputsAreRotationEquivariant()
    {
        using var scope = NewDisposeScope();
        var hp = FixedPointTestSystems.Hyperparameters();
        var model = FixedPointTestSystems.Model(hp, 7);
        var inputs = FixedPointTestSystems.Molecule();
        var options = FixedPointTestSystems.TightScf();
        var reference = Run(model, inputs, options, ScfStatus.Converged);
        var g = Reference.Orthogonal(new System.Random(8), improper: false);
        var r = Run(model, inputs.WithGeometry(inputs.Graph.Positions.matmul(g.T), inputs.Graph.Cell) with
        {
            ExternalField = inputs.ExternalField!.matmul(g.T),
        }, options, ScfStatus.Converged);
        var d = WignerD.ForIrreps(hp.ChargesIrreps, g, VectorOrder.Yzx);
        double worst = new[]
        {
            MaceTestSystems.MaxDiff(r.Energy, reference.Energy), MaceTestSystems.MaxDiff(r.Forces, reference.Forces.matmul(g.T)),
            MaceTestSystems.MaxDiff(r.Density, reference.Density.matmul(d.T)), MaceTestSystems.MaxDiff(r.Fermi, reference.Fermi),
            MaceTestSystems.MaxDiff(r.Dipole, reference.Dipole.matmul(g.T)), MaceTestSystems.MaxDiff(r.Charge, reference.Charge),
        }.Max();
        output.WriteLine($"at convergence (constant charge, tolerance 1e-13): worst deviation {worst:E2}");
        Assert.True(worst < 1e-9, $"{worst}");
    }

    [Fact]
    public void OutputsAreTranslationInvariantAndPermutationEquivariant()
    {
        using var scope = NewDisposeScope();
        var hp = FixedPointTestSystems.Hyperparameters();
        var model = FixedPointTestSystems.Model(hp, 22);
        // Without an applied field: E·r_i makes a translation a shift of the potential.
        var inputs = FixedPointTestSystems.Molecule(charge: 0.0) with { ExternalField = null };
        var reference = Run(model, inputs);
        var shift = tensor(new[] { 0.7, -1.3, 2.1 }, dtype: float64);
        var t = Run(model, inputs.WithGeometry(inputs.Graph.Positions.Plus(shift), inputs.Graph.Cell));
        // P = Σ q r + Σ d moves by Q t (the SCF is stopped before Q reaches its target 0).
        var translations = new[]
        {
            MaceTestSystems.MaxDiff(t.Energy, reference.Energy), MaceTestSystems.MaxDiff(t.Forces, reference.Forces),
            MaceTestSystems.MaxDiff(t.Density, reference.Density), MaceTestSystems.MaxDiff(t.Dipole, reference.Dipole.Plus(reference.Charge.unsqueeze(1) * shift)),
        };
        double translation = translations.Max();
        var (positions, species) = MaceTestSystems.Molecule(5, 3);
        int[] perm = [3, 0, 4, 2, 1];
        var permutedPositions = new double[5, 3];
        for (int i = 0; i < 5; i++) for (int d = 0; d < 3; d++) permutedPositions[i, d] = positions[perm[i], d];
        var graph = MaceTestSystems.Inputs(permutedPositions, perm.Select(i => species[i]).ToArray(), null, skin: 0);
        var p = Run(model, inputs with { Graph = graph });
        var index = tensor(perm.Select(i => (long)i).ToArray());
        double permutation = new[]
        {
            MaceTestSystems.MaxDiff(p.Energy, reference.Energy), MaceTestSystems.MaxDiff(p.Forces, reference.Forces.index_select(0, index)),
            MaceTestSystems.MaxDiff(p.Density, reference.Density.index_select(0, index)), MaceTestSystems.MaxDiff(p.Fermi, reference.Fermi),
        }.Max();
        output.WriteLine($"translation {translation:E2}, permutation {permutation:E2}");
        Assert.True(translation < Tolerance && permutation < Tolerance);
    }
}
