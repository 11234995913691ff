namespace MaceScf.Electrostatics;

/// What a structure's electrostatics will hold in memory, estimated before anything is allocated, and the checks
/// made with it (docs/errors.md, "Memory"): the k-space sum of a cell, the realspace pair blocks, and the machine's
/// available memory. A structure whose estimate does not fit is refused with its k-vector count, the estimate and
/// what to change, instead of being killed by the kernel or failing inside libtorch.
static class ElectrostaticsMemory
{
    /// A molecule_in_box structure needing more k-vectors than this is evaluated with realspace (open boundaries, the
    /// limit molecule_in_box approaches as the box grows) when its box is far larger than the molecule.
    public const long MoleculeInBoxKVectorLimit = 200_000;

    /// "Far larger": every width of the box is at least this many times the molecule's extent plus the Gaussians' reach.
    public const double FarLargerFactor = 2.0;

    /// Fraction of the available memory a single plan may take.
    public const double UsableFraction = 0.8;

    /// Half-space k-vectors with |k| ≤ k_c in a cell of volume Ω: (4π/3) k_c³ Ω / (2 (2π)³) = Ω k_c³ / (12π²).
    public static double KVectorEstimate(double volume, double kCutoff) =>
        volume * kCutoff * kCutoff * kCutoff / (12 * Math.PI * Math.PI);

    /// Bytes of a k-space plan: per k-vector cos and sin of n atoms (stored and saved for the gradient, 4n), the source
    /// and receiver transforms (4C + 8F) and the vectors, indices, weights and the temporaries of building them (96), all
    /// float64 (measured: 3.6 GB peak for 2.8 M k-vectors, 3 atoms, C = 1, F = 8; the formula gives 3.7 GB).
    public static double KspaceBytes(double kVectors, long atoms, ElectrostaticsOptions options) =>
        8 * kVectors * (4.0 * atoms + 4.0 * options.DensityCoefficientCount + 8.0 * options.FieldFeatureCount + 96);

    /// Bytes of a particle-mesh Ewald plan and one evaluation with forces, for a grid K₁×K₂×K₃ and spline order o:
    /// per half-spectrum wave vector (M = K₁K₂(⌊K₃/2⌋+1)) the kernels kept (1 + H + W float64, H = (max(L, L_f)+1)²
    /// harmonics, W = 1 + widths Gaussians), the real grids and complex spectra of the channels (2C) and features (2F) of
    /// an evaluation, and 99 more for the transients of the forward and backward passes and the allocator's fragmentation
    /// over repeated evaluations; per stencil entry of one block of atoms (<see cref="BSplineStencil"/>: nothing per atom is
    /// kept) the weights, indices and their gradients (20); per atom the positions, densities, features and their gradients
    /// (16 + 2C + 2F). Fitted to the peak resident memory of energy + forces of 1,000–100,000 atoms measured at 0.85–1.0
    /// times it (docs/errors.md, "Memory"). Evaluations at a fixed geometry (the SCF's steps and implicit products) keep every
    /// block's weights and indices, <see cref="BSplineStencil.KeptBytes"/> = 16·o³ bytes per atom (8 KB at order 8), which this
    /// estimate of one evaluation with forces leaves out: the stencil estimates it before keeping anything and keeps it only
    /// within <see cref="BSplineStencil.KeptFraction"/> of the available memory.
    public static double ParticleMeshBytes(IReadOnlyList<long> grid, long atoms, int order, ElectrostaticsOptions options)
    {
        double halfSpectrum = (double)grid[0] * grid[1] * (grid[2] / 2 + 1);
        int lMax = Math.Max(options.DensityMaxL, options.FieldFeatureMaxL);
        int harmonics = (lMax + 1) * (lMax + 1), gaussians = 1 + options.FieldFeatureWidths.Count;
        int c = options.DensityCoefficientCount, f = options.FieldFeatureCount;
        var stencil = new BSplineStencil([.. grid], order, atoms);
        double blockEntries = Math.Min(atoms, stencil.BlockAtoms) * Math.Pow(order, 3);
        return 8 * (halfSpectrum * (100 + harmonics + gaussians + 2 * c + 2 * f) + blockEntries * 20 + atoms * (16 + 2 * c + 2 * f));
    }

