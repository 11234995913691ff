using MaceScf.Calculators;
using MaceScf.Data;
using MaceScf.FixedPoint;
using MaceScf.Mace;
using MaceScf.Models;
using static TorchSharp.torch;

namespace MaceScf.Tests.FixedPoint;

/// The tests' shorthand for the model door with the options they vary.
internal static class PredictShorthands
{
    public static Prediction Evaluate(this FixedPointModel model, SystemInputs inputs, ScfOptions options, bool computeForces = true,
        bool computeStress = false) =>
        model.Predict(inputs, new PredictionRequest { Scf = options, Forces = computeForces, Stress = computeStress });

    public static Prediction Evaluate(this MaceModel model, MaceInputs inputs, bool computeForces = true, bool computeStress = false,
        bool createGraph = false) =>
        model.Predict(new SystemInputs(inputs, zeros(inputs.NumGraphs, 3, dtype: ScalarType.Bool)),
            new PredictionRequest { Forces = computeForces, Stress = computeStress, CreateGraph = createGraph });

    /// Every frame through a <see cref="FixedPointCalculator"/> in batches, as `macescf eval` runs them.
    public static List<FramePrediction> EvaluateFrames(this FixedPointModel model, ScfOptions options, IReadOnlyList<LabelledConfiguration> frames,
        int batchSize = 4, bool computeForces = true) =>
        FramePrediction.Evaluate(new FixedPointCalculator(model, options), frames,
            CalculatorProperties.Energy | (computeForces ? CalculatorProperties.Forces : 0), batchSize).ToList();
}
