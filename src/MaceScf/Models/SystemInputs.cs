using MaceScf.Data;
using MaceScf.Mace;
using static TorchSharp.torch;

namespace MaceScf.Models;

/// What a simulation knows about a batch of G structures with N atoms: geometry and the conditions it is run at, never
/// reference labels.
/// <param name="Graph">positions, species, edges, cell, batch index</param>
/// <param name="Pbc">[G, 3] bool periodicity flags (choose the boundary method per structure)</param>
/// <param name="ExternalField">[G, 3] gradient of the applied potential (V/Å), or null for none</param>
/// <param name="TotalCharge">[G] total charge held in a constant-charge SCF, or null for neutral</param>
/// <param name="FermiLevel">[G] Fermi level (V) of a constant-μ run, and where a constant-charge SCF starts μ; null for the
/// model's offset</param>
/// <param name="Start">where an SCF starts when its options say from_data: the previous step's solution (warm start in MD) or a
/// density read from a file; null for none</param>
/// <param name="Electrodes">electrode regions held at their own Fermi levels (docs/response.md), or null for none</param>
internal sealed record SystemInputs(MaceInputs Graph, Tensor Pbc, Tensor? ExternalField = null, Tensor? TotalCharge = null,
    Tensor? FermiLevel = null, ScfStart? Start = null, ElectrodeInputs? Electrodes = null)
{
    /// [N] per-atom formal charges q⁰ (e) of a model that takes them as an input (LocalSplitCharges with formal_charges_from_data);
    /// null for none.
    public Tensor? FormalCharges { get; init; }

    public int NumGraphs => Graph.NumGraphs;

    public long NumAtoms => Graph.Positions.shape[0];

    /// The geometry of a collated batch (no conditions: neutral, no field, the model's Fermi level).
    public static SystemInputs FromBatch(GraphBatch batch) => new(MaceInputs.FromBatch(batch), batch.Pbc);

    public SystemInputs WithGeometry(Tensor positions, Tensor cell) => this with { Graph = Graph.WithGeometry(positions, cell) };
}

/// An SCF starting point: the density [N, K] (coefficients [q, p_y, p_z, p_x, …]; extra columns are ignored) and, optionally,
/// the Fermi level [G].
internal sealed record ScfStart(Tensor Density, Tensor? FermiLevel = null);

/// Electrodes at a potential difference (docs/response.md, "Electrodes at a potential difference"): conditions of the run,
/// never labels.
/// <param name="Region">[N] long, the region of every atom: 0 the electrolyte, r = 1..R electrode r</param>
/// <param name="FermiLevels">[G, R] the Fermi level μ_r (V) each electrode is held at</param>
/// <param name="ElectrolyteCharge">[G] the total charge (e) of the electrolyte region, held in a constant-charge SCF</param>
internal sealed record ElectrodeInputs(Tensor Region, Tensor FermiLevels, Tensor ElectrolyteCharge);
