using MaceScf.Mace;
using TorchSharp;

namespace MaceScf.Cli.Commands;

/// `--default_dtype` of eval and ipi: float32 runs the MACE backbone's layers in single precision (about twice as fast);
/// positions, edge vectors, atomic energies E0, the sums over atoms and the electrostatics stay in float64
/// (docs/benchmarks.md "Backbone speed and memory", docs/compatibility.md).
internal static class PrecisionFlag
{
    public const string Help = """
        precision:
          --default_dtype T    float64 (default) | float32: the MACE layers in single precision (faster; energies
                               summed and electrostatics/SCF in float64; errors ~1e-6 eV/atom, ~1e-5 eV/Å)
        """;

    /// The requested precision of the backbone's layers.
    public static torch.ScalarType Read(CommandLine args) => args.String("default_dtype") switch
    {
        null or "float64" => torch.ScalarType.Float64,
        "float32" => torch.ScalarType.Float32,
        var other => throw new UsageException($"--default_dtype must be float32 or float64, not '{other}'"),
    };

    /// Applies the precision to a model's backbone; returns the backbone for chaining.
    public static MaceModel Apply(MaceModel backbone, torch.ScalarType dtype) =>
        dtype == backbone.ComputeDtype ? backbone : backbone.UseComputeDtype(dtype);
}
