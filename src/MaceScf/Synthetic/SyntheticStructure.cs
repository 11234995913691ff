namespace MaceScf.Synthetic;

/// One generated structure and its electronic conditions: geometry, molecules and bonded
/// topology, applied field and the electron constraint.
internal sealed record SyntheticStructure
{
    public required int[] AtomicNumbers { get; init; }

    /// Cartesian positions [N, 3] in Å; molecules are whole (not wrapped).
    public required double[,] Positions { get; init; }

    /// Rows are lattice vectors (Å). Clusters also get a large box for molecule_in_box training.
    public required double[,] Cell { get; init; }

    public required bool[] Pbc { get; init; }

    /// Molecule (fragment) of each atom; atoms of the same molecule do not repel each other.
    public required int[] Molecules { get; init; }

    public IReadOnlyList<Bond> Bonds { get; init; } = [];

    public IReadOnlyList<BondAngle> Angles { get; init; } = [];

    /// Gradient of the applied potential (V/Å), the library's external_field convention.
    public double[] ExternalField { get; init; } = new double[3];

    /// With <see cref="Electrodes"/>, the constraint of the electrolyte region alone.
    public required ElectronConstraint Constraint { get; init; }

    /// Electrodes held at their own Fermi levels, or null.
    public TeacherElectrodes? Electrodes { get; init; }

    /// config_dipole_weight: 1 1 1 for clusters, 0 0 1 for slabs, 0 0 0 for bulk.
    public required double[] DipoleWeights { get; init; }

    public int AtomCount => AtomicNumbers.Length;
}
