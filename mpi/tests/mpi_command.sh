#!/usr/bin/env bash
# `mpiexec -n P softmaxkit-mpi train` against `softmaxkit train` on the same CSV, one thread per
# rank: the model files must be byte-identical (every parameter, the classes and lambda) for
# P = 1..4 with the first solver given, P = 3 with the others; then a CSV with a header, the same
# rows as LibSVM (both commands train them as CSR) and IDX files.
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
# Compares the single-process model with the ranks' ($1: what was run; $2: more to print when
# they are identical).
same_model() {
  if cmp -s "$work/single.skm" "$work/parallel.skm"; then
    echo "$1: model identical${2:+ $2}"
  else
    echo "$1: models DIFFER"
    status=1
  fi
}
rank_counts="1 2 3 4"
for solver in "$@"; do
  "$single" train --format csv --train "$work/data.csv" --solver "$solver" --threads 1 --C 10 \
    --quiet --model "$work/single.skm"
  for ranks in $rank_counts; do
    "$mpiexec" -n "$ranks" "$parallel" train --format csv --train "$work/data.csv" \
      --solver "$solver" --threads 1 --C 10 --json --model "$work/parallel.skm" >"$work/json"
    same_model "$solver, $ranks ranks" "($(grep -o '"objective": [^,]*' "$work/json"))"
    rm -f "$work/parallel.skm"
  done
  rank_counts=3
done
# The text output is softmaxkit train's, its first line adding the rank count (the stop line
# lacked the relative gradient norm, the objective line the pass equivalents, and the metric line
# was missing); only the seconds may differ.
text_of() { sed -E 's/, [0-9]+ ranks$//; s/[0-9.]+ s$/T s/'; }
"$single" train --format csv --train "$work/data.csv" --threads 1 --C 10 --test "$work/data.csv" \
  | text_of >"$work/single.txt"
"$mpiexec" -n 2 "$parallel" train --format csv --train "$work/data.csv" --threads 1 --C 10 \
  --test "$work/data.csv" | text_of >"$work/parallel.txt"
if cmp -s "$work/single.txt" "$work/parallel.txt"; then
  echo "text output, 2 ranks: the same $(wc -l <"$work/single.txt") lines"
else
  echo "text output, 2 ranks: DIFFERS"
  diff "$work/single.txt" "$work/parallel.txt"
  status=1
fi
# CSV with a header, read by byte ranges (2 and 4 ranks): the ranks' parts begin mid-file and the
# rows move to the chunk owners.
{ echo "label$(seq -s, 1 30 | sed 's/^/,/;s/,/,f/g')"; cat "$work/data.csv"; } >"$work/header.csv"
"$single" train --format csv --header --train "$work/header.csv" --threads 1 --C 10 --quiet \
  --model "$work/single.skm"
for ranks in 2 4; do
  "$mpiexec" -n "$ranks" "$parallel" train --format csv --header --train "$work/header.csv" \
    --threads 1 --C 10 --quiet --model "$work/parallel.skm"
  same_model "csv by byte ranges, $ranks ranks"
  rm -f "$work/parallel.skm"
done
# LibSVM (features below -0.3 left out), trained as CSR by both commands: by byte ranges for
# 1..3 ranks (3 chunks of the CSR grid, whose rows the parts' rows move to) with the default
# solver, 3 ranks with lbfgs and newton.
awk -F, '{ line = $1; for (j = 2; j <= NF; j++) if ($j >= -0.3) line = line " " (j - 1) ":" $j;
  print line }' "$work/data.csv" >"$work/data.libsvm"
for setup in "auto 1 data.libsvm" "auto 2 data.libsvm" "auto 3 data.libsvm" \
  "lbfgs 3 data.libsvm" "newton 3 data.libsvm"; do
  set -- $setup
  "$single" train --format libsvm --train "$work/$3" --solver "$1" --threads 1 --C 10 --quiet \
    --model "$work/single.skm"
  "$mpiexec" -n "$2" "$parallel" train --format libsvm --train "$work/$3" --solver "$1" \
    --threads 1 --C 10 --json --model "$work/parallel.skm" >"$work/json"
  same_model "libsvm $3 (CSR), $1, $2 ranks" "($(grep -o '"objective": [^,]*' "$work/json"))"
  rm -f "$work/parallel.skm"
