namespace MaceScf; internal static class Version { public const string Text = "0.1.0"; }
