namespace MaceScf.Synthetic;

/// Per-element parameters of the polarisable teacher (docs/synth.md):
/// E_i = χ q_i + ½ J q_i² + |d_i|²/(2α), plus a Born–Mayer repulsion radius.
/// <param name="AtomicNumber">Z of the element.</param>
/// <param name="Electronegativity">χ in eV/e.</param>
/// <param name="Hardness">J in eV/e², on top of the Gaussian's own Coulomb self-energy.</param>
/// <param name="Polarisability">α in e²·Å²/eV (α_volume / k_e).</param>
/// <param name="RepulsionRadius">R in Å: two atoms of different molecules repel as ε exp((R_i + R_j − r)/ρ).</param>
internal sealed record TeacherElement(int AtomicNumber, double Electronegativity, double Hardness, double Polarisability, double RepulsionRadius);