done
# gzip-compressed LibSVM and CSV: every rank inflates the file as a stream and keeps only the
# lines of its byte range of the inflated text; the model bytes of the plain file's
# single-process fit, which the single process also writes from the .gz. Also as two gzip
# members (the file cut in two, each compressed, concatenated) on 3 ranks.
gzip -c "$work/data.libsvm" >"$work/data.libsvm.gz"
gzip -c "$work/data.csv" >"$work/data.csv.gz"
for format in libsvm csv; do
  "$single" train --format "$format" --train "$work/data.$format" --threads 1 --C 10 --quiet \
    --model "$work/single.skm"
  "$single" train --format "$format" --train "$work/data.$format.gz" --threads 1 --C 10 --quiet \
    --model "$work/parallel.skm"
  same_model "$format gzip, single process"
  rm -f "$work/parallel.skm"
  "$mpiexec" -n 2 "$parallel" train --format "$format" --train "$work/data.$format.gz" \
    --threads 1 --C 10 --quiet --model "$work/parallel.skm"
  same_model "$format gzip, 2 ranks"
  rm -f "$work/parallel.skm"
  lines=$(wc -l <"$work/data.$format")
  { head -n $((lines / 3)) "$work/data.$format" | gzip -c
    tail -n +$((lines / 3 + 1)) "$work/data.$format" | gzip -c; } >"$work/members.$format.gz"
  "$mpiexec" -n 3 "$parallel" train --format "$format" --train "$work/members.$format.gz" \
    --threads 1 --C 10 --quiet --model "$work/parallel.skm"
  same_model "$format gzip in two members, 3 ranks"
  rm -f "$work/parallel.skm"
done
# A gzip LibSVM file whose last record has no line end, on 2-4 ranks (the last part runs to the
# end of the inflated text).
printf '0 1:0.5 3:1\n1 2:0.25\n2 1:1 2:1 3:1\n0 1:0.4 3:0.9\n1 2:0.3' >"$work/open.libsvm"
gzip -c "$work/open.libsvm" >"$work/open.libsvm.gz"
"$single" train --format libsvm --train "$work/open.libsvm" --threads 1 --C 1 --quiet \
  --model "$work/single.skm"
for ranks in 2 3 4; do
  "$mpiexec" -n "$ranks" "$parallel" train --format libsvm --train "$work/open.libsvm.gz" \
    --threads 1 --C 1 --quiet --model "$work/parallel.skm"
  same_model "libsvm gzip without a final line end, $ranks ranks"
  rm -f "$work/parallel.skm"
done
# More ranks than rows: three rows, gzip-compressed, on 4 ranks (a rank may hold no chunk of
# the grid; it still takes part in every fold of the sums).
printf '0 1:0.5 3:1\n1 2:0.25\n2 1:1 2:1 3:1\n' | gzip -c >"$work/three.libsvm.gz"
printf '0,0.5,0,1\n1,0,0.25,0\n2,1,1,1\n' | gzip -c >"$work/three.csv.gz"
for format in libsvm csv; do
  "$single" train --format "$format" --train "$work/three.$format.gz" --threads 1 --C 1 --quiet \
    --model "$work/single.skm"
  "$mpiexec" -n 4 "$parallel" train --format "$format" --train "$work/three.$format.gz" \
    --threads 1 --C 1 --quiet --model "$work/parallel.skm"
  same_model "$format gzip, 3 rows on 4 ranks"
  rm -f "$work/parallel.skm"
done
# A small LibSVM file (1.4 KB) whose first 200 records have no entries: parts near the end of the
# file (where finding a part's end once ran it to the end of the file, reading rows twice), and
# parts whose records infer no width (the width is the whole file's), 3 and 4 ranks.
for i in $(seq 1 240); do
  if ((i <= 200)); then echo "$((i % 3))"; else echo "$((i % 3)) 1:0.$i 4:1.$i 7:0.5"; fi
done >"$work/small.libsvm"
"$single" train --format libsvm --train "$work/small.libsvm" --threads 1 --C 1 --quiet \
  --model "$work/single.skm"
for ranks in 3 4; do
  "$mpiexec" -n "$ranks" "$parallel" train --format libsvm --train "$work/small.libsvm" \
    --threads 1 --C 1 --quiet --model "$work/parallel.skm"
  same_model "small libsvm, $ranks ranks"
  rm -f "$work/parallel.skm"
