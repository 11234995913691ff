using static TorchSharp.torch;

namespace MaceScf.Electrostatics;

/// A correction added to the periodic reciprocal-space result of one structure (docs/math.md, "Boundary corrections").
interface IBoundaryCorrection
{
    Tensor Energy(Tensor p);
    /// Correction potential at each atom, [n].
    Tensor Potential(Tensor p);
    /// Correction to the field features, [n, F].
    Tensor Features(Tensor p);
}

/// Multipole moments of one structure's Gaussian density, Cartesian.
static class DensityMoments
{
    public static Tensor Charge(Tensor p) => p[.., 0].sum();

    /// P = Σ q_i r_i + Σ d_i.
    public static Tensor Dipole(Tensor p, Tensor positions)
    {
        var q = p[.., 0].unsqueeze(1);
        var dipole = (q * positions).sum(0L);
        return p.shape[1] > 1 ? dipole.Plus(RealSpaceSum.CartesianDipoles(p).sum(0L)) : dipole;
    }
}

/// Yeh–Berkowitz dipole correction for a slab periodic in x, y with vacuum along z:
/// ΔE = P_z²/(2ε0Ω), potential (P_z/ε0Ω)·z (docs/math.md, "Boundary corrections").
sealed class SlabCorrection(Tensor positions, Tensor volume, Tensor projection) : IBoundaryCorrection
{
    Tensor FieldStrength(Tensor p) => DensityMoments.Dipole(p, positions)[2].Times(CoulombConstants.FieldConstant) / volume;

    public Tensor Energy(Tensor p)
    {
        var pz = DensityMoments.Dipole(p, positions)[2];
        return pz.Squared().Times(CoulombConstants.FieldConstant) / volume.Times(2);
    }

    public Tensor Potential(Tensor p) => FieldStrength(p) * positions[.., 2];

    public Tensor Features(Tensor p)
    {
        var ez = FieldStrength(p);
        var z = positions[.., 2];
        var zero = zeros_like(z);
        var fields = stack(new[] { ez * z, zero, zero, ez.expand_as(z) }, 1);
        return fields.matmul(projection);
    }
}

/// Makov–Payne energy and Dabo potential for a finite system in a periodic box (docs/math.md, "Boundary corrections"),
/// with L = Ω^{1/3} and the second moment including the Gaussians' spread, Σ 3σ² q_i
/// (docs/math.md, "SCF at constant charge"). V_c(r) = αk_eQ/L − βQ|r|² + 2βP·r − βΘ, β = 2πk_e/(3Ω).
sealed class MoleculeInBoxCorrection(Tensor positions, Tensor volume, double sigma, Tensor projection, Tensor centredSquare)
    : IBoundaryCorrection
{
    const double Ke = CoulombConstants.CoulombConstant;

    Tensor Beta => (2 * Math.PI * Ke).Over(volume.Times(3));
    Tensor BoxLength => volume.Power(1.0 / 3.0);

    /// Θ = Σ q_i (|r_i|² + 3σ²) + 2 Σ d_i·r_i.
    Tensor SecondMoment(Tensor p)
    {
        var q = p[.., 0];
        var theta = (q * positions.Squared().sum(1).Plus(3 * sigma * sigma)).sum();
        return p.shape[1] > 1 ? theta.Plus((RealSpaceSum.CartesianDipoles(p) * positions).sum().Times(2)) : theta;
    }

    public Tensor Energy(Tensor p)
    {
        var q = DensityMoments.Charge(p);
        var dipole = DensityMoments.Dipole(p, positions);
        return (q.Squared().Times(0.5 * CoulombConstants.CubicMadelung * Ke) / BoxLength)
            .Plus(Beta * (dipole.Squared().sum() - q * SecondMoment(p)));
    }

    public Tensor Potential(Tensor p)
    {
        var q = DensityMoments.Charge(p);
        var dipole = DensityMoments.Dipole(p, positions);
        return (q.Times(CoulombConstants.CubicMadelung * Ke) / BoxLength - Beta * q * positions.Squared().sum(1))
            .Plus(Beta.Times(2) * positions.matmul(dipole)) - Beta * SecondMoment(p);
    }

    public Tensor Features(Tensor p)
    {
        var q = DensityMoments.Charge(p);
        var dipole = DensityMoments.Dipole(p, positions);
        var gradient = Beta.Times(2) * (dipole.unsqueeze(0) - q * positions);
        var fields = cat(new[] { Potential(p).unsqueeze(1), gradient }, 1);
        // −βQ|r|² projected about r_i also gives −βQ·3σf² in the l=0 slots.
        return fields.matmul(projection) - Beta * q * centredSquare;
    }
}
