#!/bin/bash
# Under an address-space limit (ulimit -v) too small for OpenBLAS's 128 MiB buffers, OpenBLAS
# 0.3.21 retries its allocation forever: the command used to hang (in the fit, or at exit waiting
# for an OpenBLAS worker that could not get its buffer). Now every such run ends "out of memory",
# exit 1, naming the limit: refused at the start when the limit is below the buffers of the
# calling threads and OpenBLAS's workers (address_space.hpp), or by the library before a matrix
# product when the data and the fit's state have left too little (OutOfAddressSpace, error.hpp).
# A run that exceeds its timeout (exit 124) is the old hang. OPENBLAS_NUM_THREADS=2 and
# --threads 2 fix the arithmetic on any machine: (2 callers + 1 worker + 1) x 128 MiB = 512 MiB.
set -u
cli=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/checks.sh"
export OPENBLAS_NUM_THREADS=2

for i in $(seq 0 59); do echo "$((i % 3)),$((i % 7)).5,$((i % 5)),$(((i * 3) % 11))"; done >"$work/small.csv"
awk 'BEGIN { for (r = 0; r < 2; r++) { printf "%d", r
             for (j = 0; j < 1000000; j++) printf ",%d", (j + r) % 3
             printf "\n" } }' >"$work/wide.csv"
small=(--format csv --threads 2)  # train only: predict and evaluate use every core

limited() {  # limited KIB softmaxkit arguments...: under that address-space limit and a timeout
  local limit=$1
  shift
  (ulimit -v "$limit" && timeout 120 "$cli" "$@") >"$work/out" 2>"$work/err"
}
expect_out_of_memory() {  # DESCRIPTION FRAGMENT: the last limited run ended exit 1 naming it
  local code=$1 description=$2 fragment=$3
  if [[ $code -eq 1 ]] && grep -q "softmaxkit: out of memory: .*$fragment" "$work/err"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAILED: $description: exit $code (124: hung until the timeout); stderr: $(head -c 400 "$work/err")"
  fi
}

"$cli" train "${small[@]}" --train "$work/small.csv" --model "$work/small.skm" --quiet
check "the small model trains without a limit" test -s "$work/small.skm"

# Below the start bound: refused before any work, whatever follows (the bad file is not read).
for limit in 100000 300000 500000; do
  limited $limit train "${small[@]}" --train "$work/small.csv" --model "$work/m.skm" --quiet
  expect_out_of_memory $? "train under ulimit -v $limit" "the address-space limit (ulimit -v) is"
  limited $limit evaluate --format csv --data "$work/small.csv" --model "$work/small.skm"
  expect_out_of_memory $? "evaluate under ulimit -v $limit" "below the 512 MiB"
  limited $limit predict --format csv --data "$work/small.csv" --model "$work/small.skm"
  expect_out_of_memory $? "predict under ulimit -v $limit" "OpenBLAS retries forever"
  limited $limit train "${small[@]}" --train "$work/missing.csv" --model "$work/m.skm"
  expect_out_of_memory $? "train of a missing file under ulimit -v $limit" "OpenBLAS"
done
# One calling thread needs a buffer less.
limited 500000 train --format csv --threads 1 --train "$work/small.csv" --model "$work/m1.skm" \
  --quiet
check "train --threads 1 under ulimit -v 500000 (exit $?): $(head -c 300 "$work/err")" \
  test -s "$work/m1.skm"

# Above the start bound, the wide rows' model and solver state (about 400 MB for 2 x 1,000,000
# features) leave too little for the buffers: the library refuses the product (it hung in dgemm).
limited 650000 train "${small[@]}" --label-column 0 --train "$work/wide.csv" --model "$work/w.skm" \
  --quiet
expect_out_of_memory $? "the wide fit under ulimit -v 650000" "OpenBLAS needs for the buffers"
check "no model written by the refused fit" test ! -e "$work/w.skm"
limited 1536000 train "${small[@]}" --label-column 0 --train "$work/wide.csv" --model "$work/w.skm" \
  --quiet
check "the wide fit under ulimit -v 1536000 (exit $?): $(head -c 300 "$work/err")" test -s "$work/w.skm"

# Stacks of 1.5 GB (ulimit -s) under a 1.4 GB address space: no thread with the default stack
# can start, which std::async (the readers' read-ahead, read_ahead.hpp) asks for (TBB sets its
# own stack size; no OpenBLAS worker, whose stack would be the default one). The reader then reads
# each piece on its own thread; it used to end "internal error: Resource temporarily
# unavailable", exit 1. A text above one read-ahead piece (16 MiB for CSV) takes that path (20 MB here).
awk 'BEGIN { for (r = 0; r < 40000; r++) { printf "%d", r % 3
             for (j = 0; j < 250; j++) printf ",%d", (j * r) % 7
             printf "\n" } }' >"$work/long.csv"
(ulimit -s 1500000 && ulimit -v 1400000 && OPENBLAS_NUM_THREADS=1 timeout 120 "$cli" train "${small[@]}" \
  --train "$work/long.csv" --model "$work/long.skm" --max-iter 2 --quiet) >"$work/out" 2>"$work/err"
check "train with no thread to be had for the read-ahead (exit $?): $(head -c 300 "$work/err")" \
  test -s "$work/long.skm"

echo "cli_address_space: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