done
# A LibSVM file that ends in 300 comment lines (with ':' in them): the later ranks' parts hold no
# record, which is no error (the parts used to be parsed as files of their own and refused as
# "no data records"), plain and gzip, 2-4 ranks.
{ head -n 60 "$work/small.libsvm" | tail -n 30; tail -n 30 "$work/small.libsvm"
  for i in $(seq 1 300); do echo "# note $i: index:value pairs above"; done; } >"$work/notes.libsvm"
gzip -c "$work/notes.libsvm" >"$work/notes.libsvm.gz"
"$single" train --format libsvm --train "$work/notes.libsvm" --threads 1 --C 1 --quiet \
  --model "$work/single.skm"
for file in notes.libsvm notes.libsvm.gz; do
  for ranks in 2 3 4; do
    "$mpiexec" -n "$ranks" "$parallel" train --format libsvm --train "$work/$file" \
      --threads 1 --C 1 --quiet --model "$work/parallel.skm" || true
    same_model "$file ending in comment lines, $ranks ranks"
    rm -f "$work/parallel.skm"
  done
done

# --sample-weights (every rank reads the file, keeps its rows' weights) and --class-weight
# balanced (counted over every rank's rows): CSV by byte ranges and LibSVM as CSR, 1-3 ranks.
awk '{ print (NR * 7 + 3) % 4 }' "$work/data.csv" >"$work/weights.txt"
for format in csv libsvm; do
  for weighting in "--sample-weights $work/weights.txt" "--class-weight balanced" \
    "--sample-weights $work/weights.txt --class-weight 0:2,3:0.5"; do
    "$single" train --format "$format" --train "$work/data.$format" --threads 1 --C 10 $weighting \
      --quiet --model "$work/single.skm"
    for ranks in 1 2 3; do
      "$mpiexec" -n "$ranks" "$parallel" train --format "$format" --train "$work/data.$format" \
        --threads 1 --C 10 $weighting --quiet --model "$work/parallel.skm"
      same_model "$format ${weighting//$work\//}, $ranks ranks"
      rm -f "$work/parallel.skm"
    done
  done
done
# A bad weights file is refused on every rank (exit 2, rank 0 prints the file and line).
{ head -n 10 "$work/weights.txt"; echo "-1"; tail -n +12 "$work/weights.txt"; } >"$work/bad.txt"
if "$mpiexec" -n 2 "$parallel" train --format csv --train "$work/data.csv" --threads 1 \
  --sample-weights "$work/bad.txt" --quiet 2>"$work/err"; then
  echo "bad weights file: accepted"
  status=1
elif grep -qF "bad.txt:11: '-1' is negative (weights are >= 0)" "$work/err"; then
  echo "bad weights file: refused, naming the line"
else
  echo "bad weights file: refused without naming the line: $(cat "$work/err")"
  status=1
fi

# IDX, read by rows on each rank: Fashion-MNIST's test file (10,000 rows), gzip (streamed and
# skipped) with 3 ranks and plain (seeked) with 2, 15 iterations of the default solver.
fashion=/usr/share/datasets/fashion-mnist
if [[ -r $fashion/t10k-images-idx3-ubyte.gz ]]; then
  gzip -dc "$fashion/t10k-images-idx3-ubyte.gz" >"$work/images.idx"
  "$single" train --format idx --train "$fashion/t10k-images-idx3-ubyte.gz" \
    --train-labels "$fashion/t10k-labels-idx1-ubyte.gz" --threads 1 --max-iter 15 --quiet \
    --model "$work/single.skm"
  for setup in "3 $fashion/t10k-images-idx3-ubyte.gz" "2 $work/images.idx"; do
    set -- $setup
    "$mpiexec" -n "$1" "$parallel" train --format idx --train "$2" \
      --train-labels "$fashion/t10k-labels-idx1-ubyte.gz" --threads 1 --max-iter 15 --quiet \
      --model "$work/parallel.skm"
    same_model "idx $(basename "$2"), $1 ranks"
    rm -f "$work/parallel.skm"
  done
else
  echo "idx case skipped: $fashion is absent (install dataset-fashion-mnist)"
fi
exit $status
