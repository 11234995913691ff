using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using MaceScf.Data;
using MaceScf.Electrostatics;
using MaceScf.FixedPoint;
using MaceScf.Tests.Cli;
using MaceScf.Tests.FixedPoint;
using Xunit.Abstractions;

namespace MaceScf.Tests.Foundation;

/// The program of docs/library.md, copied out of the file into a new console project outside the repository that references
/// src/MaceScf/MaceScf.csproj, builds and prints the energies `macescf eval` writes for the same model and file.
public sealed class LibraryProgramTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("macescf-library-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void TheLibraryProgramPrintsTheEnergiesOfEval()
    {
        string root = TestData.RepositoryRoot;
        var blocks = Regex.Matches(File.ReadAllText(Path.Combine(root, "docs", "library.md")), "```csharp\n(.*?)```", RegexOptions.Singleline);
        Assert.Single(blocks);
        string project = Path.Combine(_dir, "evaluate");
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "Program.cs"), blocks[0].Groups[1].Value);
        File.WriteAllText(Path.Combine(project, "evaluate.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="{Path.Combine(root, "src", "MaceScf", "MaceScf.csproj")}" />
              </ItemGroup>
              <Import Project="{Path.Combine(root, "Directory.Build.targets")}" />
            </Project>
            """);

        var hp = FixedPointTestSystems.Hyperparameters(method: BoundaryMethod.MixedPeriodic) with
        {
            Electrostatics = new ElectrostaticsOptions { Method = BoundaryMethod.MixedPeriodic, FieldFeatureWidths = [1.0, 2.0], KspaceCutoffFactor = 0.8 },
        };
        string model = Path.Combine(_dir, "model.macescf"), data = Path.Combine(_dir, "frames.xyz"), evalOut = Path.Combine(_dir, "eval.xyz");
        using (var m = FixedPointTestSystems.Damped(hp, 41, 0.3)) ModelFile.Save(m, model);
        ExtXyzWriter.Write(data, ExtXyzReader.ReadAll(TestData.Fixture("test_configs.xyz")).Take(3));

        var (code, text) = CliRunner.Run("eval", model, data, "-o", evalOut, "--no-forces", "--batch-size", "1");
        Assert.True(code == 0, text);
        var expected = ExtXyzReader.ReadAll(evalOut).Select(f => (double)f.Info["macescf_energy"]).ToList();

        Run(project, "dotnet", "build", "--nologo", "-v", "q");
        var printed = Run(project, "dotnet", Path.Combine(project, "bin", "Debug", "net10.0", "evaluate.dll"), model, data)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(expected.Count, printed.Length);
        for (int i = 0; i < expected.Count; i++)
        {
            var parts = printed[i].Split(' ');
            Assert.Equal(["energy", i.ToString(CultureInfo.InvariantCulture)], parts[..2]);
            double energy = double.Parse(parts[2], CultureInfo.InvariantCulture);
            output.WriteLine($"frame {i}: program {energy:R}, eval {expected[i]:R}");
            Assert.True(Math.Abs(energy - expected[i]) <= 1e-9, $"frame {i}: {energy} vs {expected[i]}");
        }
    }

    private string Run(string directory, string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(8)), $"{file} {string.Join(' ', arguments)} timed out");
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{stdout.Result}\n{stderr.Result}");
        return stdout.Result;
    }
}