    /// Bytes of the realspace blocks: kept blocks hold about 20 float64 per pair (indices, separations and the
    /// kernels); rebuilt blocks need about 60 per pair of one block while it is evaluated. With gradients (forces,
    /// stress, training) a structure of at most <see cref="RealSpaceSum.CachedPairLimitWithGradients"/> pairs keeps its
    /// blocks, and the autograd graph of every evaluation pair-sized tensors: about 330 float64 per pair (measured: 7.9 GB
    /// peak for eval with forces of 1,728 atoms, 3.0 M pairs, when every structure kept its blocks). A larger one is
    /// evaluated through <see cref="RecomputedBlocks"/>: the graph holds O(N) per evaluation and the backward pass one
    /// rebuilt block and its gradient at a time, about <see cref="RecomputedBytesPerPair"/> bytes per pair of a block.
    public static double RealspaceBytes(long atoms, ElectrostaticsOptions options, bool gradients)
    {
        double pairs = atoms * (double)Math.Max(0, atoms - 1);
        double perPair = 8 * (8 + 3 * (2 + options.FieldFeatureWidths.Count));
        if (gradients)
            return pairs <= RealSpaceSum.CachedPairLimitWithGradients ? pairs * 8 * 330 : RealSpaceSum.DefaultPairsPerBlock * RecomputedBytesPerPair;
        return pairs <= RealSpaceSum.CachedPairLimit ? pairs * perPair : 3 * RealSpaceSum.DefaultPairsPerBlock * perPair;
    }

    /// Peak bytes per pair of one block when the backward pass rebuilds it (its graph and vector–Jacobian product).
    public const double RecomputedBytesPerPair = 8 * 400;

    /// Environment variable capping the memory one structure's electrostatics may plan for, in GB (e.g. 4); unset: no cap.
    public const string LimitVariable = "MACESCF_MEMORY_LIMIT_GB";

    /// Bytes the process may still allocate: the smaller of the kernel's MemAvailable (Linux), the runtime's limit
    /// (which follows container limits) less what the GC heap already uses, and <see cref="LimitVariable"/>.
    public static double AvailableBytes()
    {
        var info = GC.GetGCMemoryInfo();
        double runtime = info.TotalAvailableMemoryBytes - GC.GetTotalMemory(false);
        double limit = double.TryParse(Environment.GetEnvironmentVariable(LimitVariable), System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out double gb) && gb > 0 ? gb * 1e9 : double.PositiveInfinity;
        return Math.Min(Math.Min(runtime, limit), MemAvailable() ?? double.PositiveInfinity);
    }

    static double? MemAvailable()
    {
        try
        {
            if (!File.Exists("/proc/meminfo")) return null;
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (IOException)
        {
        }
        return null;
    }

    /// Refuses when <paramref name="bytes"/> would not fit in the usable part of the available memory.
    public static void Require(double bytes, string what, string remedy, Func<double>? available = null)
    {
        double free = (available ?? AvailableBytes)();
        if (bytes <= UsableFraction * free) return;
        // Name the limit that was applied (the usable part), not only the available memory it was taken from.
        throw new StructureGeometryException($"{what} needs about {Gigabytes(bytes)} of memory, more than the {Gigabytes(UsableFraction * free)} "
            + $"it may use ({UsableFraction * 100:G3} % of the {Gigabytes(free)} available): {remedy}");
    }

    public static string Gigabytes(double bytes) => bytes >= 1e9 ? $"{bytes / 1e9:G3} GB" : $"{bytes / 1e6:G3} MB";
}
