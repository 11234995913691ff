namespace MaceScf.Training;

/// Options the configuration accepts (so a Python config.yaml parses) but `macescf train` does not
/// provide yet: setting one is an error before any work starts, never a silently ignored value.
internal static class UnprovidedOptions
{
    public static void Check(TrainingConfig config)
    {
        string radialType = config.Get(TrainingOptions.RadialType);
        if (radialType != "bessel") Refuse($"radial_type '{radialType}'", "use bessel");
        var run = config.Run;
        if (run.SaveAllCheckpoints) Refuse("save_all_checkpoints: true", "every evaluation is checkpointed; keep_checkpoints keeps them all");
        if (run.LogOnTestSets) Refuse("log_on_test_sets: true", "the test sets are evaluated at the end of the run");
        if (run.ScfConvergenceSummary) Refuse("scf_convergence_summary: true", "run `macescf eval` on the model for an SCF summary");
        foreach (var stage in config.Schedule.Stages)
            if (stage.FixedPointTrainingOptions.LinearSolve == LinearSolve.NormalCg)
                Refuse($"train_schedule.{stage.Index}.fixed_point_training_options.linear_solve: normal_cg",
                    "leave linear_solve out: the dense solve or matrix-free GMRES is chosen by size");
    }

    private static void Refuse(string what, string instead) =>
        throw new ArgumentException($"{what} is not provided by macescf train yet; {instead}");
}
