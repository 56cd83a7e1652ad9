#!/usr/bin/env bash
# `mpiexec -n P softmaxkit-mpi train` against `softmaxkit train` on the same CSV, one thread per
# rank: the model files must be byte-identical (every parameter, the classes and lambda) for
# P = 1..4 with the first solver given, P = 3 with the others.
# usage: mpi_command.sh MPIEXEC softmaxkit softmaxkit-mpi SOLVER...
set -eu
mpiexec=$1 single=$2 parallel=$3
shift 3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# 4000 rows x 30 features, labels 0..3 from a noisy linear rule (a fixed LCG: the same file on
# every run).
awk 'BEGIN { s = 12345; for (i = 0; i < 4000; i++) { line = ""; z = 0;
  for (j = 0; j < 30; j++) { s = (s * 1103515245 + 12345) % 2147483648; x = s / 2147483648 - 0.5;
    line = line sprintf(",%.6f", x); if (j < 4) z += (j + 1) * x; }
  s = (s * 1103515245 + 12345) % 2147483648; z += (s / 2147483648 - 0.5) * 0.8;
  label = z < -0.6 ? 0 : (z < 0 ? 1 : (z < 0.6 ? 2 : 3)); print label line } }' >"$work/data.csv"
status=0
rank_counts="1 2 3 4"
for solver in "$@"; do
  "$single" train --format csv --train "$work/data.csv" --solver "$solver" --threads 1 --C 10 \
    --quiet --model "$work/single.skm"
  for ranks in $rank_counts; do
    "$mpiexec" -n "$ranks" "$parallel" train --format csv --train "$work/data.csv" \
      --solver "$solver" --threads 1 --C 10 --json --model "$work/parallel.skm" >"$work/json"
    if cmp -s "$work/single.skm" "$work/parallel.skm"; then
      echo "$solver, $ranks ranks: model identical ($(grep -o '"objective": [^,]*' "$work/json"))"
    else
      echo "$solver, $ranks ranks: models DIFFER"
      status=1
    fi
    rm -f "$work/parallel.skm"
  done
  rank_counts=3
done
exit $status
