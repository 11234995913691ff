using MaceScf.Data;
using MaceScf.Electrostatics;

namespace MaceScf.Synthetic;

/// Everything that defines the teacher's energy apart from the system's own topology: element
/// parameters, the Gaussian electrostatics and the short-range repulsion.
internal sealed record TeacherParameters
{
    /// H, O (water with q_O ≈ −0.7 e), and the metal-like Na and K of the conductor.
    public IReadOnlyList<TeacherElement> Elements { get; init; } =
    [
        new(1, Electronegativity: 4.5, Hardness: 4.0, Polarisability: 0.03, RepulsionRadius: 0.6),
        new(8, Electronegativity: 8.5, Hardness: 3.5, Polarisability: 0.10, RepulsionRadius: 1.4),
        new(11, Electronegativity: 3.0, Hardness: 3.0, Polarisability: 1.0, RepulsionRadius: 1.6),
        new(19, Electronegativity: 2.4, Hardness: 0.4, Polarisability: 1.5, RepulsionRadius: 2.0),
    ];

    /// The Gaussian-multipole electrostatics (L = 1). `auto` gives realspace for clusters, pbc for
    /// boxes and slab for slabs. The field-feature widths are set to σ so that they do not raise k_c.
    public ElectrostaticsOptions Electrostatics { get; init; } = ForSmearingWidth(1.5, BoundaryMethod.Auto);

    /// ε of the Born–Mayer repulsion (eV).
    public double RepulsionStrength { get; init; } = 0.1;

    /// ρ of the Born–Mayer repulsion (Å).
    public double RepulsionDecay { get; init; } = 0.3;

    /// Repulsion is switched off smoothly by ½(1 + cos πr/r_c) at r_c (Å).
    public double RepulsionCutoff { get; init; } = 5.0;

    /// Electrostatics options of the teacher for a smearing width σ and boundary method.
    public static ElectrostaticsOptions ForSmearingWidth(double sigma, BoundaryMethod method) => new()
    {
        SmearingWidth = sigma,
        DensityMaxL = 1,
        FieldFeatureWidths = [sigma],
        FieldFeatureMaxL = 1,
        Method = method,
    };

    /// The parameters of element Z.
    public TeacherElement Element(int atomicNumber) =>
        Elements.FirstOrDefault(e => e.AtomicNumber == atomicNumber)
        ?? throw new ArgumentException(
            $"the teacher has no parameters for {PeriodicTable.Symbol(atomicNumber)} (it knows {string.Join(", ", Elements.Select(e => PeriodicTable.Symbol(e.AtomicNumber)))})");
}
