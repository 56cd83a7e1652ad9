#!/usr/bin/env bash
# The byte-range LibSVM readers on randomly shaped files: `mpi_fit_check --read` compares both
# (read_text_rows and read_libsvm_csr_rows) with the single-process readers row by row, bit for
# bit, on 2-4 ranks, plain and gzip (one seed as two gzip members). Each file mixes records of
# 0-8 entries, comment-only and blank lines, trailing comments with ':', CRLF line ends, lines
# of very different lengths (so the parts' ends fall anywhere), an optional UTF-8 byte order
# mark and an optional final line end; and a file of equal lines whose parts all begin exactly
# on a line start.
# usage: mpi_read_random.sh MPIEXEC MPI_FIT_CHECK
set -u
mpiexec=$1 check=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
for seed in 1 2 3 4; do
  file="$work/random$seed.libsvm"
  ((seed == 2)) && printf '\xef\xbb\xbf' >"$file"
  if ((seed == 4)); then
    # 120 lines of exactly 6 bytes: every part boundary on 2, 3 and 4 ranks falls exactly on a
    # line start (byte r S / P of S = 720), where a part must begin with that line.
    awk 'BEGIN { for (i = 0; i < 120; i++) printf "%d %d:%d\n", i % 3, 1 + i % 3, i % 10 }' >"$file"
  else
  awk -v seed="$seed" 'BEGIN { srand(seed); lines = 150 + int(rand() * 250);
    for (i = 1; i <= lines; i++) {
      r = rand(); eol = rand() < 0.2 ? "\r\n" : "\n";
      if (r < 0.1) { printf "# comment %d: 1:2 3:4%s", i, eol; continue }
      if (r < 0.15) { printf "%s", eol; continue }
      line = int(rand() * 4); index_ = 0; entries = int(rand() * 9);
      if (rand() < 0.05) entries = 60;  # a long line
      for (e = 0; e < entries; e++) { index_ += 1 + int(rand() * 5);
        line = line " " index_ ":" sprintf("%.6g", (rand() - 0.5) * 10) }
      if (rand() < 0.1) line = line " # note: " i;
      if (i == lines && seed == 3) printf "%s", line; else printf "%s%s", line, eol } }' >>"$file"
  fi
  gzip -c "$file" >"$file.gz"
  if ((seed == 1)); then  # two gzip members
    half=$(($(wc -l <"$file") / 2))
    { head -n "$half" "$file" | gzip -c; tail -n +"$((half + 1))" "$file" | gzip -c; } >"$file.gz"
  fi
  for input in "$file" "$file.gz"; do
    for ranks in 2 3 4; do
      if "$mpiexec" -n "$ranks" "$check" --read "$input" >"$work/out" 2>&1 &&
         grep -q "mpi check passed" "$work/out"; then
        echo "$(basename "$input"), $ranks ranks: passed"
      else
        echo "$(basename "$input"), $ranks ranks: FAILED"
        cat "$work/out"
        failures=$((failures + 1))
      fi
    done
  done
done
echo "mpi_read_random: $failures failed"
exit $((failures != 0))
