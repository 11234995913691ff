using BenchmarkDotNet.Running;
using MaceScf.Bench;

if (args.Length > 0 && args[0] == "electrostatics")
{
    ElectrostaticsTiming.Run(args.Skip(1).Select(int.Parse).DefaultIfEmpty(0).Where(n => n > 0).ToArray());
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

public partial class Program;
