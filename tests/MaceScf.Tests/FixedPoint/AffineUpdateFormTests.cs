using MaceScf.Electrostatics;
using MaceScf.FixedPoint;
using MaceScf.Models;
using MaceScf.Tests.Mace;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.FixedPoint;

/// The SCF's graph-free steps evaluate a one-body update without a non-linearity as Δp_i = A_i V̂_i + c_i
/// (<see cref="FixedPointUpdate.PerAtomAffineForm"/>): the form exists exactly for those updates, reproduces the update's
/// blocks, and the SCF, energy, forces and stress with it equal those through the blocks.
public class AffineUpdateFormTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(BlockNames.OneBodyVariableUpdate, BlockNames.BiasedLinearPotentialEmbedding, BlockNames.NoNonLinearity, true)]
    [InlineData(BlockNames.OneBodyVariableUpdate, BlockNames.LinearPotentialEmbedding, BlockNames.NoNonLinearity, true)]
    [InlineData(BlockNames.OneBodyVariableUpdate, BlockNames.BiasedLinearPotentialEmbedding, BlockNames.MLPNonLinearity, false)]
    [InlineData(BlockNames.ManyBodyUpdate, BlockNames.LinearPotentialEmbedding, BlockNames.NoNonLinearity, false)]
    public void TheFormExistsForOneBodyAffineUpdatesAndEqualsTheUpdate(string update, string embedding, string nonlinearity, bool hasForm)
    {
        using var scope = NewDisposeScope();
        var hp = FixedPointTestSystems.Hyperparameters(update, embedding, nonlinearity);
        var model = FixedPointTestSystems.Model(hp, 7);
        using var geometry = model.Prepare(FixedPointTestSystems.Molecule());
        var updateRule = FixedPointUpdate.Create(hp, float64);
        random.manual_seed(11);
        foreach (var p in updateRule.parameters()) p.detach().copy_(randn_like(p));
        using var noGrad = no_grad();
        var form = updateRule.PerAtomAffineForm(geometry.Context, 8);
        Assert.Equal(hasForm, form is not null);
        if (form is not { } f) return;
        var features = randn(geometry.Context.NumNodes, 8, dtype: float64).Times(3);
        var direct = updateRule.forward(geometry.Context, features);
        var affine = f.Offset.Plus(f.Matrix.bmm(features.unsqueeze(2)).squeeze(2));
        output.Report($"{update}/{embedding}: max |A V̂ + c − U(V̂)| / max |U|", MaceTestSystems.MaxDiff(affine, direct) / MaceTestSystems.MaxAbs(direct), 1e-12);
    }

    [Theory]
    [InlineData(true, BoundaryMethod.Pbc)]
    [InlineData(false, BoundaryMethod.Pbc)]
    [InlineData(true, BoundaryMethod.Realspace)]
    public void ScfEnergyForcesAndStressEqualThoseThroughTheUpdateBlocks(bool constantCharge, BoundaryMethod method)
    {
        using var scope = NewDisposeScope();
        var model = FixedPointTestSystems.Model(FixedPointTestSystems.Hyperparameters(method: method), 8);
        var inputs = method == BoundaryMethod.Pbc ? FixedPointTestSystems.Periodic() : FixedPointTestSystems.Molecule();
        var request = new PredictionRequest { Scf = FixedPointTestSystems.TightScf(constantCharge), Forces = true, Stress = method == BoundaryMethod.Pbc };
        var withForm = model.Predict(inputs, request);
        model.AffineUpdateForm = false;
        var blocks = model.Predict(inputs, request);
        Assert.Equal(ForcesMethod.Implicit, withForm.Derivation!.Method);
        Assert.True(withForm.Scf!.AllConverged);
        output.WriteLine($"updates {withForm.Scf.Steps[0]} / {blocks.Scf!.Steps[0]}");
        Assert.Equal(blocks.Scf.Steps, withForm.Scf.Steps);
        output.Report("max |p_form − p_blocks|", MaceTestSystems.MaxDiff(withForm.Density!, blocks.Density!), 1e-12);
        output.Report("|μ_form − μ_blocks| (V)", MaceTestSystems.MaxDiff(withForm.FermiLevel!, blocks.FermiLevel!), 1e-12);
        output.Report("|E_form − E_blocks| (eV)", MaceTestSystems.MaxDiff(withForm.Energy, blocks.Energy), 1e-10);
        output.Report("max |F_form − F_blocks| (eV/Å)", MaceTestSystems.MaxDiff(withForm.Forces!, blocks.Forces!), 1e-10);
        if (request.Stress) output.Report("max |σ_form − σ_blocks|", MaceTestSystems.MaxDiff(withForm.Stress!, blocks.Stress!), 1e-10);
        if (constantCharge) output.Report("|Q − Q_target| (e)", Math.Abs(withForm.TotalCharge!.sum().item<double>() - inputs.TotalCharge!.sum().item<double>()), 1e-12);
    }

    /// Without a graph the charge response g_i = ∂(Σ_j Δp_j0)/∂μ_i of an update with an affine form is read from the form (no
    /// autograd); it equals the vector–Jacobian product through the update's blocks, and so does Δp.
    [Theory]
    [InlineData(BoundaryMethod.Pbc)]
    [InlineData(BoundaryMethod.Realspace)]
    public void TheChargeResponseFromTheFormEqualsTheOneThroughTheBlocks(BoundaryMethod method)
    {
        using var scope = NewDisposeScope();
        var model = FixedPointTestSystems.Model(FixedPointTestSystems.Hyperparameters(method: method), 8);
        var inputs = method == BoundaryMethod.Pbc ? FixedPointTestSystems.Periodic() : FixedPointTestSystems.Molecule();
        using var withForm = model.Prepare(inputs);
        model.AffineUpdateForm = false;
        using var blocks = model.Prepare(inputs);
        random.manual_seed(12);
        var density = randn_like(withForm.LocalDensity).Times(0.1);
        var fermi = randn(withForm.LocalDensity.shape[0], dtype: float64).Times(0.3);
        var (formUpdate, formResponse) = withForm.ChargeResponse(density, fermi, createGraph: false);
        var (blockUpdate, blockResponse) = blocks.ChargeResponse(density, fermi, createGraph: false);
        Assert.False(formResponse.requires_grad);
        Assert.True(blockResponse.abs().max().item<double>() > 1e-3, "the response is not trivially zero");
        output.Report("max |g_form − g_blocks| / max |g|", MaceTestSystems.MaxDiff(formResponse, blockResponse) / MaceTestSystems.MaxAbs(blockResponse), 1e-12);
        output.Report("max |Δp_form − Δp_blocks| / max |Δp|", MaceTestSystems.MaxDiff(formUpdate, blockUpdate) / MaceTestSystems.MaxAbs(blockUpdate), 1e-12);
    }
}
