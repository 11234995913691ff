namespace MaceScf.Models;

/// The model classes of `macescf train --model`, named as in the Python `run_train` (docs/training.md, "Model classes").
internal enum ModelClass
{
    /// The fixed-point SCF model.
    FixedPoint,
    /// Plain MACE: ScaleShiftMACE with shift 0 and scale = std, first interaction non-residual.
    MACE,
    /// MACE with shift = mean and scale = std of the per-atom interaction energies.
    ScaleShiftMACE,
    /// MACE plus the Coulomb energy of multipoles predicted once from local features.
    LocalCharges,
    /// Formal charges plus charge transfers on neighbour edges (total charge conserved).
    LocalSplitCharges,
    /// MACE plus the Coulomb energy of fixed per-species charges.
    FixedChargeBaselinedMACE,
    /// Charge equilibration: electronegativities from MACE, charges from a constrained linear solve.
    MACEQEq,
}

/// Names and properties of the model classes.
internal static class ModelClasses
{
    /// Every class name, in the order of the Python `--model` choices list.
    public static IReadOnlyList<string> Names { get; } = Enum.GetNames<ModelClass>();

    public static ModelClass Parse(string name) => Enum.TryParse<ModelClass>(name, ignoreCase: false, out var c) && Names.Contains(name)
        ? c
        : throw new ArgumentException($"unknown model class '{name}'; one of {string.Join(", ", Names)}");

    /// The plain MACE classes (no electrostatics).
    public static bool IsPlainMace(this ModelClass c) => c is ModelClass.MACE or ModelClass.ScaleShiftMACE;
}
