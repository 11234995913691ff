using System.Text;

namespace MaceScf.Training;

/// `--help` text and the option tables of docs/configuration.md, both generated from
/// <see cref="TrainingOptions"/>.
internal static class OptionDocs
{
    /// Marks the generated part of docs/configuration.md.
    public const string BeginMarker = "<!-- BEGIN GENERATED OPTIONS (OptionDocs.Markdown) -->";
    public const string EndMarker = "<!-- END GENERATED OPTIONS -->";

    public static string Title(OptionSection section) => section switch
    {
        OptionSection.Core => "Core",
        OptionSection.Run => "Run, files and logging",
        OptionSection.Data => "Data",
        OptionSection.Architecture => "Architecture (MACE backbone)",
        OptionSection.Electrostatics => "Electrostatics and density representation",
        OptionSection.FieldFeatures => "Field features",
        OptionSection.UpdateRule => "Fixed-point update rule",
        OptionSection.Readouts => "Readouts",
        OptionSection.Training => "Training, optimiser and scheduler",
        OptionSection.FineTuning => "Fine-tuning from a foundation model",
        _ => throw new ArgumentOutOfRangeException(nameof(section)),
    };

    /// The options part of `macescf train --help`.
    public static string HelpText()
    {
        var sb = new StringBuilder();
        foreach (var group in TrainingOptions.All.GroupBy(o => o.Section))
        {
            sb.Append('\n').Append(Title(group.Key)).Append(":\n");
            foreach (var o in group)
            {
                sb.Append($"  --{o.Name} <{o.TypeName}>  (default: {o.DefaultText})\n");
                sb.Append($"      {o.Help}\n");
            }
        }
        return sb.ToString();
    }

    /// The option tables between the markers of docs/configuration.md.
    public static string Markdown()
    {
        var sb = new StringBuilder();
        sb.Append(BeginMarker).Append('\n');
        foreach (var group in TrainingOptions.All.GroupBy(o => o.Section))
        {
            sb.Append($"\n### {Title(group.Key)}\n\n");
            sb.Append("| option | type | default | meaning |\n|---|---|---|---|\n");
            foreach (var o in group)
                sb.Append($"| `{o.Name}` | {Cell(o.TypeName)} | `{o.DefaultText}` | {Cell(o.Help)} |\n");
        }
        sb.Append('\n').Append(EndMarker).Append('\n');
        return sb.ToString();
    }

    static string Cell(string text) => text.Replace("|", "\\|");
}
