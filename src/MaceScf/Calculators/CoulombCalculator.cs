using MaceScf.Data;
using MaceScf.Electrostatics;
using static TorchSharp.torch;

namespace MaceScf.Calculators;

/// <summary>
/// Electrostatics of given Gaussian multipoles (<see cref="Structure.Multipoles"/>) on one structure, no machine-learned
/// model: the energy (terms coulomb and external_field, E·P in an applied field), forces −∂(E_Coulomb + E·P)/∂r, the
/// potential at the atoms, the total charge and dipole and the unnormalised field features (Hartree + external field +
/// potential shift μ − μ_off when the structure has a Fermi level).
/// </summary>
public sealed class CoulombCalculator : Calculator
{
    private readonly double? _fermiLevelOffset;

    /// <summary>A calculator with these electrostatics settings.</summary>
    /// <param name="options">the electrostatics settings (checked here)</param>
    /// <param name="fermiLevelOffset">μ_off of the potential shift; null: structures' Fermi levels are ignored</param>
    public CoulombCalculator(ElectrostaticsOptions options, double? fermiLevelOffset = null)
    {
        options.Validate();
        Options = options;
        Layout = new FieldFeatureLayout(options);
        _fermiLevelOffset = fermiLevelOffset;
    }

    /// <summary>The electrostatics settings of this calculator.</summary>
    public ElectrostaticsOptions Options { get; }

    internal FieldFeatureLayout Layout { get; }

    /// <summary>
    /// The boundary method the frame is evaluated with (mixed_periodic and auto resolved from its pbc).
    /// </summary>
    public BoundaryMethod MethodFor(Configuration configuration) =>
        ElectrostaticsPlan.ResolveMethods(Options.Method, [configuration.Pbc])[0];

    /// <inheritdoc/>
    /// <exception cref="InvalidDataException">the frame cannot be evaluated; the message names it.</exception>
    protected override CalculatorResults Compute(Structure structure, CalculatorProperties properties)
    {
        var configuration = structure.Atoms;
        var multipoles = structure.Multipoles
            ?? throw new InvalidDataException($"{configuration.DescribeOrigin()}: the Coulomb calculator needs the structure's multipoles");
        var method = MethodFor(configuration);
        if (method != BoundaryMethod.Realspace && configuration.Cell is null)
            throw new InvalidDataException(
                $"{configuration.DescribeOrigin()}: the {method.ToName()} method (--electrostatic_pbc_method {Options.Method.ToName()}) needs a cell, but the frame has no Lattice");
        double? shift = structure.FermiLevel is double mu && _fermiLevelOffset is double offset ? mu - offset : null;
        CalculatorResults result;
        try
        {
            result = Evaluate(configuration, multipoles, structure.ExternalField, shift, method);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{configuration.DescribeOrigin()}: {(e is StructureGeometryException g ? g.Problem : e.Message)}", e);
        }
        catch (Exception e) when (NativeFailure.Is(e))
        {
            throw NativeFailure.InFrames(e, configuration.DescribeOrigin(), "use a smaller system or cell");
        }
        if (FirstNonFinite(result) is { } bad)
            throw new InvalidDataException($"{configuration.DescribeOrigin()}: the electrostatics gave a non-finite {bad}; check the positions, "
                + "cell and multipoles of this frame");
        return result;
    }

    /// The first result that is not finite ("energy", "forces", …), or null.
    private static string? FirstNonFinite(CalculatorResults r)
    {
        if (!double.IsFinite(r.Energy) || r.Terms.Values.Any(x => !double.IsFinite(x))) return "energy";
        if (r.Forces!.Cast<double>().Any(x => !double.IsFinite(x))) return "forces";
        if (r.Potential!.Any(x => !double.IsFinite(x))) return "potential";
        if (r.Dipole!.Any(x => !double.IsFinite(x))) return "dipole";
        return r.FieldFeatures!.Cast<double>().Any(x => !double.IsFinite(x)) ? "field features" : null;
    }

    private CalculatorResults Evaluate(Configuration configuration, double[,] multipoles, double[]? externalField, double? potentialShift,
        BoundaryMethod method)
    {
        using var scope = NewDisposeScope();
        var positions = tensor(configuration.Positions, dtype: float64).requires_grad_(true);
        var cell = configuration.Cell is null || method == BoundaryMethod.Realspace ? null : tensor(configuration.Cell, dtype: float64);
        var p = tensor(multipoles, dtype: float64);
        using var plan = new ElectrostaticsPlan(Options, positions, cell, tensor(configuration.Pbc));
        var field = externalField is null ? null : tensor(externalField, dtype: float64).reshape(1, 3);
        var coulomb = plan.Energy(p).sum();
        var fieldEnergy = field is null ? zeros_like(coulomb) : plan.ExternalFieldEnergy(p, field).sum();
        var forces = -Gradients.Of([coulomb.Plus(fieldEnergy)], [positions])[0];
        var features = plan.FieldFeatures(p).detach();
        if (field is not null || potentialShift is not null)
        {
            var shift = potentialShift is double s ? tensor(new[] { s }, dtype: float64) : null;
            features = features.Plus(plan.ExternalFeatures(field, shift).detach());
        }
        double e = coulomb.item<double>(), eField = fieldEnergy.item<double>();
        return new CalculatorResults(e + eField, new Dictionary<string, double> { ["coulomb"] = e, ["external_field"] = eField })
        {
            Forces = TensorArrays.ToMatrix(forces),
            TotalCharge = plan.TotalCharge(p).item<double>(),
            Dipole = plan.TotalDipole(p).detach().reshape(3).data<double>().ToArray(),
            Potential = plan.Potential(p).detach().data<double>().ToArray(),
            FieldFeatures = TensorArrays.ToMatrix(features),
            Electrostatics = (plan.Methods[0], plan.KVectorCount),
            Kspace = plan.KspaceSetups[0],
        };
    }
}
