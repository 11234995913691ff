using System.Globalization;
using MaceScf.Calculators;
using MaceScf.FixedPoint;

namespace MaceScf.Training;

/// <summary>
/// The validation set scored with the model's SCF run as at inference (<see cref="FinalEvaluation.Settings"/>). Only frames
/// whose SCF converged are scored; the others are counted and named, never averaged in.
/// </summary>
/// <param name="Rmse">over the converged frames, in the units of <see cref="EpochReport.Rmse"/>, plus charges (e) and
/// atomic_dipoles (e·Å), the l = 0 and l = 1 columns of atomic_multipoles</param>
/// <param name="Frames">frames evaluated</param>
/// <param name="Converged">frames whose SCF converged</param>
/// <param name="MaxStepsReached">frames that reached the step limit</param>
/// <param name="Diverged">frames whose SCF diverged</param>
/// <param name="ScfStepsMean">mean SCF updates over all frames (a frame that did not converge counts its updates)</param>
/// <param name="ScfStepsMax">most SCF updates of a frame</param>
/// <param name="NotConverged">the frames that reached the step limit or diverged, by file and frame</param>
public sealed record InferenceReport(IReadOnlyDictionary<string, double> Rmse, int Frames, int Converged, int MaxStepsReached, int Diverged,
    double ScfStepsMean, int ScfStepsMax, IReadOnlyList<string> NotConverged)
{
    /// <summary>
    /// An inference RMSE above this multiple of the stage's own validation RMSE is reported as a divergence.
    /// </summary>
    public const double WarningRatio = 1.5;

    /// <summary>Frames named in the warning before the rest are only counted.</summary>
    public const int NamedFrames = 5;

    internal static InferenceReport Of(IReadOnlyList<FramePrediction> predictions)
    {
        var converged = predictions.Where(p => p.Results.Status == ScfStatus.Converged).ToList();
        var steps = predictions.Select(p => p.Results.Steps).DefaultIfEmpty(0).ToArray();
        return new InferenceReport(PredictionErrors.Rmse(converged), predictions.Count, converged.Count,
            predictions.Count(p => p.Results.Status == ScfStatus.MaxStepsReached), predictions.Count(p => p.Results.Status == ScfStatus.Diverged),
            steps.Average(), steps.Max(),
            predictions.Where(p => p.Results.Status != ScfStatus.Converged)
                .Select(p => $"{p.Frame.Configuration.DescribeOrigin()} ({ScfResult.Name(p.Results.Status!.Value)} after {p.Results.Steps} updates)").ToList());
    }

    /// <summary>
    /// Why the inference SCF and the stage's own validation disagree, or null: frames that did not converge, and every property
    /// whose inference RMSE exceeds <see cref="WarningRatio"/> × the stage's (a stage RMSE of 0, such as the Fermi
    /// level of direct training, which is not predicted, is not compared).
    /// </summary>
    public string? Divergence(IReadOnlyDictionary<string, double> stageRmse)
    {
        var s = CultureInfo.InvariantCulture;
        var reasons = new List<string>();
        if (Converged < Frames)
        {
            string named = string.Join("; ", NotConverged.Take(NamedFrames));
            string more = NotConverged.Count > NamedFrames ? $"; and {NotConverged.Count - NamedFrames} more" : "";
            reasons.Add($"{Frames - Converged} of {Frames} frame(s) did not converge and are left out of the errors: {named}{more}");
        }
        foreach (var (name, stage) in stageRmse)
            if (stage > 0 && Rmse.TryGetValue(name, out var inference) && inference > WarningRatio * stage)
                reasons.Add($"{name} RMSE {inference.ToString("G3", s)} at inference vs {stage.ToString("G3", s)} in the stage's validation "
                    + $"({(inference / stage).ToString("F1", s)}×)");
        return reasons.Count == 0 ? null : string.Join("; ", reasons);
    }
}
