using MaceScf.Data;
using MaceScf.Electrostatics;
using static TorchSharp.torch;

namespace MaceScf.Calculators;

/// Electrostatics of given Gaussian multipoles on one structure (no machine-learned model):
/// the Coulomb energy, the energy E·P in an applied field, forces −∂(E_Coulomb + E·P)/∂r,
/// the potential at the atoms, the total dipole and the unnormalised field features
/// (Hartree + external field + potential shift).
public sealed class CoulombCalculator
{
    public CoulombCalculator(ElectrostaticsOptions options)
    {
        options.Validate();
        Options = options;
        Layout = new FieldFeatureLayout(options);
    }

    public ElectrostaticsOptions Options { get; }
    public FieldFeatureLayout Layout { get; }

    /// The boundary method the frame is evaluated with (mixed_periodic and auto resolved from its pbc).
    public BoundaryMethod MethodFor(Configuration configuration) =>
        ElectrostaticsPlan.ResolveMethods(Options.Method, [configuration.Pbc])[0];

    /// <param name="multipoles">[N, (L+1)²] coefficients in the order [q, p_y, p_z, p_x, ...].</param>
    /// <param name="externalField">gradient of the applied potential (V/Å), or null.</param>
    /// <param name="potentialShift">constant applied potential (V), e.g. μ − offset, or null.</param>
    /// <exception cref="InvalidDataException">the frame cannot be evaluated; the message names it.</exception>
    public CoulombResult Evaluate(Configuration configuration, double[,] multipoles, double[]? externalField = null, double? potentialShift = null)
    {
        var method = MethodFor(configuration);
        if (method != BoundaryMethod.Realspace && configuration.Cell is null)
            throw new InvalidDataException(
                $"{configuration.DescribeOrigin()}: the {method.ToName()} method (--electrostatic_pbc_method {Options.Method.ToName()}) needs a cell, but the frame has no Lattice");
        CoulombResult result;
        try
        {
            result = EvaluateChecked(configuration, multipoles, externalField, potentialShift, method);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{configuration.DescribeOrigin()}: {(e is StructureGeometryException g ? g.Problem : e.Message)}", e);
        }
        catch (Exception e) when (NativeFailure.Is(e))
        {
            throw NativeFailure.InFrames(e, configuration.DescribeOrigin(), "use a smaller system or cell");
        }
        if (result.FirstNonFinite() is { } bad)
            throw new InvalidDataException($"{configuration.DescribeOrigin()}: the electrostatics gave a non-finite {bad}; check the positions, "
                + "cell and multipoles of this frame");
        return result;
    }

    CoulombResult EvaluateChecked(Configuration configuration, double[,] multipoles, double[]? externalField, double? potentialShift, BoundaryMethod method)
    {
        using var scope = NewDisposeScope();
        var positions = tensor(configuration.Positions, dtype: float64).requires_grad_(true);
        var cell = configuration.Cell is null || method == BoundaryMethod.Realspace ? null : tensor(configuration.Cell, dtype: float64);
        var p = tensor(multipoles, dtype: float64);
        using var plan = new ElectrostaticsPlan(Options, positions, cell, tensor(configuration.Pbc));
        var field = externalField is null ? null : tensor(externalField, dtype: float64).reshape(1, 3);
        var coulomb = plan.Energy(p).sum();
        var fieldEnergy = field is null ? zeros_like(coulomb) : plan.ExternalFieldEnergy(p, field).sum();
        var forces = -autograd.grad([coulomb + fieldEnergy], [positions])[0];
        var features = plan.FieldFeatures(p).detach();
        if (field is not null || potentialShift is not null)
        {
            var shift = potentialShift is double s ? tensor(new[] { s }, dtype: float64) : null;
            features = features + plan.ExternalFeatures(field, shift).detach();
        }
        return new CoulombResult(
            plan.Methods[0], plan.KVectorCount,
            plan.TotalCharge(p).item<double>(),
            plan.TotalDipole(p).detach().reshape(3).data<double>().ToArray(),
            coulomb.item<double>(), fieldEnergy.item<double>(),
            TensorArrays.ToMatrix(forces),
            forces.shape[0] == 0 ? 0 : forces.square().sum(1).sqrt().max().item<double>(),
            plan.Potential(p).detach().data<double>().ToArray(),
            TensorArrays.ToMatrix(features),
            plan.KspaceSetups[0]);
    }
}
