namespace MaceScf.Synthetic;

/// Harmonic bond ½ k (r_ij − r0)² (k in eV/Å², lengths in Å).
internal readonly record struct Bond(int I, int J, double Length, double Stiffness);

/// Angle term k (cos θ_ijk − cos θ0)², θ at the central atom J (k in eV); the cosine form has
/// no singularity at linear geometries.
internal readonly record struct BondAngle(int I, int J, int K, double CosAngle, double Stiffness);
