#!/usr/bin/env bash
# Fault cases of the data-parallel fit: each must end every rank within a bounded time (timeout
# 60 s, far above the seconds they take) with a clear message, and leave no model file.
# usage: mpi_faults.sh MPIEXEC softmaxkit_mpi_check [softmaxkit-mpi]
set -u
mpiexec=$1 check=$2 command=${3:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
expect() {  # name, expected exit code ("nonzero" for any), message regex, model path, command...
  local name=$1 code=$2 pattern=$3 model=$4
  shift 4
  local start=$SECONDS
  timeout 60 "$@" >"$work/out" 2>&1
  local got=$?
  local elapsed=$((SECONDS - start))
  local ok=1
  if [[ $got -eq 124 ]]; then ok=0; echo "$name: timed out (a hang)"; fi
  if [[ $code == nonzero ]]; then [[ $got -ne 0 ]] || ok=0; else [[ $got -eq $code ]] || ok=0; fi
  grep -Eq -- "$pattern" "$work/out" || ok=0
  if [[ -n $model && -e $model ]]; then ok=0; echo "$name: a model file was written"; fi
  if ((ok)); then
    echo "$name: ok (exit $got in ${elapsed} s)"
  else
    echo "$name: FAILED (exit $got, expected $code, pattern '$pattern'); output:"
    cat "$work/out"
    failures=$((failures + 1))
  fi
  # Nothing but the output and the inputs (.csv, .libsvm, .gz): no temporary model file left.
  if ls -A "$work" | grep -Ev '^out$|\.(csv|libsvm|gz)$' | grep -q .; then
    echo "$name: stray files in $work:"
    ls -A "$work"
    failures=$((failures + 1))
  fi
}
# A malformed shard on rank 1 of 3 (its labels one entry short): every rank exits 2 with rank 1's
# message.
expect malformed_shard 2 "rank [0-2]: softmaxkit: .*labels has [0-9]+ entries but features has" \
  "$work/model_a.skm" "$mpiexec" -n 3 "$check" --case dense --bad-rank 1 --model "$work/model_a.skm"
# The same with CSR rows (the sparse case): agreed before the column counts are summed.
expect malformed_sparse_shard 2 \
  "rank [0-2]: softmaxkit: .*labels has [0-9]+ entries but features has" "$work/model_f.skm" \
  "$mpiexec" -n 3 "$check" --case sparse --bad-rank 1 --model "$work/model_f.skm"
# Rank 1 of 3 killed (SIGKILL) at the third iteration: mpiexec ends the others; no model.
expect killed_rank nonzero "." "$work/model_b.skm" \
  "$mpiexec" -n 3 "$check" --case dense --kill-rank 1 --model "$work/model_b.skm"
# A callback that throws on rank 1 of 3 only: every rank exits 2 with its message (agreed), no
# MPI_Abort, no model.
expect callback_throws 2 "rank [0-2]: softmaxkit: the callback on rank 1 threw at iteration 3" \
  "$work/model_j.skm" "$mpiexec" -n 3 "$check" --case dense --throw-rank 1 --model "$work/model_j.skm"
# The same with an exception that is not a std::exception (it escaped the agreement: a hang).
expect callback_throws_int 2 "rank [0-2]: softmaxkit: an exception that is not a std::exception" \
  "$work/model_l.skm" "$mpiexec" -n 3 "$check" --case dense --throw-rank 2 --throw int \
  --model "$work/model_l.skm"
if [[ -n $command ]]; then
  # A missing file: every rank fails to read it; exit 2 with the file named, no model.
  expect missing_file 2 "no_such_file.csv" "$work/model_c.skm" \
    "$mpiexec" -n 3 "$command" train --format csv --train "$work/no_such_file.csv" \
    --model "$work/model_c.skm"
  # One rank of 2 without a usable TMPDIR (it builds the model through a temporary file): every
  # rank exits 2 with its message (it used to throw outside an agreement: a hang), no model.
  printf '0,1,2\n1,2,3\n0,1,1\n1,3,3\n' >"$work/good.csv"
  expect bad_tmpdir 2 "cannot create a temporary file in /proc" "$work/model_k.skm" \
    "$mpiexec" -n 1 "$command" train --format csv --train "$work/good.csv" \
    --model "$work/model_k.skm" : -n 1 env TMPDIR=/proc "$command" train --format csv \
    --train "$work/good.csv" --model "$work/model_k.skm"
  # A --model directory that takes no file: refused before the fit (exit 2 on every rank), as
  # softmaxkit refuses it.
  expect model_directory 2 "--model '/proc/m.skm': cannot create a file in '/proc'" "" \
    "$mpiexec" -n 2 "$command" train --format csv --train "$work/good.csv" --model /proc/m.skm
  # --version names the command once (it was "A subcommand is required", exit 2).
  expect version 0 "^softmaxkit-mpi 0\.1\.0$" "" "$mpiexec" -n 2 "$command" --version
  # Numbers in options are decimal, as for softmaxkit: 010 is ten (CLI11 read it as octal), a
  # hexadecimal count is refused naming the option.
  expect decimal_max_iter 0 '"iterations": 10,' "" "$mpiexec" -n 2 "$command" train \
    --format csv --train "$work/good.csv" --max-iter 010 --tol 1e-300 --json --quiet
  expect hexadecimal_threads 2 "--threads" "" "$mpiexec" -n 2 "$command" train --format csv \
    --train "$work/good.csv" --threads 0x2
  # Weights summing beyond what a float mean can divide by (6 x 3e37): softmaxkit train's
  # message and exit 2 on every rank (every rank called MPI_Abort: exit 1).
  printf '3e37\n3e37\n3e37\n3e37\n' >"$work/heavy_weights.csv"
  expect weights_beyond_float 2 "SoftmaxRegression::fit: sample_weight: the weights sum to 1\.2e\+38, outside what a mean can divide by in float" \
    "$work/model_m.skm" "$mpiexec" -n 2 "$command" train --format csv --train "$work/good.csv" \
    --sample-weights "$work/heavy_weights.csv" --model "$work/model_m.skm"
  rm -f "$work/heavy_weights.csv"
  # Options that differ between ranks (a launch of two programs): exit 2 on every rank naming
  # the first that differs (the ranks waited for each other in different collectives: a hang).
  expect options_differ 2 "rank 1's options differ from rank 0's \(l2 0\.2 against 0\.1\)" \
    "$work/model_n.skm" "$mpiexec" -n 1 "$command" train --format csv --train "$work/good.csv" \
    --l2 0.1 --model "$work/model_n.skm" : -n 1 "$command" train --format csv \
    --train "$work/good.csv" --l2 0.2 --model "$work/model_n.skm"
  expect solver_differs 2 "rank 1's options differ from rank 0's \(solver 1 against 0\)" "" \
    "$mpiexec" -n 1 "$command" train --format csv --train "$work/good.csv" --solver lbfgs \
    : -n 1 "$command" train --format csv --train "$work/good.csv" --solver newton
  # Ranks that see different files under one path (here another working directory each):
  # refused on every rank, naming both sizes (they trained on a mix of the two).
  apart=$(mktemp -d)
  mkdir "$apart/a" "$apart/b"
  cp "$work/good.csv" "$apart/a/d.csv"
  head -n 2 "$work/good.csv" >"$apart/b/d.csv"
  expect different_files 2 "d\.csv: the ranks see different files \(24 bytes on rank 0, 12 bytes on rank 1\); every rank must read the same file" \
    "" "$mpiexec" -n 1 sh -c "cd '$apart/a' && exec '$command' train --format csv --train d.csv" \
    : -n 1 sh -c "cd '$apart/b' && exec '$command' train --format csv --train d.csv"
  # The same for IDX files, which each rank reads by rows (they trained on the mix with exit 0:
  # 4 images on rank 0, 6 on rank 1, "train_accuracy" above 1), and for a weights file of the
  # same row count but other values (each rank's rows took its own file's weights).
  idx() {  # idx COUNT DIR: COUNT 1x2 uint8 images in DIR/i.idx, labels 0, 1, 2, 0, ... in DIR/l.idx
    local count=$1 i
    {
      printf '\x00\x00\x08\x03'
      printf "\\x00\\x00\\x00\\x$(printf %02x "$count")"
      printf '\x00\x00\x00\x01\x00\x00\x00\x02'
      for ((i = 0; i < count; i++)); do printf "\\x$(printf %02x $((i * 37 % 256)))\\x$(printf %02x $((i * 91 % 256)))"; done
    } >"$2/i.idx"
    {
      printf '\x00\x00\x08\x01'
      printf "\\x00\\x00\\x00\\x$(printf %02x "$count")"
      for ((i = 0; i < count; i++)); do printf "\\x$(printf %02x $((i % 3)))"; done
    } >"$2/l.idx"
  }
  idx 4 "$apart/a"
  idx 6 "$apart/b"
  expect different_idx_files 2 "i\.idx and l\.idx: the ranks see different files \(images 24 bytes, labels 12 bytes, 4 items of 2 values on rank 0, images 28 bytes, labels 14 bytes, 6 items of 2 values on rank 1\)" \
    "" "$mpiexec" -n 1 sh -c "cd '$apart/a' && exec '$command' train --format idx --train i.idx --train-labels l.idx" \
    : -n 1 sh -c "cd '$apart/b' && exec '$command' train --format idx --train i.idx --train-labels l.idx"
  printf '1\n2\n1\n2\n' >"$apart/a/w.txt"
  printf '1\n2\n3\n2\n' >"$apart/b/w.txt"
  cp "$work/good.csv" "$apart/b/d.csv"
  expect different_weights 2 "--sample-weights w\.txt: the ranks see different files \(row 2 weighs 1 on rank 0, 3 on rank 1\)" \
    "" "$mpiexec" -n 1 sh -c "cd '$apart/a' && exec '$command' train --format csv --train d.csv --sample-weights w.txt" \
    : -n 1 sh -c "cd '$apart/b' && exec '$command' train --format csv --train d.csv --sample-weights w.txt"
  # Three ranks, gzip IDX files: ranks 0 and 1 agree, rank 2 sees another file; every rank is
  # refused, naming rank 2 (the one that differs) against rank 0.
  mkdir "$apart/c"
  idx 4 "$apart/c"
  gzip -n "$apart/a/i.idx" "$apart/a/l.idx" "$apart/c/i.idx" "$apart/c/l.idx"
  idx 4 "$apart/a"
  gzip -n -c "$apart/b/i.idx" >"$apart/b/i.idx.gz"
  gzip -n -c "$apart/b/l.idx" >"$apart/b/l.idx.gz"
  gz_sizes() { echo "images $(stat -c %s "$1/i.idx.gz") bytes, labels $(stat -c %s "$1/l.idx.gz") bytes, $2 items of 2 values"; }
  expect different_gzip_idx_3_ranks 2 "^softmaxkit: i\.idx\.gz and l\.idx\.gz: the ranks see different files \($(gz_sizes "$apart/c" 4) on rank 0, $(gz_sizes "$apart/b" 6) on rank 2\)" \
    "" "$mpiexec" -n 1 sh -c "cd '$apart/c' && exec '$command' train --format idx --train i.idx.gz --train-labels l.idx.gz" \
    : -n 1 sh -c "cd '$apart/a' && exec '$command' train --format idx --train i.idx.gz --train-labels l.idx.gz" \
    : -n 1 sh -c "cd '$apart/b' && exec '$command' train --format idx --train i.idx.gz --train-labels l.idx.gz"
  # The same three working directories with the same gzip files train.
  cp "$apart/c/i.idx.gz" "$apart/c/l.idx.gz" "$apart/b/"
  expect same_gzip_idx_3_ranks 0 '"rows": 4,' "" "$mpiexec" -n 1 sh -c "cd '$apart/c' && exec '$command' train --format idx --train i.idx.gz --train-labels l.idx.gz --json" \
    : -n 1 sh -c "cd '$apart/a' && exec '$command' train --format idx --train i.idx.gz --train-labels l.idx.gz --json" \
    : -n 1 sh -c "cd '$apart/b' && exec '$command' train --format idx --train i.idx.gz --train-labels l.idx.gz --json"
  # Three ranks, a weights file that differs on rank 2 only, in its last row.
  cp "$work/good.csv" "$apart/c/d.csv"
  printf '1\n2\n1\n2\n' >"$apart/c/w.txt"
  printf '1\n2\n1\n2.5\n' >"$apart/b/w.txt"
  expect different_weights_3_ranks 2 "--sample-weights w\.txt: the ranks see different files \(row 3 weighs 2 on rank 0, 2\.5 on rank 2\)" \
    "" "$mpiexec" -n 1 sh -c "cd '$apart/c' && exec '$command' train --format csv --train d.csv --sample-weights w.txt" \
    : -n 1 sh -c "cd '$apart/a' && exec '$command' train --format csv --train d.csv --sample-weights w.txt" \
    : -n 1 sh -c "cd '$apart/b' && exec '$command' train --format csv --train d.csv --sample-weights w.txt"
  # The same files on both ranks train (so the refusals above are the differences').
  expect same_idx_files 0 '"rows": 6,' "" "$mpiexec" -n 1 sh -c "cd '$apart/b' && exec '$command' train --format idx --train i.idx --train-labels l.idx --json" \
    : -n 1 sh -c "cd '$apart/b' && exec '$command' train --format idx --train i.idx --train-labels l.idx --json"
  rm -rf "$apart"
  rm -f "$work/good.csv"
  # A malformed CSV row: exit 2 naming the line, no model.
  printf '0,1.0,2.0\n1,3.0,oops\n0,1.5,2.5\n1,3.5,4.5\n' >"$work/bad.csv"
  expect malformed_csv 2 "bad.csv" "$work/model_d.skm" \
    "$mpiexec" -n 2 "$command" train --format csv --train "$work/bad.csv" --model "$work/model_d.skm"
  rm -f "$work/bad.csv"
  # A malformed LibSVM line (15 of 30) in rank 1's part of 3: every rank exits 2, the message
  # names the file and the line in it, no model.
  for i in $(seq 1 30); do
    if ((i == 15)); then echo "1 1:0.5 3:oops"; else echo "$((i % 2)) 1:0.$i 2:1.$i 3:2.$i"; fi
  done >"$work/bad.libsvm"
  expect malformed_libsvm 2 "bad\.libsvm:15:[0-9]+: value of feature 3" "$work/model_e.skm" \
    "$mpiexec" -n 3 "$command" train --format libsvm --train "$work/bad.libsvm" \
    --model "$work/model_e.skm"
  # The same file gzip-compressed (read by parts of its inflated text): the same line named.
  gzip -c "$work/bad.libsvm" >"$work/bad.libsvm.gz"
  expect malformed_libsvm_gzip 2 "bad\.libsvm\.gz:15:[0-9]+: value of feature 3" \
    "$work/model_g.skm" "$mpiexec" -n 3 "$command" train --format libsvm \
    --train "$work/bad.libsvm.gz" --model "$work/model_g.skm"
  # Truncated (the last 20 bytes cut): every rank exits 2 naming the file, no model.
  head -c -20 "$work/bad.libsvm.gz" >"$work/cut.libsvm.gz"
  expect truncated_gzip 2 "cut\.libsvm\.gz.*truncated" "$work/model_h.skm" \
    "$mpiexec" -n 3 "$command" train --format libsvm --train "$work/cut.libsvm.gz" \
    --model "$work/model_h.skm"
  # An empty gzip file: exit 2, "no data records", no model.
  : | gzip -c >"$work/empty.libsvm.gz"
  expect empty_gzip 2 "empty\.libsvm\.gz:1: no data records" "$work/model_i.skm" \
    "$mpiexec" -n 3 "$command" train --format libsvm --train "$work/empty.libsvm.gz" \
    --model "$work/model_i.skm"
  rm -f "$work/bad.libsvm" "$work/bad.libsvm.gz" "$work/cut.libsvm.gz" "$work/empty.libsvm.gz"
fi
exit $((failures > 0))
