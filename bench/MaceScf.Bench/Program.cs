using BenchmarkDotNet.Running;
using MaceScf.Bench;

if (args.Length > 0 && args[0] == "mace-timing") MaceTiming.Run(args[1..]);
else BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
