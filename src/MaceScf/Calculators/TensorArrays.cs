using static TorchSharp.torch;

namespace MaceScf.Calculators;

/// Copies between tensors and .NET arrays.
static class TensorArrays
{
    /// A [N, k] tensor as double[N, k].
    public static double[,] ToMatrix(Tensor t)
    {
        var flat = t.detach().contiguous().to(float64).data<double>().ToArray();
        var matrix = new double[t.shape[0], t.shape[1]];
        Buffer.BlockCopy(flat, 0, matrix, 0, flat.Length * sizeof(double));
        return matrix;
    }
}
