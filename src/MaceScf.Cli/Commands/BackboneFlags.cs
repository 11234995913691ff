using MaceScf.Mace;
using TorchSharp;

namespace MaceScf.Cli.Commands;

/// `--default_dtype` and `--edge_chunk_size` of eval and ipi: how the MACE backbone of any model is evaluated (not trained
/// parameters). float32 runs the backbone's layers in single precision; positions, edge vectors, atomic energies E0, the
/// sums over atoms and the electrostatics/SCF stay in float64. An edge chunk size bounds the memory of the interactions
/// (docs/benchmarks.md "Backbone speed and memory", docs/compatibility.md).
internal sealed record BackboneFlags(torch.ScalarType Dtype, int? EdgeChunkSize)
{
    public const string Help = """
        backbone options:
          --default_dtype T      float64 (default) | float32: the MACE layers in single precision (faster; the sums
                                 over atoms, the electrostatics and the SCF stay float64; docs/benchmarks.md)
          --edge_chunk_size E    evaluate the interactions in blocks of E edges and the product bases in blocks of
                                 E / avg_num_neighbors nodes, recomputed in the backward pass: bounded memory for
                                 very large structures (default: all edges and nodes at once, or blocks of 20000
                                 edges when the backbone's graph with forces is estimated above 2 GB)
        """;

    public static BackboneFlags Read(CommandLine args)
    {
        var dtype = args.String("default_dtype") switch
        {
            null or "float64" => torch.ScalarType.Float64,
            "float32" => torch.ScalarType.Float32,
            var other => throw new UsageException($"--default_dtype must be float32 or float64, not '{other}'"),
        };
        int? chunk = args.Int("edge_chunk_size");
        if (chunk is < 1) throw new UsageException($"--edge_chunk_size must be ≥ 1, not {chunk}");
        return new BackboneFlags(dtype, chunk);
    }

    /// Applies the settings to a model's backbone.
    public void Apply(MaceModel backbone)
    {
        if (Dtype != backbone.ComputeDtype) backbone.UseComputeDtype(Dtype);
        backbone.EdgeChunkSize = EdgeChunkSize;
    }
}
