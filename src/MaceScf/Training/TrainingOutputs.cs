using MaceScf.FixedPoint;
using static TorchSharp.torch;

namespace MaceScf.Training;

/// What a training forward pass predicts for a batch (docs/math.md, "Training losses").
/// <param name="Density">[N, K] final density</param>
/// <param name="FermiLevel">[G] the Fermi level (the reference one in direct mode)</param>
/// <param name="Forces">[N, 3], or null when no loss or metric needs them</param>
/// <param name="Esps">(predicted, reference) potentials at the atoms [N], when the esps loss is used</param>
/// <param name="FieldFeatures">(predicted, reference) features V̂ [N, F], when the field_features loss is used</param>
/// <param name="Scf">the SCF result in SCF modes, null in direct mode</param>
/// <param name="StabilityRatio">[G] r_g of <see cref="ScfStability"/>, when the fixedpoint_scf_stability loss is used</param>
/// <param name="Fallback">implicit / linearize_solve fell back to an unroll because the solve was poor</param>
public sealed record TrainingOutputs(Tensor Energy, Tensor? Forces, Tensor Density, Tensor TotalCharge, Tensor Dipole, Tensor FermiLevel,
    (Tensor Predicted, Tensor Reference)? Esps, (Tensor Predicted, Tensor Reference)? FieldFeatures, ScfResult? Scf, bool Fallback = false, Tensor? StabilityRatio = null);
