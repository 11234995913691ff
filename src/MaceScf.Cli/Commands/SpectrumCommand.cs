using System.Globalization;
using System.Text;
using MaceScf.Data;
using MaceScf.Spectra;
using Spectre.Console;

namespace MaceScf.Cli.Commands;

/// `macescf spectrum TRAJ.xyz --timestep FS`: the IR absorption of a dipole time series (docs/response.md, "IR spectra").
internal sealed class SpectrumCommand : ICommand
{
    public const string DefaultDipoleKey = "macescf_dipole";

    public string Name => "spectrum";
    public string Summary => "IR absorption spectrum from the dipoles of an MD trajectory";
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "no_quantum_correction" };

    public string Help => $"""
        usage: macescf spectrum TRAJ.xyz --timestep FS [--dipole-key KEY] [-o ir.csv] [--plot ir.png]
               [--temperature K] [--max-lag FS] [--max-wavenumber W] [--no-quantum-correction]

        The IR absorption line shape from the total dipole of every frame of TRAJ.xyz (frames equally spaced in
        time): the Fourier transform of the autocorrelation of dP/dt (central differences), with a Hann window
        on the correlation time, times the harmonic quantum correction factor βħω/(1 − e^(−βħω)) (docs/response.md).
        Prints the resolution and the peaks; writes the spectrum as CSV and a PNG plot on request.

          --timestep FS         time between frames (fs)
          --dipole-key KEY      info key of the dipole (three numbers, e·Å) in every frame (default {DefaultDipoleKey},
                                what `macescf eval` writes)
          -o, --output FILE     CSV: wavenumber_cm-1, absorption (quantum corrected), classical
          --plot FILE           PNG plot of the absorption
          --temperature K       for the quantum correction (default 300)
          --max-lag FS          longest correlation time (default: half the trajectory); the resolution is
                                1.44 / (2 · max-lag · c)
          --max-wavenumber W    highest wavenumber written and plotted (default 4500 cm⁻¹)
          --no-quantum-correction  the classical line shape only
        """;

    public int Run(CommandLine args, IAnsiConsole console)
    {
        if (args.Positional.Count != 1) throw new UsageException("spectrum takes TRAJ.xyz");
        double timestep = args.Double("timestep") ?? throw new UsageException("spectrum needs --timestep FS (the time between frames)");
        string key = args.String("dipole_key") ?? DefaultDipoleKey;
        string? output = args.String("output"), plot = args.String("plot");
        double temperature = args.Double("temperature") ?? 300, maxWavenumber = args.Double("max_wavenumber") ?? 4500;
        var options = new SpectrumOptions(timestep, args.Double("max_lag"), temperature, !args.Flag("no_quantum_correction"));
        args.RejectUnknown([]);
        if (!(timestep > 0)) throw new UsageException($"--timestep must be positive, got {timestep}");
        if (!(temperature > 0)) throw new UsageException($"--temperature must be positive, got {temperature}");
        if (!(maxWavenumber > 0)) throw new UsageException($"--max-wavenumber must be positive, got {maxWavenumber}");
        if (output is not null) OutputLocation.RequireWritable(output);
        if (plot is not null) OutputLocation.RequireWritable(plot, "--plot");

        var dipoles = ReadDipoles(args.Positional[0], key);
        InfraredSpectrum spectrum;
        try
        {
            spectrum = InfraredSpectrum.Of(dipoles, options);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{args.Positional[0]}': {e.Message}", e);
        }
        int count = spectrum.Wavenumbers.TakeWhile(w => w <= maxWavenumber).Count();
        if (spectrum.Absorption.Take(count).Any(v => !double.IsFinite(v)))
            throw new InvalidDataException($"'{args.Positional[0]}': the spectrum is not finite (check the dipoles under '{key}')");
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{dipoles.GetLength(0)} frames of {timestep} fs from {args.Positional[0]} ('{key}'): resolution {spectrum.Resolution:F2} cm⁻¹ (FWHM), "
            + $"grid {spectrum.GridSpacing:F3} cm⁻¹, quantum correction {(options.QuantumCorrection ? $"harmonic at {temperature} K" : "none")}"));
        var peaks = spectrum.Peaks().Where(w => w <= maxWavenumber).ToArray();
        console.WriteLine("peaks (cm⁻¹): " + (peaks.Length == 0 ? "none" : string.Join(", ", peaks.Select(w => w.ToString("F1", CultureInfo.InvariantCulture)))));
        if (output is not null)
        {
            WriteCsv(output, spectrum, count, options);
            console.WriteLine($"spectrum → {output}");
        }
        if (plot is not null)
        {
            SpectrumPlot.Write(plot, spectrum, count, peaks);
            console.WriteLine($"plot → {plot}");
        }
        return 0;
    }

    /// The dipole of every frame, [T, 3]; a frame without three finite numbers under the key is an error naming it.
    public static double[,] ReadDipoles(string path, string key)
    {
        var rows = new List<double[]>();
        foreach (var frame in ExtXyzReader.Read(path))
        {
            if (!frame.Info.TryGetValue(key, out var value) || value is not double[] { Length: 3 } p)
                throw new InvalidDataException($"{frame.DescribeOrigin()}: no dipole under the info key '{key}' (three numbers, e·Å); "
                    + $"give the key with --dipole-key, or compute dipoles with `macescf eval` ({DefaultDipoleKey})");
            rows.Add(p);
        }
        var dipoles = new double[rows.Count, 3];
        for (int t = 0; t < rows.Count; t++)
            for (int k = 0; k < 3; k++) dipoles[t, k] = rows[t][k];
        return dipoles;
    }

    private static void WriteCsv(string path, InfraredSpectrum spectrum, int count, SpectrumOptions options)
    {
        var text = new StringBuilder();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"# IR absorption line shape (arbitrary units); timestep {options.Timestep} fs; resolution {spectrum.Resolution:R} cm-1 (FWHM); "
            + $"quantum correction {(options.QuantumCorrection ? $"harmonic, {options.Temperature} K" : "none")}"));
        text.AppendLine("wavenumber_cm-1,absorption,classical");
        for (int k = 0; k < count; k++)
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{spectrum.Wavenumbers[k]:R},{spectrum.Absorption[k]:R},{spectrum.Classical[k]:R}"));
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, text.ToString());
        File.Move(temporary, path, overwrite: true);
    }
}
