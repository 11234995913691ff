using System.Globalization;
using MaceScf.Distributed;
using MaceScf.FixedPoint;
using MaceScf.Training;
using Spectre.Console;
using static TorchSharp.torch;

namespace MaceScf.Cli.Commands;

/// `macescf train --config config.yaml [--option value ...]`: trains a fixed-point SCF model through its train_schedule
/// (docs/training.md).
internal sealed class TrainCommand : ICommand
{
    public string Name => "train";
    public string Summary => "train a fixed-point SCF model from config.yaml and command-line options";
    /// The registry's true/false options (and their `no_` forms) and --print-config.
    public IReadOnlySet<string> Flags { get; } = TrainingCommandLine.FlagNames.Append(PrintConfig).ToHashSet(StringComparer.Ordinal);

    const string PrintConfig = "print_config";

    public string Help => """
        usage: macescf train --config config.yaml [--option value ...] [--print-config]
               mpiexec -n R macescf train --config config.yaml --distributed ...   (docs/distributed.md)

        Trains a model of the --model class (default FixedPoint, the fixed-point SCF electrostatic MACE model;
        MACE and ScaleShiftMACE: plain MACE) through the stages of train_schedule and
        writes the final model ({name}_run-{seed}.model in model_dir, loadable by macescf eval),
        checkpoints, and {name}_run-{seed}_train.jsonl (metrics per epoch) in results_dir.
        Options come from the defaults, then config.yaml, then the command line (docs/configuration.md).
          --print-config   print the resolved configuration as config.yaml and exit

        """ + OptionDocs.HelpText();

