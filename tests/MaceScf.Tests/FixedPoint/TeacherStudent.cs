using MaceScf.Data;
using MaceScf.Electrostatics;
using MaceScf.FixedPoint;
using MaceScf.Mace;
using MaceScf.Models;
using MaceScf.Synthetic;
using static TorchSharp.torch;

namespace MaceScf.Tests.FixedPoint;

/// A fixed-point model that represents the charges-only (L = 0) conductor teacher exactly, built by setting its output
/// weights rather than by training. With r_max below the shortest interatomic distance the backbone features depend on the
/// element only, so the one-body linear update is a per-element affine map Δq = a_Z + b_Z V̂. At stationarity the teacher's
/// charges are q_i = −(χ_i + v_i + μ)/(J_i + c_0) (features without the own Gaussian: its self-energy c_0 moves into the
/// hardness), with V̂ = (v_i + μ − μ_off)·s (s the feature of a unit potential, unit norms), so
/// a_Z = −(χ_Z + μ_off)/(J_Z + c_0) and b_Z = −1/(s (J_Z + c_0)). The update is linear in the weights of its last block
/// (`element_select_out`): they are the least-squares solution of the 2N conditions Δq_i(V̂ = 0) = a_Z − p_local,i and
/// Δq_i(V̂ = 1) = a_Z + b_Z − p_local,i, which is exact.
internal static class TeacherStudent
{
    public const double Sigma = 1.5, FermiLevelOffset = -2.6;

    /// The conductor teacher with charges only.
    public static readonly TeacherParameters Teacher = new()
    {
        Electrostatics = TeacherParameters.ForSmearingWidth(Sigma, BoundaryMethod.Realspace) with { DensityMaxL = 0, FieldFeatureMaxL = 0 },
    };

    /// <param name="atomicNumbers">the model's elements (default Na and K, the conductor's)</param>
    /// <param name="rMax">the backbone's cutoff: below the shortest interatomic distance of every structure it is used on</param>
    public static FixedPointModel Build(Configuration sample, int[]? atomicNumbers = null, double rMax = 3.0)
    {
        var hp = new FixedPointHyperparameters
        {
            Mace = new MaceHyperparameters
            {
                AtomicNumbers = atomicNumbers ?? [11, 19], RMax = rMax, NumBessel = 4, MaxEll = 1, HiddenIrreps = "4x0e+4x1o", Correlation = 1,
                NumInteractions = 1, RadialMlp = [4], MlpIrreps = "2x0e", AvgNumNeighbors = 1.0,
            },
            Electrostatics = new ElectrostaticsOptions
            {
                Method = BoundaryMethod.Realspace, SmearingWidth = Sigma, DensityMaxL = 0, FieldFeatureWidths = [Sigma], FieldFeatureMaxL = 0,
            },
            FermiLevelOffset = FermiLevelOffset,
        };
        random.manual_seed(17);
        var model = new FixedPointModel(hp);
        using var scope = NewDisposeScope();
        using var batch = GraphBatch.Build([sample], hp.Mace.RMax, new SpeciesTable(hp.Mace.AtomicNumbers));
        Assert.Equal(0, batch.EdgeIndex.shape[1]);
        using var geometry = model.Prepare(SystemInputs.FromBatch(batch));
        int n = sample.AtomCount;
        double unitPotential = geometry.Plan.ExternalFeatures(null, ones(n, dtype: float64))[0, 0].item<double>();
        var elements = sample.AtomicNumbers.Select(Teacher.Element).ToArray();
        var hardness = elements.Select(e => e.Hardness + GaussianMultipoleBasis.EnergySelfInteraction(0, Sigma)).ToArray();
        var a = elements.Select((e, i) => -(e.Electronegativity + FermiLevelOffset) / hardness[i]).ToArray();
        var b = hardness.Select(j => -1 / (unitPotential * j)).ToArray();
        var local = geometry.LocalDensity.select(1, 0).detach();
        var target = cat([tensor(a, dtype: float64) - local, tensor(a.Zip(b, (x, y) => x + y).ToArray(), dtype: float64) - local]);
        var weights = model.Update.named_parameters().Where(p => p.name.StartsWith("element_select_out")).Select(p => p.parameter).ToArray();
        var outputs = cat([model.Update.forward(geometry.Context, zeros(n, 1, dtype: float64)).select(1, 0),
            model.Update.forward(geometry.Context, ones(n, 1, dtype: float64)).select(1, 0)]);
        var rows = Enumerable.Range(0, 2 * n).Select(r => cat(autograd.grad([outputs[r]], weights, retain_graph: true, allow_unused: true)
            .Select((g, k) => (g ?? zeros_like(weights[k])).flatten()).ToArray())).ToArray();
        var jacobian = stack(rows);
        // The minimum-norm solution (the system has fewer conditions than weights); it must reproduce the targets exactly.
        var solution = linalg.pinv(jacobian).matmul(target);
        Assert.True((jacobian.matmul(solution) - target).abs().max().item<double>() < 1e-10, "the teacher is not representable");
        using (no_grad())
        {
            long offset = 0;
            foreach (var w in weights)
            {
                w.copy_(solution.narrow(0, offset, w.numel()).view_as(w));
                offset += w.numel();
            }
        }
        return model.Freeze();
    }
}
