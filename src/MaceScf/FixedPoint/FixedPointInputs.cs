using MaceScf.Data;
using MaceScf.Mace;
using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// What the fixed-point model reads for a batch of G structures with N atoms.
/// <param name="Graph">backbone inputs (positions, species, edges, cell, batch)</param>
/// <param name="Pbc">[G, 3] bool periodicity flags (choose the boundary method per structure)</param>
/// <param name="ExternalField">[G, 3] gradient of the applied potential (V/Å), or null for none</param>
/// <param name="TotalCharge">[G] target total charge (constant-charge SCF), or null for neutral</param>
/// <param name="Density">[N, K] density coefficients from the data (initial_density from_data, direct mode), or null</param>
/// <param name="FermiLevel">[G] Fermi level from the data (initial_fermi_level from_data, direct mode), or null</param>
public sealed record FixedPointInputs(MaceInputs Graph, Tensor Pbc, Tensor? ExternalField = null, Tensor? TotalCharge = null,
    Tensor? Density = null, Tensor? FermiLevel = null)
{
    public int NumGraphs => Graph.NumGraphs;

    public long NumAtoms => Graph.Positions.shape[0];

    /// The inputs of a collated batch; labels are taken from the attached graph/node data when present, under the canonical
    /// property names (total_charge, external_field, fermi_level; atomic_multipoles as the density).
    public static FixedPointInputs FromBatch(GraphBatch batch) => new(MaceInputs.FromBatch(batch), batch.Pbc,
        batch.GraphData.GetValueOrDefault(PropertyKeys.ExternalField), batch.GraphData.GetValueOrDefault(PropertyKeys.TotalCharge),
        batch.NodeData.GetValueOrDefault(PropertyKeys.AtomicMultipoles), batch.GraphData.GetValueOrDefault(PropertyKeys.FermiLevel));

    public FixedPointInputs WithGeometry(Tensor positions, Tensor cell) => this with { Graph = Graph.WithGeometry(positions, cell) };
}