    public int Run(CommandLine args, IAnsiConsole console)
    {
        bool printConfig = args.Flag(PrintConfig);
        var words = args.Words with { Values = args.Words.Values.Where(v => v.Name != PrintConfig).ToList() };
        TrainingConfig config;
        try
        {
            config = TrainingConfigLoader.Load(words, Directory.GetCurrentDirectory());
        }
        catch (ConfigurationException e)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 2;
        }
        if (printConfig)
        {
            console.Profile.Out.Writer.Write(config.Render());
            return 0;
        }
        return Train(config, console);
    }

    /// One process, or (--distributed) this rank of an MPI job: rank 0 prints and writes; a rank that fails prints its error
    /// and aborts the job, so no rank waits for it.
    private static int Train(TrainingConfig config, IAnsiConsole console)
    {
        if (!config.Run.Distributed)
        {
            if (MpiLauncher.Ranks() is > 1 and int launched)
            {
                console.MarkupLineInterpolated(
                    $"[red]error:[/] started as one of {launched} MPI ranks without --distributed: each rank would train alone and write the same files; add --distributed (docs/distributed.md) or run one process");
                return 2;
            }
            return Train(config, console, SingleProcess.Instance);
        }
        MpiCommunicator ranks;
        try
        {
            ranks = MpiCommunicator.Start();
        }
        catch (DllNotFoundException e)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }
        using (ranks)
        {
            try
            {
                return Train(config, ranks.Rank == 0 ? console : Silent(), ranks);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"error: rank {ranks.Rank} of {ranks.Size} failed: {e.Message}");
                // The failures App reports by their message; anything else also gets its stack trace.
                if (e is not (ConfigurationException or MaceScf.Data.KeyMappingException or IOException or UnauthorizedAccessException
                    or FormatException or ArgumentException or InvalidDataException or InvalidOperationException)) Console.Error.WriteLine(e);
                Console.Error.Flush();
                // MPI_Abort kills the job at once: give the launcher a moment to forward the message first.
                Thread.Sleep(TimeSpan.FromSeconds(1));
                ranks.Abort(1);
                return 1;
            }
        }
    }

    private static IAnsiConsole Silent() => AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) });

    private static int Train(TrainingConfig config, IAnsiConsole console, ICommunicator ranks)
    {
        var run = config.Run;
        // One run per tag: rank 0 holds the lock for the whole job (the other ranks are its own processes).
        using var runLock = ranks.Rank == 0 ? RunLock.Acquire(run.WorkDir, run.Tag) : null;
        ResumePoint? resume;
        try
        {
            resume = Checkpoint.Find(config);
        }
        catch (ConfigurationException e)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 2;
        }
        StreamWriter? log = null;
        if (ranks.Rank == 0)
        {
            Directory.CreateDirectory(run.LogDir);
            log = new StreamWriter(Path.Combine(run.LogDir, $"{run.Tag}.log"), append: true) { AutoFlush = true };
        }
        using var logFile = log;
        void Say(string line)
        {
            console.WriteLine(line);
            log?.WriteLine(line);
        }
        foreach (var line in config.Provenance()) log?.WriteLine(line);
        if (ranks.Size > 1)
        {
            Say($"distributed: {ranks.Size} MPI ranks, {RankThreads.Apply()} thread(s) per rank");
            // MPICH's launcher names a killed rank by PID and host: this line names the rank.
            string identities = $"ranks: {RankIdentity.Describe(ranks)}";
            if (ranks.Size <= 16) Say(identities);
            else log?.WriteLine(identities);
        }
        if (resume is not null)
        {
            Say(resume.Epoch < config.Schedule.LastEpoch
                ? $"resuming from checkpoint {resume.Folder}: epoch {resume.Epoch} done, continuing at epoch {resume.Epoch + 1} of {config.Schedule.LastEpoch}"
                : $"resuming from checkpoint {resume.Folder}: epoch {resume.Epoch} done, the schedule ends at epoch {config.Schedule.LastEpoch}: "
                    + "no epoch left to train (extend the last stage's end to train on)");
            foreach (var change in resume.ChangedOptions) Say($"warning: restart_accept_changes: {change}");
        }
        var dtype = run.DefaultDtype == DefaultDtype.Float32 ? ScalarType.Float32 : ScalarType.Float64;
        var sets = TrainingSets.Load(config.Data, config.Get(TrainingOptions.AtomicMultipolesMaxL),
            config.Data.ShardData && ranks.Size > 1 ? (ranks.Rank, ranks.Size) : null);
        Say($"data: {sets.Train.Count} train, {sets.Valid.Count} valid, {sets.Tests.Sum(t => t.Frames.Count)} test frame(s); "
            + $"elements {string.Join(", ", sets.Species.AtomicNumbers)}");
        if (sets.Train is ShardedFrames shard)
            Say($"shard_data: each rank holds its shard of the training frames in memory (rank 0: {shard.HeldCount} of {shard.Count})");
        foreach (var warning in sets.Warnings) Say($"warning: {warning}");
        ModelSetup setup;
        try
        {
            setup = ModelSetup.From(config, sets);
        }
        catch (ConfigurationException e)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 2;
        }
        foreach (var line in setup.Log) Say(line);
        random.manual_seed(run.Seed);
        using var model = setup.Build(dtype, Say);
        Say($"model: {model.Class}, {model.ParameterCount} parameters");
        var trainer = new Trainer(config, sets, model, ranks);
        int lastEpoch = config.Schedule.LastEpoch;
        var result = LiveProgress.Run(console, work => trainer.Run(new Reporter(r =>
        {
            work.Report(new WorkProgress("epochs", r.Epoch + 1, lastEpoch + 1));
            Say(Line(r));
            if (r.Inference is { } inference) Say(InferenceLine(inference));
            if (r.InferenceWarning is { } warning) Say($"warning: the SCF of inference disagrees with the stage's validation: {warning}");
        }), default, work));
        if (ranks.Rank == 0)
        {
            Say($"model written to {result.ModelPath}; metrics in {result.MetricsPath}");
            foreach (var png in TrainingPlots.Write(run.ResultsDir, run.Tag, result.Epochs)) Say($"plot: {png}");
        }
        // Every rank evaluates its share of the batches; rank 0 prints (the others' console and log are silent).
        PrintFinalErrors(console, Say, model, config, sets, ranks);
        return 0;
    }

    /// `epoch 3/10 stage 0 (direct, direct) lr 1e-2 loss 1.23 valid 1.4 E 12.3 meV/atom F 45 meV/Å ρ 0.01 SCF 8.0 steps 100% 0.8 s`.
    public static string Line(EpochReport r)
    {
        var s = CultureInfo.InvariantCulture;
        var text = $"epoch {r.Epoch}/{r.LastEpoch} stage {r.Stage} ({r.StageName}, {r.Mode}) lr {r.Lr.ToString("G3", s)} loss {r.TrainLoss.ToString("G4", s)}";
        if (r.ValidLoss is { } v) text += $" valid {v.ToString("G4", s)}";
        var errors = r.Rmse.GetValueOrDefault("valid") ?? r.Rmse["train"];
        if (errors.TryGetValue("energy_per_atom", out var e)) text += $" E {(1000 * e).ToString("F2", s)} meV/atom";
        if (errors.TryGetValue("forces", out var f)) text += $" F {(1000 * f).ToString("F1", s)} meV/Å";
        if (errors.TryGetValue("atomic_multipoles", out var q)) text += $" ρ {q.ToString("G3", s)}";
        if (r.ScfSteps is { } steps) text += $" SCF {steps.ToString("F1", s)} steps {(100 * r.ScfConverged!.Value).ToString("F0", s)}% conv";
        if (r.Fallbacks > 0) text += $" {r.Fallbacks} fallback(s) to unroll";
        if (r.Ranks is { } ranks)
            text += $" {ranks.Count} ranks imbalance {ranks.Imbalance.ToString("F2", s)} comm {ranks.CommunicationSeconds.ToString("F2", s)} s";
        text += $" {r.Seconds.ToString("F1", s)} s";
        if (r.TrainCpuSeconds is { } cpu) text += $" (training CPU {cpu.ToString("F1", s)} s)";
        return text + (r.Improved ? " *" : "");
    }

    /// `  valid at inference: E 12.30 meV/atom F 45.0 meV/Å q 0.0123 e SCF 23.4 / 41 updates, 10/10 converged` (errors over the
    /// converged frames).
    public static string InferenceLine(InferenceReport r)
    {
        var s = CultureInfo.InvariantCulture;
        var text = "  valid at inference:";
        if (r.Rmse.TryGetValue("energy_per_atom", out var e)) text += $" E {(1000 * e).ToString("F2", s)} meV/atom";
        if (r.Rmse.TryGetValue("forces", out var f)) text += $" F {(1000 * f).ToString("F1", s)} meV/Å";
        if (r.Rmse.TryGetValue("charges", out var q)) text += $" q {q.ToString("G3", s)} e";
        if (r.Rmse.TryGetValue("dipole", out var d)) text += $" P {d.ToString("G3", s)} e·Å";
        return text + $" SCF {r.ScfStepsMean.ToString("F1", s)} / {r.ScfStepsMax} updates (mean / max), {r.Converged}/{r.Frames} converged";
    }

    /// Errors and SCF status counts of the final model on train, valid and each test config_type, with a converged SCF as at
    /// inference (<see cref="FinalEvaluation"/>); the settings are printed and logged above the tables.
    private static void PrintFinalErrors(IAnsiConsole console, Action<string> say, TrainableModel model, TrainingConfig config, TrainingSets sets,
        ICommunicator ranks)
    {
        var options = FinalEvaluation.Settings(config);
        var all = sets.Train.Concat(sets.Valid).Concat(sets.Tests.SelectMany(t => t.Frames));
        if (model.SelfConsistent)
            say($"final errors, SCF as at inference (run to convergence): "
                + FinalEvaluation.Describe(options, all, model.Layout.FermiLevelOffset));
        else say($"final errors ({model.Class})");
        var evaluated = LiveProgress.Run(console, work => FinalEvaluation.Run(model, sets, options, config.Data.ValidBatchSize, work, ranks).ToList());
        foreach (var set in evaluated)
        {
            console.MarkupLineInterpolated($"[bold]{set.Name}[/] ({set.Predictions.Count} frame(s))");
            if (!model.SelfConsistent)
            {
                EvalErrorTable.Print(console, set.Predictions);
                continue;
            }
            ScfSummaryTable.Print(console, set.Predictions, "SCF status");
            if (InferenceReport.Of(set.Predictions).Divergence(new Dictionary<string, double>()) is { } notConverged)
                say($"warning: {set.Name}: {notConverged}");
            var converged = set.Predictions.Where(p => p.Results.Status == ScfStatus.Converged).ToList();
            if (converged.Count > 0) EvalErrorTable.Print(console, converged);
            if (converged.Count < set.Predictions.Count)
                EvalErrorTable.Print(console, set.Predictions.Where(p => p.Results.Status != ScfStatus.Converged).ToList(),
                    "errors against the reference labels of the frames that did not converge (where their SCF stopped; not scored above)");
        }
    }

    /// Runs the callback synchronously on the training thread (Progress<T> would post it elsewhere).
    private sealed class Reporter(Action<EpochReport> action) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => action(value);
    }
}
