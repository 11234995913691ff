using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Equivariant;

/// Conversions between e3nn's "mul_ir" layout [B, Σ mul·(2l+1)] and the component-major layout [B, Σ(2l+1), C] used
/// inside the kernels, for irreps whose segments all have multiplicity C.
internal static class IrrepsLayout
{
    /// [B, dim] (mul_ir) → [B, Σ_s (2l_s+1), C].
    public static Tensor ToComponentMajor(Tensor x, Irreps irreps)
    {
        int c = RequireUniform(irreps);
        long b = x.shape[0];
        var parts = new Tensor[irreps.Count];
        var offsets = irreps.Offsets();
        for (int s = 0; s < irreps.Count; s++)
        {
            int d = irreps[s].Ir.Dim;
            parts[s] = x.narrow(1, offsets[s], c * d).view(b, c, d).transpose(1, 2);
        }
        return parts.Length == 1 ? parts[0].contiguous() : torch.cat(parts, 1);
    }

    /// [B, Σ_s (2l_s+1), C] → [B, dim] (mul_ir).
    public static Tensor FromComponentMajor(Tensor x, Irreps irreps)
    {
        int c = RequireUniform(irreps);
        long b = x.shape[0];
        var parts = new Tensor[irreps.Count];
        int row = 0;
        for (int s = 0; s < irreps.Count; s++)
        {
            int d = irreps[s].Ir.Dim;
            parts[s] = x.narrow(1, row, d).transpose(1, 2).reshape(b, c * d);
            row += d;
        }
        return parts.Length == 1 ? parts[0] : torch.cat(parts, 1);
    }

    /// [B, dim] (mul_ir) → [B, C, Σ_s (2l_s+1)] (MACE's reshape_irreps).
    public static Tensor ToChannelMajor(Tensor x, Irreps irreps)
    {
        int c = RequireUniform(irreps);
        long b = x.shape[0];
        var offsets = irreps.Offsets();
        var parts = new Tensor[irreps.Count];
        for (int s = 0; s < irreps.Count; s++)
            parts[s] = x.narrow(1, offsets[s], c * irreps[s].Ir.Dim).view(b, c, irreps[s].Ir.Dim);
        return parts.Length == 1 ? parts[0] : torch.cat(parts, 2);
    }

    /// [B, C, Σ_s (2l_s+1)] → [B, dim] (mul_ir).
    public static Tensor FromChannelMajor(Tensor x, Irreps irreps)
    {
        int c = RequireUniform(irreps);
        long b = x.shape[0];
        var parts = new Tensor[irreps.Count];
        int col = 0;
        for (int s = 0; s < irreps.Count; s++)
        {
            int d = irreps[s].Ir.Dim;
            parts[s] = x.narrow(2, col, d).reshape(b, c * d);
            col += d;
        }
        return parts.Length == 1 ? parts[0] : torch.cat(parts, 1);
    }

    internal static int RequireUniform(Irreps irreps) =>
        irreps.UniformMultiplicity() ?? throw new ArgumentException($"All segments of '{irreps}' must have the same multiplicity.");
}
