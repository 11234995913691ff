using MaceScf.Data;
using MaceScf.Electrostatics;
using MaceScf.FixedPoint;
using MaceScf.Synthetic;
using static TorchSharp.torch;

namespace MaceScf.Tests.FixedPoint;

/// The synthetic teacher's response (docs/synth.md, eq. 1) as a one-body fixed-point map on a batch of frames, with the
/// teacher's electrostatics (one feature width σ = the smearing width) and features without the atom's own Gaussian, as in
/// the model's default, so the self-energy constants c_l move into the hardness. At stationarity
/// χ_i + (J_i + c_0) q_i + v_i + μ = 0 and (1/α_i + c_1) d_i + ∇v_i = 0, so
///   F(p, μ)_i0 = −(χ_i + v_i + μ)/(J_i + c_0),  F(p, μ)_i,m = −∂_m v_i / (1/α_i + c_1),
/// with v + μ and ∇v read from V̂ = features(p) + features(applied field, μ). Its fixed point at a total charge is the
/// teacher's constant-charge solution (the labels of examples/conductor); ∂Q/∂μ at fixed input is −Σ 1/(J_i + c_0),
/// about −1.2 e/V for the 8-atom conductor frames.
internal sealed class TeacherResponseMap : IFixedPointMap, IDisposable
{
    private readonly ElectrostaticsPlan _plan;
    private readonly Tensor _field, _electronegativity, _hardness, _stiffness;
    private readonly double _potentialScale, _gradientScale;

    public TeacherResponseMap(IReadOnlyList<LabelledConfiguration> frames, TeacherParameters? parameters = null)
    {
        parameters ??= new TeacherParameters();
        var options = parameters.Electrostatics with { IncludeFieldSelfInteraction = false };
        var configurations = frames.Select(f => f.Configuration).ToArray();
        var positions = configurations.SelectMany(c => Enumerable.Range(0, c.AtomCount).SelectMany(i => new[] { c.Positions[i, 0], c.Positions[i, 1], c.Positions[i, 2] }));
        var cells = configurations.SelectMany(c => c.Cell is { } cell ? cell.Cast<double>() : new double[9]).ToArray();
        var elements = configurations.SelectMany(c => c.AtomicNumbers).Select(parameters.Element).ToArray();
        Batch = tensor(configurations.SelectMany((c, g) => Enumerable.Repeat((long)g, c.AtomCount)).ToArray());
        NumGraphs = frames.Count;
        _plan = new ElectrostaticsPlan(options, tensor(positions.ToArray(), dtype: float64).view(-1, 3), tensor(cells, dtype: float64).view(-1, 3, 3),
            tensor(configurations.SelectMany(c => c.Pbc).ToArray()).view(-1, 3), Batch);
        _field = tensor(frames.SelectMany(f => f.ExternalField.IsPresent ? f.ExternalField.Value : [0.0, 0.0, 0.0]).ToArray(), dtype: float64)
            .view(NumGraphs, 3);
        _electronegativity = tensor(elements.Select(e => e.Electronegativity).ToArray(), dtype: float64);
        double sigma = options.SmearingWidth;
        _hardness = tensor(elements.Select(e => e.Hardness + GaussianMultipoleBasis.EnergySelfInteraction(0, sigma)).ToArray(), dtype: float64);
        _stiffness = tensor(elements.Select(e => 1 / e.Polarisability + GaussianMultipoleBasis.EnergySelfInteraction(1, sigma)).ToArray(),
            dtype: float64);
        LocalDensity = zeros(elements.Length, 4, dtype: float64);
        // V̂ per unit potential (l = 0) and per unit potential gradient (l = 1, x is column 3), from the applied-field features.
        using var potential = _plan.ExternalFeatures(null, ones(elements.Length, dtype: float64));
        using var gradient = _plan.ExternalFeatures(tensor(new[] { 1.0, 0.0, 0.0 }, dtype: float64).expand(NumGraphs, 3).contiguous());
        _potentialScale = potential[0, 0].item<double>();
        _gradientScale = gradient[0, 3].item<double>();
    }

    public Tensor LocalDensity { get; }
    public Tensor Batch { get; }
    public int NumGraphs { get; }

    public Tensor Features(Tensor density, Tensor fermiLevel) => _plan.FieldFeatures(density).Plus(_plan.ExternalFeatures(_field, fermiLevel));

    public ScfStep Step(Tensor density, Tensor fermiLevel)
    {
        var v = Features(density, fermiLevel);
        var charge = -(_electronegativity.Plus(v[.., 0].DividedBy(_potentialScale))) / _hardness;
        var dipole = -v[.., 1..4] / (_stiffness.unsqueeze(1).Times(_gradientScale));
        return new ScfStep(cat([charge.unsqueeze(1), dipole], 1), v);
    }

    public void Dispose()
    {
        _plan.Dispose();
        foreach (var t in new[] { _field, _electronegativity, _hardness, _stiffness, LocalDensity, Batch }) t.Dispose();
    }
}
