using static TorchSharp.torch;

namespace MaceScf.Models;

/// The one door of a model: everything that runs a model (calculators, `macescf eval` and `ipi`, the trainer) calls
/// <see cref="Predict"/> and nothing else. The model owns how it solves for its outputs (an SCF, a single forward pass) and
/// how it falls back when a solution method fails; callers only say what they want (<see cref="PredictionRequest"/>).
internal interface IAtomisticModel
{
    /// Floating-point type of the parameters and outputs.
    ScalarType Dtype { get; }

    /// Neighbour cutoff (Å) of the graphs the model reads.
    double Cutoff { get; }

    /// Elements the model knows, in the order of its species index.
    IReadOnlyList<int> AtomicNumbers { get; }

    /// Energy, and what the request asks for, of a batch of structures.
    Prediction Predict(SystemInputs inputs, PredictionRequest request);
}
