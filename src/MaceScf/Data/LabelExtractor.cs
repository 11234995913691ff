namespace MaceScf.Data;

/// Turns configurations into <see cref="LabelledConfiguration"/>s through a <see cref="KeyMapping"/>.
/// A property that is not mapped, or whose key is missing from a frame, is absent with weight 0.
/// Values of the wrong type or shape raise a <see cref="KeyMappingException"/>.
internal sealed class LabelExtractor
{
    private readonly KeyMapping _mapping;
    private readonly IReadOnlyDictionary<string, double> _configTypeWeights;

    /// <param name="mapping">the `heads` key mapping: which extxyz key holds each label</param>
    /// <param name="multipoleMaxL">L of the model's multipoles: (L+1)² coefficients per atom are kept.</param>
    /// <param name="configTypeWeights">config_type → weight; types not listed get 1.</param>
    public LabelExtractor(KeyMapping mapping, int multipoleMaxL = 1, IReadOnlyDictionary<string, double>? configTypeWeights = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(multipoleMaxL);
        _mapping = mapping;
        MultipoleMaxL = multipoleMaxL;
        _configTypeWeights = configTypeWeights ?? new Dictionary<string, double> { [PropertyKeys.DefaultConfigType] = 1.0 };
    }

    public int MultipoleMaxL { get; }

    public int MultipoleCount => (MultipoleMaxL + 1) * (MultipoleMaxL + 1);

    public IEnumerable<LabelledConfiguration> ExtractAll(IEnumerable<Configuration> configurations) =>
        configurations.Select(Extract);

    /// Refuses (naming file, frame, key and atom) a frame without atoms or with a non-finite number (<see cref="FrameChecks"/>).
    public LabelledConfiguration Extract(Configuration configuration)
    {
        FrameChecks.RequireUsable(configuration);
        var frame = new FrameValues(configuration, _mapping);
        string configType = frame.ConfigType();
        var dipole = frame.MappedInfoVector3(PropertyKeys.Dipole);
        return new LabelledConfiguration
        {
            Configuration = configuration,
            ConfigType = configType,
            Weight = (frame.InfoNumber(PropertyKeys.ConfigWeight) ?? 1.0) * _configTypeWeights.GetValueOrDefault(configType, 1.0),
            Energy = frame.Weighted(PropertyKeys.Energy, frame.MappedInfoNumber(PropertyKeys.Energy)),
            Forces = frame.Weighted(PropertyKeys.Forces, frame.MappedArray(PropertyKeys.Forces, 3, allowWider: false)),
            AtomicMultipoles = frame.Weighted(PropertyKeys.AtomicMultipoles,
                frame.MappedArray(PropertyKeys.AtomicMultipoles, MultipoleCount, allowWider: true)),
            TotalCharge = Unweighted(frame.MappedInfoNumber(PropertyKeys.TotalCharge)),
            FermiLevel = frame.Weighted(PropertyKeys.FermiLevel, frame.MappedInfoNumber(PropertyKeys.FermiLevel)),
            ExternalField = Unweighted(frame.MappedInfoVector3(PropertyKeys.ExternalField)),
            Dipole = Unweighted(dipole),
            DipoleComponentWeights = dipole is null ? new double[3] : frame.DipoleWeights(),
            Stress = frame.Weighted(PropertyKeys.Stress, frame.MappedInfoTensor(PropertyKeys.Stress)),
            Virials = frame.Weighted(PropertyKeys.Virials, frame.MappedInfoTensor(PropertyKeys.Virials)),
            Polarizability = frame.Weighted(PropertyKeys.Polarizability, frame.MappedInfoTensor(PropertyKeys.Polarizability, needsCell: false)),
            ElectrostaticPotentials = frame.Weighted(PropertyKeys.ElectrostaticPotentials,
                frame.MappedArray(PropertyKeys.ElectrostaticPotentials, 1, allowWider: false) is { } esp ? Column(esp) : null),
            BornCharges = frame.Weighted(PropertyKeys.BornCharges, frame.MappedArray(PropertyKeys.BornCharges, 9, allowWider: false)),
            FormalCharges = Unweighted(frame.MappedArray(PropertyKeys.Charges, 1, allowWider: false) is { } q ? Column(q) : null),
        };
    }

    private static Label<T> Unweighted<T>(T? value) where T : class => value is null ? Label<T>.Absent : new Label<T>(value, 1.0);

    private static Label<double> Unweighted(double? value) => value is { } v ? new Label<double>(v, 1.0) : Label<double>.Absent;

    private static double[] Column(double[,] values)
    {
        var column = new double[values.GetLength(0)];
        for (int i = 0; i < column.Length; i++) column[i] = values[i, 0];
        return column;
    }
}
