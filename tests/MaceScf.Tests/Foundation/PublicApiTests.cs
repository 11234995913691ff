using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using MaceScf.FixedPoint;

namespace MaceScf.Tests.Foundation;

/// The public types of the library are exactly the ones docs/library.md lists under "Public types", and each of them and
/// each of their public members carries XML documentation with a summary (design.md, "Public face").
public sealed class PublicApiTests
{
    [Fact]
    public void PublicTypesAreTheDocumentedOnes()
    {
        string text = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "docs", "library.md"));
        string section = text[text.IndexOf("## Public types", StringComparison.Ordinal)..];
        var documented = Regex.Matches(section, @"^\| `(?<ns>MaceScf[\w.]*)` \| (?<types>.*) \|$", RegexOptions.Multiline)
            .SelectMany(row => Regex.Matches(row.Groups["types"].Value, "`(\\w+)`").Select(t => $"{row.Groups["ns"].Value}.{t.Groups[1].Value}"))
            .ToHashSet();
        var exported = typeof(ModelFile).Assembly.GetExportedTypes().Select(t => t.FullName!).ToHashSet();
        Assert.NotEmpty(documented);
        Assert.True(exported.SetEquals(documented),
            $"public but not in docs/library.md: {string.Join(", ", exported.Except(documented).Order())}; "
            + $"in docs/library.md but not public: {string.Join(", ", documented.Except(exported).Order())}");
    }

    [Fact]
    public void PublicTypesAndMembersHaveSummaries()
    {
        var assembly = typeof(ModelFile).Assembly;
        string file = Path.ChangeExtension(assembly.Location, ".xml");
        Assert.True(File.Exists(file), $"{file}: no XML documentation next to the library (GenerateDocumentationFile)");
        var docs = XDocument.Load(file).Descendants("member")
            .ToLookup(m => m.Attribute("name")!.Value.Split('(')[0], m => m.Element("summary") is { } s && s.Value.Trim().Length > 0
                || m.Element("inheritdoc") is not null);
        var missing = new List<string>();
        foreach (var type in assembly.GetExportedTypes())
        {
            string name = type.FullName!.Replace('+', '.');
            Check("T:" + name);
            const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (var member in type.GetMembers(all).Where(Visible))
                Check(member switch
                {
                    ConstructorInfo => $"M:{name}.#ctor",
                    MethodInfo => $"M:{name}.{member.Name}",
                    PropertyInfo => $"P:{name}.{member.Name}",
                    FieldInfo => $"F:{name}.{member.Name}",
                    _ => $"E:{name}.{member.Name}",
                });
        }
        Assert.True(missing.Count == 0, "public without a <summary> (or <inheritdoc/>) in the XML documentation:\n" + string.Join("\n", missing));

        void Check(string id)
        {
            if (!docs.Contains(id) || docs[id].Any(hasSummary => !hasSummary)) missing.Add(id);
        }
    }

    /// Public or protected, written in the source (not a record's synthesized members, accessors or an enum's value__).
    private static bool Visible(MemberInfo member)
    {
        if (member.IsDefined(typeof(CompilerGeneratedAttribute)) || member is Type) return false;
        return member switch
        {
            ConstructorInfo c => !c.IsStatic && (c.IsPublic || c.IsFamily || c.IsFamilyOrAssembly) && !IsRecordCopyConstructor(c)
                && c.GetParameters().Length > 0,   // a parameterless constructor may be the implicit one (no source to document)
            MethodInfo m => !m.IsSpecialName && (m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly),
            PropertyInfo p => p.GetAccessors(nonPublic: true).Any(a => a.IsPublic || a.IsFamily || a.IsFamilyOrAssembly),
            FieldInfo f => !f.IsSpecialName && (f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly),
            EventInfo e => e.AddMethod is { } add && (add.IsPublic || add.IsFamily || add.IsFamilyOrAssembly),
            _ => false,
        };
    }

    private static bool IsRecordCopyConstructor(ConstructorInfo c) =>
        c.GetParameters() is [var only] && only.ParameterType == c.DeclaringType && c.DeclaringType!.GetMethod("<Clone>$") is not null;
}
