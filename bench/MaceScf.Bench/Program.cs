using BenchmarkDotNet.Running;
using MaceScf.Bench;

// Stopwatch harnesses for the slow cases (`-- electrostatics N...`, `-- mace-timing ...`, `-- backbone-timing ...`, `-- fixedpoint-timing ...`, `-- fixedpoint-model-timing ...`, `-- fixedpoint-scaling ...`,
// `-- training-timing SYSTEM MODE`, `mpiexec -n R ... -- allreduce P`, `-- shard-load R OPTIONS`);
// anything else goes to BenchmarkDotNet.
switch (args.FirstOrDefault())
{
    case "electrostatics":
        ElectrostaticsTiming.Run(args.Skip(1).Select(int.Parse).Where(n => n > 0).ToArray());
        break;
    case "electrostatics-scaling":
        ElectrostaticsTiming.Scaling(args[1..]);
        break;
    case "mace-timing":
        MaceTiming.Run(args[1..]);
        break;
    case "backbone-timing":
        BackboneTiming.Run(args[1..]);
        break;
    case "fixedpoint-scaling":
        FixedPointScaling.Run(args[1..]);
        break;
    case "fixedpoint-timing":
        FixedPointTiming.Run(args[1..]);
        break;
    case "fixedpoint-model-timing":
        TrainedModelTiming.Run(args[1..]);
        break;
    case "training-timing":
        TrainingTiming.Run(args[1..]);
        break;
    case "allreduce":
        AllreduceTiming.Run(args[1..]);
        break;
    case "shard-load":
        ShardLoadTiming.Run(args[1..]);
        break;
    default:
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        break;
}

public partial class Program;
