#!/usr/bin/env sh
# The IR spectrum of a water cluster from an MD driven by `macescf ipi` (docs/response.md, "IR spectrum of a water
# cluster"). Run from anywhere; writes into this folder (runs/, data, trajectory, ir.csv, ir.png). Seeded throughout.
# EQUILIBRATION_STEPS and PRODUCTION_STEPS (default 1000 and 4000) shorten the MD for a quick try.
# Needs Debian's python3-ase (ASE 3.22 as the i-PI server) at /usr/bin/python3, or PYTHON=... with ASE.
set -e
dir=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
cd "$dir"
macescf="$dir/../../macescf"
python="${PYTHON:-/usr/bin/python3}"
socket="macescf-water-ir-$$"

# 1. Data from the polarisable teacher (docs/synth.md): clusters of 3-5 water molecules.
"$macescf" synth --system water_cluster --count 160 --seed 1 -o train.xyz >/dev/null
"$macescf" synth --system water_cluster --count 40 --seed 2 -o valid.xyz >/dev/null
"$macescf" synth --system water_cluster --count 40 --seed 3 -o test.xyz >/dev/null

# 2. A small fixed-point model (config.yaml: direct training, 60 epochs).
"$macescf" train --config config.yaml
model=runs/water_ir_run-1.model

# 3. MD of a four-molecule cluster (test.xyz frame 2): ASE is the i-PI server, macescf ipi the driver.
"$python" -c 'import ase.io; ase.io.write("start.xyz", ase.io.read("test.xyz", index=2), format="extxyz")'
# serve LOG SCRIPT ARGS...: starts an ASE server script on /tmp/ipi_$socket, drives it with macescf ipi until it closes.
serve() {
  log=$1; shift
  "$python" "$@" > "$log" 2>&1 &
  server=$!
  while [ ! -S "/tmp/ipi_$socket" ]; do
    kill -0 "$server" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 1
  done
  "$macescf" ipi "$model" --init start.xyz --unix "$socket" > "ipi-$log"
  wait "$server"
  cat "$log"
}
serve md.log md.py "$socket" start.xyz md.xyz "${EQUILIBRATION_STEPS:-1000}" "${PRODUCTION_STEPS:-4000}"
# The model's harmonic frequencies at the relaxed cluster, to assign the peaks.
serve modes.log modes.py "$socket" start.xyz

# 4. Dipoles of every frame (ASE 3.22 cannot take the driver's --dipole extras), then the spectrum.
"$macescf" eval "$model" md.xyz -o md_dipoles.xyz --no-forces --batch-size 50 > eval.log
"$macescf" spectrum md_dipoles.xyz --timestep 0.5 -o ir.csv --plot ir.png
