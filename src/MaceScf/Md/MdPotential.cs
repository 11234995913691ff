using MaceScf.Data;
using MaceScf.FixedPoint;

namespace MaceScf.Md;

/// A saved model as the potential of an MD run: one system (species, total charge, Fermi level, external field and pbc of
/// a template frame) evaluated at the positions and cell of each step, with energy, forces and, for a periodic system, the
/// virial. With a warm start, each SCF starts from the converged densities and Fermi levels of the previous steps, the last one
/// or extrapolated (<see cref="WarmStart"/>; initial_density and initial_fermi_level from_data) instead of the options'
/// starting point, which the first step uses. A diverged SCF stops the run: it throws rather than hand a diverged energy and
/// forces to the integrator.
public sealed class MdPotential(FixedPointModel model, LabelledConfiguration template, ScfOptions options, WarmStart warmStart = WarmStart.Last)
{
    /// Converged densities and Fermi levels of the last steps, newest first.
    private readonly List<(double[,] Density, double FermiLevel)> _previous = [];
    private double[,]? _density;
    private double _fermiLevel;
    private int _step;

    private Configuration System => template.Configuration;

    public bool Periodic => System.Pbc.Any(p => p);

    /// <param name="positions">[N, 3] Å, atoms in the order of the template</param>
    /// <param name="cell">lattice vectors as rows (Å); all zeros or null for none</param>
    public FramePrediction Evaluate(double[,] positions, double[,]? cell)
    {
        int step = _step++;
        if (positions.GetLength(0) != System.AtomCount)
            throw new InvalidDataException($"step {step}: the server sent {positions.GetLength(0)} atoms, the initial structure "
                + $"({System.DescribeOrigin()}) has {System.AtomCount}");
        if (cell is not null && cell.Cast<double>().All(x => x == 0)) cell = null;
        if (Periodic && cell is null) throw new InvalidDataException($"step {step}: the system is periodic (pbc) but the server sent no cell");
        var frame = Frame(new Configuration(System.AtomicNumbers, positions, cell, System.Pbc) { SourceName = System.SourceName, FrameIndex = System.FrameIndex });
        var stepOptions = _density is null ? options : options with { InitialDensity = InitialDensity.FromData, InitialFermiLevel = InitialFermiLevel.FromData };
        var prediction = new FrameEvaluator(model, stepOptions, batchSize: 1, computeForces: true, computeStress: Periodic).Evaluate([frame]).Single();
        if (prediction.Status == ScfStatus.Diverged)
            throw new InvalidDataException($"step {step}: the SCF diverged after {prediction.Steps} update(s) (last mean |Δp| "
                + $"{prediction.History[^1]:E2}); stopping instead of passing a diverged energy and forces to the server");
        if (prediction.Status == ScfStatus.NoChargeResponse)
            throw new InvalidDataException($"step {step}: the density does not respond to the Fermi level, so the constant-charge SCF "
                + "cannot reach the total charge; stopping (use --constant_charge false)");
        if (!double.IsFinite(prediction.Energy) || prediction.Forces!.Cast<double>().Any(f => !double.IsFinite(f)))
            throw new InvalidDataException($"step {step}: the energy or forces are not finite; stopping");
        if (warmStart != WarmStart.None) Remember(prediction.Density, prediction.FermiLevel);
        return prediction;
    }

    /// Stores a converged step and sets the next step's starting point: Σ c_k y(t−k) over the stored steps.
    private void Remember(double[,] density, double fermiLevel)
    {
        _previous.Insert(0, (density, fermiLevel));
        if (_previous.Count > WarmStartNames.Order(warmStart) + 1) _previous.RemoveAt(_previous.Count - 1);
        var c = WarmStartNames.Coefficients(warmStart, _previous.Count);
        int atoms = density.GetLength(0), k = density.GetLength(1);
        _density = new double[atoms, k];
        _fermiLevel = 0;
        for (int s = 0; s < c.Length; s++)
        {
            var (previous, mu) = _previous[s];
            _fermiLevel += c[s] * mu;
            for (int i = 0; i < atoms; i++)
                for (int j = 0; j < k; j++) _density[i, j] += c[s] * previous[i, j];
        }
    }

    /// −∂E/∂ε = −V σ (eV) of a periodic prediction, zeros without a stress.
    public static double[,] Virial(FramePrediction prediction)
    {
        var virial = new double[3, 3];
        if (prediction.Stress is not { } stress) return virial;
        double volume = Math.Abs(CellVolume.Of(prediction.Frame.Configuration.Cell!));
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) virial[i, j] = -volume * stress[i, j];
        return virial;
    }

    /// The template's labels at the new geometry; with a previous step, its density and Fermi level as the starting point.
    private LabelledConfiguration Frame(Configuration configuration) => new()
    {
        Configuration = configuration,
        ConfigType = template.ConfigType,
        Weight = template.Weight,
        Energy = Label<double>.Absent,
        Forces = Label<double[,]>.Absent,
        AtomicMultipoles = _density is null ? template.AtomicMultipoles : new Label<double[,]>(_density, 1.0),
        TotalCharge = template.TotalCharge,
        FermiLevel = _density is null ? template.FermiLevel : new Label<double>(_fermiLevel, 1.0),
        ExternalField = template.ExternalField,
        Dipole = Label<double[]>.Absent,
        DipoleComponentWeights = [0.0, 0.0, 0.0],
        ElectrostaticPotentials = Label<double[]>.Absent,
    };
}
