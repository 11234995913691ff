using static TorchSharp.torch;

namespace MaceScf.Electrostatics;

/// The reciprocal-space (periodic) Coulomb interaction of Gaussian multipoles in one cell, including
/// each Gaussian's interaction with itself and its images; the mean potential of the cell is zero.
/// Implemented by the direct sum (<see cref="ReciprocalSpaceSum"/>) and particle-mesh Ewald.
interface IReciprocalSum : IDisposable
{
    /// Half-space k-vectors of the direct sum, or grid wave vectors of the mesh (half spectrum).
    int KVectorCount { get; }

    /// E = 1/(2Ωε0) Σ_{k≠0} |S(k)|²/k².
    Tensor Energy(Tensor p);

    /// Projections of the potential on the receiver basis, [n, F] in output layout.
    Tensor Features(Tensor p);

    /// Potential at the atoms, [n].
    Tensor Potential(Tensor p);
}
