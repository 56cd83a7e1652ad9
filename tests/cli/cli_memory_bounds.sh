#!/usr/bin/env bash
# Memory on a small file's say-so: two CSV rows of 1,000,000 features (a 4 MB file) are trained,
# evaluated and predicted under a 1.5 GB address-space limit (`ulimit -v`). Prediction used to
# widen float rows to double in blocks of 256 rows whatever the row count, 2 GB per task here;
# the model and the solver's state need about 250 MB. Not run under the sanitizers, whose shadow
# memory needs terabytes of address space. The limit leaves room for OpenBLAS's 128 MB buffer per
# thread: OpenBLAS retries a failed buffer allocation forever (README, The command).
# Usage: cli_memory_bounds.sh PATH_TO_SOFTMAXKIT
set -u
cli=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=checks.sh
source "$(dirname "$0")/checks.sh"

awk 'BEGIN { for (r = 0; r < 2; r++) { printf "%d", r
             for (j = 0; j < 1000000; j++) printf ",%d", (j + r) % 3
             printf "\n" } }' >"$work/wide.csv"
# OpenBLAS takes 128 MiB per calling thread and per worker of its own: pinned, so that the
# limit's arithmetic (and the start check, cli_address_space.sh) does not depend on the core count.
export OPENBLAS_NUM_THREADS=2
wide=(--format csv --label-column 0)

limited() {  # limited softmaxkit arguments...: run under the address-space limit and a timeout
  (ulimit -v 1536000 && timeout 120 "$cli" "$@")
}

limited train "${wide[@]}" --threads 2 --train "$work/wide.csv" --model "$work/m.skm" --quiet \
  >"$work/out" 2>"$work/err"
check "train within 1.5 GB (exit $?): $(head -c 300 "$work/err")" test -s "$work/m.skm"
limited evaluate "${wide[@]}" --data "$work/wide.csv" --model "$work/m.skm" --json \
  >"$work/out" 2>"$work/err"
check "evaluate within 1.5 GB: $(head -c 300 "$work/err")" grep -q '"accuracy": 1' "$work/out"
limited predict "${wide[@]}" --data "$work/wide.csv" --model "$work/m.skm" --proba \
  >"$work/out" 2>"$work/err"
check "predict --proba within 1.5 GB: $(head -c 300 "$work/err")" \
  test "$(wc -l <"$work/out")" -eq 2

# Labels need no rows x K array: predict and evaluate held every row's logits (8 m K bytes) to
# take their argmax, 2.4 GB for 300,000 rows of a 1000-class model (a 3.6 MB file; an audit).
# Now the logits are made a block at a time; predict --proba still returns all m x K.
awk 'BEGIN { for (r = 0; r < 2000; r++) printf "%d,%d,%d\n", r % 1000, r % 37, (r * 7) % 41 }' \
  >"$work/classes.csv"
awk 'BEGIN { for (r = 0; r < 300000; r++) printf "%d,%d,%d\n", r % 1000, r % 37, (r * 7) % 41 }' \
  >"$work/many_rows.csv"
"$cli" train --format csv --label-column 0 --train "$work/classes.csv" --model "$work/k1000.skm" \
  --max-iter 3 --quiet >"$work/out" 2>"$work/err"
check "a 1000-class model: $(head -c 300 "$work/err")" test -s "$work/k1000.skm"
limited predict --format csv --label-column 0 --data "$work/many_rows.csv" \
  --model "$work/k1000.skm" >"$work/out" 2>"$work/err"
check "predict 300,000 rows of 1000 classes within 1.5 GB: $(head -c 300 "$work/err")" \
  test "$(wc -l <"$work/out")" -eq 300000
limited evaluate --format csv --label-column 0 --data "$work/many_rows.csv" \
  --model "$work/k1000.skm" --json >"$work/out" 2>"$work/err"
check "evaluate 300,000 rows of 1000 classes within 1.5 GB: $(head -c 300 "$work/err")" \
  grep -q '"accuracy"' "$work/out"
