namespace MaceScf.Synthetic;

/// The systems `macescf synth` knows, by name.
internal static class SyntheticSystems
{
    public static IReadOnlyList<ISyntheticSystem> All { get; } =
        [WaterClusterSystem.Neutral, WaterClusterSystem.Charged, new WaterBoxSystem(), new WaterSlabSystem(), new ConductorSystem(), new CapacitorSystem()];

    public static ISyntheticSystem? Find(string name) => All.FirstOrDefault(s => s.Name == name);
}
