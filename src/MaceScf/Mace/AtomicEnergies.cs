using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Mace;

/// Per-element reference energies E0 (isolated-atom energies), a fixed buffer `atomic_energies` [Z].
internal sealed class AtomicEnergies : nn.Module
{
    public AtomicEnergies(IReadOnlyList<double> energies, ScalarType dtype = ScalarType.Float64) : base(nameof(AtomicEnergies))
    {
        register_buffer("atomic_energies", torch.tensor(energies.ToArray(), dtype: dtype));
    }

    public Tensor Values => get_buffer("atomic_energies")!;

    /// E0 of every node [N] from its one-hot element attributes [N, Z].
    public Tensor NodeEnergies(Tensor nodeAttrs) => nodeAttrs.matmul(Values.to_type(nodeAttrs.dtype));
}
