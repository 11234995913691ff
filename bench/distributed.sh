#!/usr/bin/env bash
# Epoch time of the bundled example (40 training frames, batch 4, full backbone; 2 direct + 2 unroll_scf epochs):
# 1 process × 2 threads, 2 MPI ranks × 1 thread, and 1 process × 1 thread, interleaved ROUNDS times so that the
# machine's load hits all three alike. Prints one line per run: config, epoch, seconds, communication seconds.
# Usage: bench/distributed.sh [ROUNDS]   (needs MPICH: apt-get install mpich libmpich-dev)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-2}
dotnet build "$root/src/MaceScf.Cli" -c Release -v q >/dev/null
cli="$root/src/MaceScf.Cli/bin/Release/net10.0/MaceScf.Cli.dll"
work=$(mktemp -d)
cp "$root"/examples/conductor/{train,valid,test}.xyz "$work"
sed '/^train_schedule:/,$d' "$root/examples/conductor/config.yaml" > "$work/config.yaml"
cat >> "$work/config.yaml" <<'YAML'
train_schedule:
  0: {name: direct, start: 0, end: 1, lr: 0.01, fixed_point_training_options: {mode: direct},
      loss: {atomic_multipoles: 100.0, total_charge_per_atom: 1000.0, dipole_per_atom: 1000.0, energy_per_atom: 10.0, forces: 100.0}}
  1: {name: unroll, start: 2, end: 3, lr: 0.002,
      loss: {atomic_multipoles: 100.0, total_charge_per_atom: 1000.0, dipole_per_atom: 1000.0, energy_per_atom: 100.0, forces: 100.0},
      fixed_point_training_options: {mode: unroll_scf, scf: {num_scf_steps: 10, constant_charge: true, mixing_parameter: 0.3,
                                     initial_density: from_data, initial_fermi_level: from_data, use_autograd_forces: true}}}
YAML
report() {
  python3 - "$1" "$2" <<'PY'
import json, sys
for line in open(sys.argv[2]):
    e = json.loads(line)
    print(f"{sys.argv[1]:<14} epoch {e['epoch']} {e['mode']:<10} {e['time']:7.2f} s  comm {e.get('communication_time') or 0:6.2f} s  imbalance {e.get('rank_imbalance') or 1:.2f}  loss {e['train_loss']:.12g}")
PY
}
cd "$work"
for round in $(seq "$rounds"); do
  OMP_NUM_THREADS=2 dotnet "$cli" train --config config.yaml --work_dir "p1t2-$round" --model_dir "p1t2-$round" >/dev/null
  report "1 proc x 2 thr" "p1t2-$round/results/conductor_run-1_train.jsonl"
  OMP_NUM_THREADS=1 mpiexec.mpich -n 2 dotnet "$cli" train --config config.yaml --distributed --work_dir "r2t1-$round" --model_dir "r2t1-$round" >/dev/null 2>&1
  report "2 rank x 1 thr" "r2t1-$round/results/conductor_run-1_train.jsonl"
  OMP_NUM_THREADS=1 dotnet "$cli" train --config config.yaml --work_dir "p1t1-$round" --model_dir "p1t1-$round" >/dev/null
  report "1 proc x 1 thr" "p1t1-$round/results/conductor_run-1_train.jsonl"
done
grep -h "parameters" p1t2-1/logs/*.log | head -1
rm -rf "$work"
