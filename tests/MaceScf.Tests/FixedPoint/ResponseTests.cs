using MaceScf.FixedPoint;
using MaceScf.Models;
using MaceScf.Electrostatics;
using MaceScf.Equivariant;
using MaceScf.Tests.Equivariant;
using MaceScf.Tests.Mace;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.FixedPoint;

/// Born effective charges and polarizabilities by implicit differentiation of the converged SCF (docs/response.md): central
/// finite differences of the model's own dipole, the acoustic sum rule, rotation equivariance.
public sealed class ResponseTests(ITestOutputHelper output)
{
    const double Step = 1e-4;

    static Prediction Respond(FixedPointModel model, SystemInputs inputs, ScfOptions options) =>
        model.Predict(inputs, new PredictionRequest { Scf = options, Forces = false, BornCharges = true, Polarizability = true });

    static Tensor Dipole(FixedPointModel model, SystemInputs inputs, ScfOptions options)
    {
        var p = model.Evaluate(inputs, options, computeForces: false);
        Assert.True(p.Scf!.AllConverged);
        return p.Dipole!;
    }

    static double Relative(Tensor a, Tensor b) => MaceTestSystems.MaxDiff(a, b) / MaceTestSystems.MaxAbs(b);

    /// Z*·u (the dipole change per unit displacement u [N, 3]) and the central difference of P along u, at the solution's
    /// ensemble: constant charge, or constant Fermi level at the constant-charge solution's μ.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BornChargesAndPolarizabilitiesAreFiniteDifferencesOfTheDipole(bool constantCharge)
    {
        using var scope = NewDisposeScope();
        var model = FixedPointTestSystems.Model(FixedPointTestSystems.Hyperparameters(), 7);
        var charged = FixedPointTestSystems.Molecule();
        var options = FixedPointTestSystems.TightScf();
        var solution = Respond(model, charged, options);
        Assert.All(solution.Response!.Failure, Assert.Null);
        var inputs = constantCharge ? charged : charged with { FermiLevel = solution.FermiLevel };
        var ensemble = options with { ConstantCharge = constantCharge };
        var response = Respond(model, inputs, ensemble).Response!;
        var born = response.BornCharges!;
        var generator = new System.Random(5);
        double worstBorn = 0;
        for (int trial = 0; trial < 2; trial++)
        {
            var u = tensor(Enumerable.Range(0, (int)inputs.NumAtoms * 3).Select(_ => generator.NextDouble() - 0.5).ToArray(), dtype: float64)
                .view(-1, 3);
            var positions = inputs.Graph.Positions;
            var fd = (Dipole(model, inputs.WithGeometry(positions.Plus(u.Times(Step)), inputs.Graph.Cell), ensemble)
                      - Dipole(model, inputs.WithGeometry(positions - u.Times(Step), inputs.Graph.Cell), ensemble)).DividedBy((2 * Step));
            var analytic = (born * u.unsqueeze(1)).sum([0, 2]).unsqueeze(0);
            worstBorn = Math.Max(worstBorn, Relative(analytic, fd));
        }
        var alpha = constantCharge ? response.Polarizability! : response.PolarizabilityAtFermiLevel!;
        var columns = new Tensor[3];
        for (int b = 0; b < 3; b++)
        {
            var e = zeros(1, 3, dtype: float64);
            e[0, b] = Step;
            // α = ∂P/∂E with E = −external_field.
            columns[b] = (-(Dipole(model, inputs with { ExternalField = inputs.ExternalField!.Plus(e) }, ensemble)
                           - Dipole(model, inputs with { ExternalField = inputs.ExternalField! - e }, ensemble)).squeeze(0)).DividedBy((2 * Step));
        }
        var fdAlpha = stack(columns, 1).unsqueeze(0);
        string name = constantCharge ? "constant charge" : "constant Fermi level";
        output.Report($"{name}: max |Z*·u − ΔP/Δu| / max |ΔP/Δu|", worstBorn, 1e-6);
        output.Report($"{name}: max |α − ΔP/ΔE| / max |α|", Relative(alpha, fdAlpha), 1e-6);
        // Both ensembles linearised at the same solution agree with their own finite differences.
        output.Report("α from the other run's linearisation", Relative(constantCharge ? solution.Response!.Polarizability! : solution.Response!.PolarizabilityAtFermiLevel!, fdAlpha), 1e-6);
    }

    /// Translating every atom of a periodic structure changes nothing but P by Q t, so Σ_i Z*_i = Q·1: zero for a neutral
    /// structure at constant charge; at constant Fermi level Q is the solution's charge (what the reservoir gave it).
    [Fact]
    public void AcousticSumRuleIsTheTotalChargeTimesTheIdentity()
    {
        using var scope = NewDisposeScope();
        var model = FixedPointTestSystems.Model(FixedPointTestSystems.Hyperparameters(method: BoundaryMethod.Pbc), 8);
        var inputs = FixedPointTestSystems.Periodic();
        var neutral = Respond(model, inputs, FixedPointTestSystems.TightScf());
        var sum = neutral.Response!.BornCharges!.sum([0]);
        output.Report("constant charge, Q = 0: max |Σ_i Z*_i|", MaceTestSystems.MaxAbs(sum), 1e-9);
        Assert.True(MaceTestSystems.MaxAbs(neutral.Response.BornCharges!) > 1e-2);
        var reservoir = Respond(model, inputs with { FermiLevel = tensor(new[] { 0.7 }, dtype: float64) },
            FixedPointTestSystems.TightScf(constantCharge: false));
        double q = reservoir.TotalCharge!.item<double>();
        output.WriteLine($"constant Fermi level 0.7 V: Q = {q:F6} e");
        Assert.True(Math.Abs(q) > 1e-3);
        var expected = eye(3, dtype: float64).Times(q);
        output.Report("constant Fermi level: max |Σ_i Z*_i − Q·1|", MaceTestSystems.MaxDiff(reservoir.Response!.BornCharges!.sum([0]), expected), 1e-9);
    }

    /// Rotating structure and field by g rotates both tensors: Z*_i → g Z*_i gᵀ, α → g α gᵀ.
    [Fact]
    public void BornChargesAndPolarizabilitiesRotateWithTheStructure()
    {
        using var scope = NewDisposeScope();
        var model = FixedPointTestSystems.Model(FixedPointTestSystems.Hyperparameters(), 7);
        var inputs = FixedPointTestSystems.Molecule();
        var options = FixedPointTestSystems.TightScf();
        var reference = Respond(model, inputs, options).Response!;
        var g = Reference.Orthogonal(new System.Random(8), improper: false);
        var rotated = Respond(model, inputs.WithGeometry(inputs.Graph.Positions.matmul(g.T), inputs.Graph.Cell) with
        {
            ExternalField = inputs.ExternalField!.matmul(g.T),
        }, options).Response!;
        Tensor Rotate(Tensor t) => g.matmul(t).matmul(g.T);
        output.Report("Born charges: max |Z*(g r) − g Z* gᵀ| / max |Z*|", Relative(rotated.BornCharges!, Rotate(reference.BornCharges!)), 1e-9);
        output.Report("polarizability: max deviation / max |α|", Relative(rotated.Polarizability!, Rotate(reference.Polarizability!)), 1e-9);
        output.Report("at constant Fermi level", Relative(rotated.PolarizabilityAtFermiLevel!, Rotate(reference.PolarizabilityAtFermiLevel!)), 1e-9);
    }
}
