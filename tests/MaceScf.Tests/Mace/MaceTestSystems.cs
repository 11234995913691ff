using MaceScf.Data;
using MaceScf.Equivariant;
using MaceScf.Mace;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Tests.Mace;

/// Small models and structures for the backbone tests (float64, few atoms, few channels).
internal static class MaceTestSystems
{
    public const double RMax = 3.0;

    /// Edges are searched with this margin beyond r_max so that small displacements keep the same graph (edges beyond r_max
    /// contribute exactly zero: the envelope vanishes and the radial MLP has no biases).
    public const double Skin = 0.5;

    public static MaceHyperparameters Hyperparameters(string first = InteractionKinds.Residual, bool keepLastLayerIrreps = false,
        VectorOrder order = VectorOrder.Xyz) => new()
    {
        AtomicNumbers = [1, 8],
        RMax = RMax,
        NumBessel = 4,
        MaxEll = 3,
        HiddenIrreps = "4x0e+4x1o",
        Correlation = 3,
        NumInteractions = 2,
        RadialMlp = [8, 8],
        MlpIrreps = "4x0e",
        InteractionFirst = first,
        AvgNumNeighbors = 3.0,
        E0s = new Dictionary<int, double> { [1] = -13.6, [8] = -432.1 },
        KeepLastLayerIrreps = keepLastLayerIrreps,
        EdgeVectorOrder = order,
    };

    public static MaceModel Model(int seed, string first = InteractionKinds.Residual, bool keepLastLayerIrreps = false,
        VectorOrder order = VectorOrder.Xyz)
    {
        torch.random.manual_seed(seed);
        return new MaceModel(Hyperparameters(first, keepLastLayerIrreps, order));
    }

    /// A molecule of <paramref name="n"/> atoms with pairwise distances ≥ 0.9 Å inside a 3 Å box, and its species.
    public static (double[,] Positions, long[] Species) Molecule(int n, int seed)
    {
        var rng = new System.Random(seed);
        var positions = new double[n, 3];
        for (int i = 0; i < n; i++)
        {
            while (true)
            {
                for (int d = 0; d < 3; d++) positions[i, d] = 3.0 * rng.NextDouble();
                bool ok = true;
                for (int j = 0; j < i && ok; j++)
                {
                    double r2 = 0;
                    for (int d = 0; d < 3; d++) r2 += Math.Pow(positions[i, d] - positions[j, d], 2);
                    ok = r2 > 0.81;
                }
                if (ok) break;
            }
        }
        var species = Enumerable.Range(0, n).Select(i => (long)(i % 3 == 0 ? 1 : 0)).ToArray();
        return (positions, species);
    }

    /// A triclinic periodic cell (rows are lattice vectors) small enough for self-images within r_max.
    public static double[,] TriclinicCell() => new double[,] { { 3.2, 0, 0 }, { 0.5, 3.4, 0 }, { -0.3, 0.4, 3.6 } };

    /// Inputs of one structure; edges within r_max + skin.
    public static MaceInputs Inputs(double[,] positions, long[] species, double[,]? cell, double skin = Skin)
    {
        bool periodic = cell is not null;
        var list = NeighbourList.Build(positions, cell, [periodic, periodic, periodic], RMax + skin);
        int e = list.EdgeCount, n = species.Length;
        var edgeIndex = new long[2 * e];
        var shifts = new double[3 * e];
        for (int k = 0; k < e; k++)
        {
            edgeIndex[k] = list.Senders[k];
            edgeIndex[e + k] = list.Receivers[k];
            for (int d = 0; d < 3; d++) shifts[3 * k + d] = list.UnitShifts[k, d];
        }
        var cellValues = new double[9];
        if (cell is not null) Buffer.BlockCopy(cell, 0, cellValues, 0, 9 * sizeof(double));
        return new MaceInputs(
            Tensor2D(positions),
            torch.tensor(species),
            torch.tensor(edgeIndex, [2, e]),
            torch.tensor(shifts, [e, 3], dtype: ScalarType.Float64),
            torch.tensor(cellValues, [1, 3, 3], dtype: ScalarType.Float64),
            torch.zeros(n, dtype: ScalarType.Int64),
            1);
    }

    public static Tensor Tensor2D(double[,] values)
    {
        var flat = new double[values.Length];
        Buffer.BlockCopy(values, 0, flat, 0, values.Length * sizeof(double));
        return torch.tensor(flat, [values.GetLength(0), values.GetLength(1)], dtype: ScalarType.Float64);
    }

    public static double[,] ToArray2D(Tensor t)
    {
        var data = t.contiguous().data<double>().ToArray();
        var a = new double[t.shape[0], t.shape[1]];
        Buffer.BlockCopy(data, 0, a, 0, data.Length * sizeof(double));
        return a;
    }

    public static double Energy(MaceModel model, MaceInputs inputs)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        return model.forward(inputs).Energy.sum().item<double>();
    }

    public static double MaxAbs(Tensor t) => t.abs().max().to_type(ScalarType.Float64).item<double>();

    public static double MaxDiff(Tensor a, Tensor b) => (a - b).abs().max().to_type(ScalarType.Float64).item<double>();
}
