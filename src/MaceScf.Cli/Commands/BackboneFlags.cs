using MaceScf.Electrostatics;
using MaceScf.Mace;
using TorchSharp;

namespace MaceScf.Cli.Commands;

/// `--default_dtype`, `--edge_chunk_size` and `--backbone_memory_gb` of eval and ipi: how the MACE backbone of any model is evaluated
/// (not trained parameters). float32 runs the backbone's layers in single precision; positions, edge vectors, atomic energies E0, the
/// sums over atoms and the electrostatics/SCF stay in float64. An edge chunk size bounds the memory of the interactions
/// (docs/benchmarks.md "Backbone speed and memory", docs/compatibility.md).
internal sealed record BackboneFlags(torch.ScalarType Dtype, int? EdgeChunkSize, double? MemoryBudgetGb)
{
    public const string Help = """
        backbone options:
          --default_dtype T      float64 (default) | float32: the MACE layers in single precision (faster; the sums
                                 over atoms, the electrostatics and the SCF stay float64; docs/benchmarks.md)
          --edge_chunk_size E    evaluate the interactions in blocks of E edges and the product bases in blocks of
                                 E / avg_num_neighbors nodes, recomputed in the backward pass: bounded memory for
                                 very large structures (default: all edges and nodes at once, or automatic blocks
                                 when the backbone's graph with forces is estimated above the memory budget)
          --backbone_memory_gb G the memory budget of the automatic blocks, in GB (default: 1/6 of the machine's
                                 memory or container limit, or of MACESCF_MEMORY_LIMIT_GB; the budget, the largest
                                 estimate and the blocks chosen are printed)
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
        double? budget = args.Double("backbone_memory_gb");
        if (budget is not null && !(budget > 0)) throw new UsageException($"--backbone_memory_gb must be > 0, not {budget}");
        return new BackboneFlags(dtype, chunk, budget);
    }

    /// Applies the settings to a model's backbone.
    public void Apply(MaceModel backbone)
    {
        if (Dtype != backbone.ComputeDtype) backbone.UseComputeDtype(Dtype);
        backbone.EdgeChunkSize = EdgeChunkSize;
        backbone.AutomaticChunkBytes = MemoryBudgetGb * 1e9 ?? BackboneMemory.MachineBudget.Bytes;
    }

    /// The log line of the backbone's memory: the budget and where it came from, and the estimate and blocks of the largest evaluation
    /// ("backbone memory budget 4.11 GB (1/6 of 24.7 GB of machine memory …); largest evaluation: 2304 atoms, …: unchunked").
    public string Describe(MaceModel backbone) => (MemoryBudgetGb is double gb
            ? $"backbone memory budget {gb:G4} GB (--backbone_memory_gb)"
            : $"backbone memory budget {ElectrostaticsMemory.Gigabytes(BackboneMemory.MachineBudget.Bytes)} ({BackboneMemory.MachineBudget.Source})")
        + $"; largest evaluation: {backbone.LargestEvaluation ?? "none"}";
}