# The C search scored each fold's test rows from their logits held whole: 150,000 x 1000 doubles
# (1.2 GB) per fold here, out of memory under the limit; now a block at a time.
limited train --format csv --label-column 0 --train "$work/many_rows.csv" --C 1 --cv 2 \
  --max-iter 2 --model "$work/cv.skm" --quiet >"$work/out" 2>"$work/err"
check "a C search over 300,000 rows of 1000 classes within 1.5 GB: $(head -c 300 "$work/err")" \
  test -s "$work/cv.skm"
rm -f "$work/many_rows.csv"

# The loss's blocks of logits: one buffer per chunk held about m x 2K floats when chunks had one
# block each, 2.4 GB for 24,000 rows of 12,000 classes (3 features); now one per thread.
awk 'BEGIN { for (r = 0; r < 24000; r++) printf "%d,%d,%d,%d\n", r % 12000, r % 37, (r * 7) % 41,
             (r * 13) % 29 }' >"$work/k12000.csv"
limited train --format csv --label-column 0 --train "$work/k12000.csv" --max-iter 1 \
  --model "$work/k12000.skm" --quiet >"$work/out" 2>"$work/err"
check "a fit of 12,000 classes on 24,000 rows within 1.5 GB: $(head -c 300 "$work/err")" \
  test -s "$work/k12000.skm"
rm -f "$work/k12000.csv"

# Hashed features: a CSR fit solves over the columns that have entries only. 4000 rows of 20
# entries spread over 2^22 columns (a 1 MB LibSVM file), 4 classes: the solver's state over all
# 16.8 M parameters (about 3.7 GB) was out of memory under the limit; over the at most 80,000
# used columns it fits next to the 134 MB model.
awk 'BEGIN { s = 7; for (r = 0; r < 4000; r++) { printf "%d", r % 4; c = 0
             for (e = 0; e < 20; e++) { s = (s * 1103515245 + 12345) % 2147483648
                                       c += 1 + s % 200000; printf " %d:%.3f", c, (e + 1) / 20 }
             printf "\n" } }' >"$work/hashed.svm"
limited train --format libsvm --train "$work/hashed.svm" --num-features 4194304 --C 1 \
  --max-iter 20 --model "$work/hashed.skm" --quiet >"$work/out" 2>"$work/err"
check "a fit over 2^22 mostly empty columns within 1.5 GB: $(head -c 300 "$work/err")" \
  test -s "$work/hashed.skm"
rm -f "$work/hashed.svm" "$work/hashed.skm"

# Model files are checked against their header before they are read whole: a model followed by
# a gigabyte of zeros (a sparse file), and a gigabyte with no model in it, are refused having
# read 48 bytes (load read either file whole first, 1 GB, up to a 1 GiB limit: out of memory
# under this 900 MB limit).
printf '0,1,2\n1,2,0\n' >"$work/small.csv"
"$cli" train --format csv --train "$work/small.csv" --model "$work/small.skm" --quiet
refused_model() {  # refused_model FILE WHAT PATTERN: predict with FILE as the model, exit 2
  (ulimit -v 900000 && timeout 120 "$cli" predict --format csv --data "$work/small.csv" \
    --model "$1") >"$work/out" 2>"$work/err"
  local code=$?
  check "$2 is refused (exit $code): $(head -c 300 "$work/err")" grep -q "$3" "$work/err"
  check "... with exit 2" test "$code" -eq 2
}
cp "$work/small.skm" "$work/padded.skm"
truncate -s $(((1 << 30) - 1)) "$work/padded.skm"
refused_model "$work/padded.skm" "a model with a gigabyte of trailing zeros" \
  "padded.skm: byte offset [0-9]*: [0-9]* trailing bytes after the checksum"
truncate -s $(((1 << 30) - 1)) "$work/zeros.skm"
refused_model "$work/zeros.skm" "a gigabyte of zeros" \
  "zeros.skm: byte offset 0: not a softmaxkit model file"
rm -f "$work/padded.skm" "$work/zeros.skm"

echo "cli_memory_bounds: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
