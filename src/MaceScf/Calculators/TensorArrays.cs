using static TorchSharp.torch;

namespace MaceScf.Calculators;

/// Copies between tensors and .NET arrays.
static class TensorArrays
{
    /// Any tensor's values, flattened, as float64.
    public static double[] Doubles(Tensor t) => t.detach().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();

    /// Rows firstRow … firstRow + rows − 1 of a row-major flat array with the given number of columns.
    public static double[,] Rows(double[] flat, int firstRow, int rows, int columns)
    {
        var a = new double[rows, columns];
        Buffer.BlockCopy(flat, firstRow * columns * sizeof(double), a, 0, rows * columns * sizeof(double));
        return a;
    }

    /// A [N, k] tensor as double[N, k].
    public static double[,] ToMatrix(Tensor t)
    {
        var flat = t.detach().contiguous().to(float64).data<double>().ToArray();
        var matrix = new double[t.shape[0], t.shape[1]];
        Buffer.BlockCopy(flat, 0, matrix, 0, flat.Length * sizeof(double));
        return matrix;
    }
}
