using MaceScf.Electrostatics;
using MaceScf.FixedPoint;
using static TorchSharp.torch;

namespace MaceScf.Tests.FixedPoint;

/// A one-body linear update with a hand-set response on a realspace 2-structure batch:
/// Δp_i0 = a_i − χ_i V̂_i(l=0, σ1), Δp_i,m = −β V̂_i(l=1, σ1, m); V̂ = features(p) + √(4π) μ_i (no normalisation).
internal sealed class LinearResponseMap : IFixedPointMap, IDisposable
{
    public static readonly double[,] Positions =
    {
        { 0.0, 0.0, 0.0 }, { 1.6, 0.3, -0.2 }, { -0.4, 1.5, 0.5 }, { 2.1, 1.9, 0.4 }, // structure 0
        { 5.0, 5.0, 5.0 }, { 6.7, 5.2, 4.6 }, { 5.3, 6.6, 5.5 },                      // structure 1
    };
    public static readonly long[] BatchIndex = [0, 0, 0, 0, 1, 1, 1];

    public LinearResponseMap(double chi = 0.01, double beta = 0.005, double secondStructureScale = 1.0)
    {
        Options = new ElectrostaticsOptions { Method = BoundaryMethod.Realspace, FieldFeatureWidths = [1.0, 2.0] };
        Batch = tensor(BatchIndex);
        Plan = new ElectrostaticsPlan(Options, tensor(Positions, dtype: float64), batch: Batch);
        int n = BatchIndex.Length;
        var rng = new System.Random(5);
        LocalDensity = tensor(Enumerable.Range(0, n * 4).Select(_ => 0.3 * (rng.NextDouble() - 0.5)).ToArray(), dtype: float64).view(n, 4);
        Offset = tensor(Enumerable.Range(0, n).Select(_ => 0.1 * (rng.NextDouble() - 0.5)).ToArray(), dtype: float64);
        Chi = tensor(Enumerable.Range(0, n).Select(i => chi * (1 + 0.5 * (i % 3)) * (BatchIndex[i] == 1 ? secondStructureScale : 1)).ToArray(), dtype: float64);
        Beta = beta;
    }

    public ElectrostaticsOptions Options { get; }
    public ElectrostaticsPlan Plan { get; }
    public Tensor LocalDensity { get; }
    public Tensor Offset { get; }
    public Tensor Chi { get; }
    public double Beta { get; }
    public Tensor Batch { get; }
    public int NumGraphs => 2;
    public int Calls { get; private set; }

    public Tensor Features(Tensor density, Tensor fermiLevel) => Plan.FieldFeatures(density).Plus(Plan.ExternalFeatures(null, fermiLevel));

    public ScfStep Step(Tensor density, Tensor fermiLevel)
    {
        Calls++;
        var v = Features(density, fermiLevel);
        var charge = Offset - Chi * v[.., 0];
        var dipole = v[.., 2..5].Times(-Beta);
        return new ScfStep(cat([charge.unsqueeze(1), dipole], 1), v);
    }

    /// The affine fixed point solved directly: p = p_local + a + B(J p + m μ) (and Σ_G q = Q_G when <paramref name="charge"/>
    /// is given, with μ_G unknown). Returns (p [N, 4], μ [G]).
    public (Tensor Density, Tensor Fermi) SolveDirectly(double[] fermi, double[]? charge)
    {
        int n = BatchIndex.Length, k = 4, nk = n * k, g = NumGraphs;
        // Feature Jacobian J [N·F, N·K] column by column (the features are linear in p).
        var columns = new List<Tensor>();
        for (int c = 0; c < nk; c++)
        {
            var e = zeros(nk, dtype: float64);
            e[c] = 1.0;
            columns.Add(Plan.FieldFeatures(e.view(n, k)).reshape(-1));
        }
        var jac = stack(columns, 1);
        int f = (int)(jac.shape[0] / n);
        // Response B [N·K, N·F]: rows (i, 0) ← −χ_i col (i, 0); rows (i, 1..3) ← −β cols (i, 2..4).
        var b = zeros(nk, n * f, dtype: float64);
        var chi = Chi.data<double>().ToArray();
        for (int i = 0; i < n; i++)
        {
            b[i * k, i * f] = -chi[i];
            for (int m = 0; m < 3; m++) b[i * k + 1 + m, i * f + 2 + m] = -Beta;
        }
        // ∂V̂/∂μ_G: √(4π) on every l = 0 feature of the structure's atoms.
        var dv = zeros(n * f, g, dtype: float64);
        for (int i = 0; i < n; i++)
            for (int s = 0; s < 2; s++) dv[i * f + s, BatchIndex[i]] = Math.Sqrt(4 * Math.PI);
        var constant = LocalDensity.reshape(-1).Plus(cat([Offset.unsqueeze(1), zeros(n, 3, dtype: float64)], 1).reshape(-1));
        var a = eye(nk, dtype: float64) - b.matmul(jac);
        var bm = b.matmul(dv);
        var mu = tensor(fermi, dtype: float64);
        if (charge is null)
        {
            var p = linalg.solve(a, constant.Plus(bm.matmul(mu)));
            return (p.view(n, k), mu);
        }
        // Unknowns [p, μ]: (I − BJ) p − B m μ = c; Σ_{i∈G} p_i0 = Q_G.
        var sum = zeros(g, nk, dtype: float64);
        for (int i = 0; i < n; i++) sum[BatchIndex[i], i * k] = 1.0;
        var top = cat([a, -bm], 1);
        var bottom = cat([sum, zeros(g, g, dtype: float64)], 1);
        var x = linalg.solve(cat([top, bottom], 0), cat([constant, tensor(charge, dtype: float64)], 0));
        return (x[..nk].view(n, k), x[nk..]);
    }

    public void Dispose() => Plan.Dispose();
}
