#!/usr/bin/env bash
# softmaxkit-mpi's messages against softmaxkit's on malformed files: the first line of stderr and
# the exit status must be the same (the file's line numbers, not a rank's). The files have 24
# lines of 6 bytes, so on 2, 3 and 4 ranks every part begins exactly on a line (13; 9 and 17; 7,
# 13 and 19), and each defect is put on the last line of a part and on the first of the next:
# a blank line (a CSV blank line in one part with more data in the next is an error the ranks
# decide together) and a record with another field count; a bad value (CSV and LibSVM) at the
# first boundary; the same in gzip files (parts of the inflated text) on 3 ranks; then a run of
# blank lines across a boundary, a header alone in rank 0's part, files without records, and
# one class (the fit's refusal names the data).
# With MPI_FIT_CHECK, also the library's dense LibSVM reader (read_text_rows, which the command
# does not use) against read_libsvm's messages, and the CSR one against read_libsvm_csr's.
# usage: mpi_messages.sh MPIEXEC softmaxkit softmaxkit-mpi [MPI_FIT_CHECK]
set -u
mpiexec=$1 single=$2 parallel=$3 check=${4:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0 compared=0

# The 24-line file of $1 (csv or libsvm) with line $2 replaced by $3 (6 bytes with its '\n').
file_with() {
  awk -v format="$1" -v at="$2" -v line="$3" 'BEGIN {
    for (i = 1; i <= 24; i++) {
      if (i == at) { printf "%s\n", line; continue }
      if (format == "csv") printf "%d,%d,%d\n", i % 3, i % 7, i % 5
      else printf "%d %d:%d\n", i % 3, 1 + i % 3, i % 10 } }'
}

# Runs both commands on file $2 (format $1, more options after) with $ranks ranks and compares.
compare() {
  local format=$1 file=$2
  shift 2
  local expected got expected_status got_status
  expected=$("$single" train --format "$format" --train "$file" --quiet "$@" 2>&1)
  expected_status=$?
  got=$("$mpiexec" -n "$ranks" "$parallel" train --format "$format" --train "$file" --quiet "$@" \
    2>&1)
  got_status=$?
  expected=$(head -n 1 <<<"$expected") got=$(head -n 1 <<<"$got")
  compared=$((compared + 1))
  if [[ "$expected" == "$got" && "$expected_status" == "$got_status" ]]; then
    echo "$(basename "$file"), $ranks ranks: same (exit $got_status: $got)"
  else
    echo "$(basename "$file"), $ranks ranks: DIFFER"
    echo "  softmaxkit (exit $expected_status): $expected"
    echo "  softmaxkit-mpi (exit $got_status): $got"
    failures=$((failures + 1))
  fi
}

boundary_lines() {  # the last line of each part but the last, and the first of the next
  case $1 in 2) echo 12 13 ;; 3) echo 8 9 16 17 ;; 4) echo 6 7 12 13 18 19 ;; esac
}

for ranks in 2 3 4; do
  lines=($(boundary_lines $ranks))
  for at in "${lines[@]}"; do
    file_with csv "$at" "     " >"$work/blank$at.csv"
    compare csv "$work/blank$at.csv"
    file_with csv "$at" "0,1.2" >"$work/fields$at.csv"
    compare csv "$work/fields$at.csv"
  done
  for at in "${lines[0]}" "${lines[1]}"; do  # a bad value at the first boundary
    file_with csv "$at" "0,x,2" >"$work/value$at.csv"
    compare csv "$work/value$at.csv"
    file_with libsvm "$at" "0 1:x" >"$work/value$at.libsvm"
    compare libsvm "$work/value$at.libsvm"
  done
done
ranks=3
for at in 8 9; do
  gzip -c "$work/blank$at.csv" >"$work/blank$at.csv.gz"
  compare csv "$work/blank$at.csv.gz"
  gzip -c "$work/value$at.libsvm" >"$work/value$at.libsvm.gz"
  compare libsvm "$work/value$at.libsvm.gz"
done
# Blank lines 12-14 across the 2-rank boundary; a header of 2 fields alone in rank 0's part (its
# padding makes it longer than half the file) before records of 3.
ranks=2
file_with csv 1 "1,2,3" | awk 'NR >= 12 && NR <= 14 { print ""; next } { print }' >"$work/run.csv"
compare csv "$work/run.csv"
{ printf 'a,b%200s\n' ''; file_with csv 1 "1,2,3" | head -n 5; } >"$work/header.csv"
compare csv "$work/header.csv" --header
# The same header alone, then a blank line and a record of another count: the blank line is the
# error (fuzz_csv found the ranks giving the header's instead).
{ printf 'a,b,c%200s\n\n' ''; file_with csv 1 "1,2" | head -n 5; } >"$work/header_blank.csv"
compare csv "$work/header_blank.csv" --header
# Files without records: blank lines; a header only; comment lines (LibSVM).
ranks=3
printf '\n\n \n\n\n' >"$work/blanks.csv"
compare csv "$work/blanks.csv"
printf 'a,b,c\n\n\n' >"$work/header_only.csv"
compare csv "$work/header_only.csv" --header
printf '# one\n# two\n\n# three\n' >"$work/comments.libsvm"
compare libsvm "$work/comments.libsvm"
# A format's own option with another format (exit 2 naming it; both commands share train's
# options): --header on LibSVM, --num-features on CSV.
file_with libsvm 1 "1 1:1" >"$work/plain.libsvm"
compare libsvm "$work/plain.libsvm" --header
file_with csv 1 "1,2,3" >"$work/plain.csv"
compare csv "$work/plain.csv" --num-features 3
# A fit the solver refuses (one class): the message names the data as softmaxkit's does.
printf '1,0.5\n1,0.25\n1,2\n' >"$work/one_class.csv"
compare csv "$work/one_class.csv"
printf '1 1:1\n1 2:1\n1 3:1\n' >"$work/one_class.libsvm"
compare libsvm "$work/one_class.libsvm"
# softmaxkit train's checks before any work: --model naming the training file (it overwrote the
# data), a --test set of another width or with a label training lacks, lambda beyond float's
# range, a model whose solver memory exceeds the machine's (a 20-byte file naming feature
# 2^31 - 1 ended in bad_alloc).
ranks=2
file_with csv 1 "1,2,3" >"$work/train.csv"
cp "$work/train.csv" "$work/train_copy.csv"
compare csv "$work/train.csv" --model "$work/train.csv"
if ! cmp -s "$work/train.csv" "$work/train_copy.csv"; then
  echo "train.csv: DIFFER (--model overwrote the training data)"
  failures=$((failures + 1))
fi
printf '0,1\n1,2\n' >"$work/narrow.csv"
compare csv "$work/train.csv" --test "$work/narrow.csv"
printf '0,1,2\n7,2,3\n' >"$work/unknown_label.csv"
compare csv "$work/train.csv" --test "$work/unknown_label.csv"
compare csv "$work/train.csv" --l2 1e300
printf '0 1:1 2147483647:1\n1 1:2\n' >"$work/huge_index.libsvm"
compare libsvm "$work/huge_index.libsvm"
# The same checks when the fit computes in double (its memory check counts 8-byte values; a
# lambda of 1e300 is representable there, so both train).
compare csv "$work/train.csv" --double --test "$work/narrow.csv"
compare csv "$work/train.csv" --double --test "$work/unknown_label.csv"
compare csv "$work/train.csv" --double --l2 1e300
compare libsvm "$work/huge_index.libsvm" --double
# IDX files whose structure read_idx refuses, read by rows (each rank its own): a zero dimension,
# dimensions beyond 2^29 values, a header declaring 47 MB in a 24-byte file (every rank zero-filled
# its share), a trailing byte, a gzip file with a bad CRC.
be32() {  # a big-endian uint32, as octal escapes printf turns into bytes
  printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) \
    $(($1 >> 8 & 255)) $(($1 & 255)))"
}
idx_header() { printf '\x00\x00\x08\x03'; for d in "$@"; do be32 "$d"; done; }
printf '\x00\x00\x08\x01\x00\x00\x00\x04\x00\x01\x00\x01' >"$work/labels.idx"
{ idx_header 4 2 1; printf '\x01\x02\x03\x04\x05\x06\x07\x08'; } >"$work/images.idx"
{ idx_header 4 0 1; printf '\x01\x02\x03\x04\x05\x06\x07\x08'; } >"$work/zero_dimension.idx"
{ idx_header 600 1000 3000; printf '\x01\x02'; } >"$work/overflow.idx"
{ idx_header 60000 28 28; printf '\x01\x02\x03\x04\x05\x06\x07\x08'; } >"$work/claims_more.idx"
{ cat "$work/images.idx"; printf '\x09'; } >"$work/trailing.idx"
gzip -c "$work/images.idx" >"$work/bad_crc.idx.gz"
size=$(stat -c %s "$work/bad_crc.idx.gz")
printf '\xff' | dd of="$work/bad_crc.idx.gz" bs=1 seek=$((size - 8)) conv=notrunc status=none
compare idx "$work/images.idx" --train-labels "$work/labels.idx"  # a valid pair: both train
for file in zero_dimension overflow claims_more trailing bad_crc; do
  [[ -f $work/$file.idx ]] && path=$work/$file.idx || path=$work/$file.idx.gz
  compare idx "$path" --train-labels "$work/labels.idx"
  compare idx "$work/images.idx" --train-labels "$path"
done
# A labels file shorter than the images, read by rows: rank 1's rows were "beyond its 3" instead
# of the item counts' message.
printf '\x00\x00\x08\x01\x00\x00\x00\x03\x00\x01\x00' >"$work/short_labels.idx"
compare idx "$work/images.idx" --train-labels "$work/short_labels.idx"
# Weights: a row weight beyond float's range on rank 1's part (it was named by its index in the
# rank's rows), and every row weighing 0 (the library's message instead of the command's); the
# memory check of a 3-class model (it was checked, and named, with 2 classes).
# 3000 rows of 40 features are two chunks (1632 rows each at most), one per rank: row 2501
# (class 2) is rank 1's.
awk 'BEGIN { for (i = 0; i < 3000; i++) { printf "%d", i % 3
  for (j = 0; j < 40; j++) printf ",%d", (i * 7 + j * 3) % 11; printf "\n" } }' >"$work/tall.csv"
awk 'NR == 2502 { print "3e38"; next } { print 1 }' "$work/tall.csv" >"$work/big_weight.txt"
compare csv "$work/tall.csv" --sample-weights "$work/big_weight.txt" --class-weight 2:2
awk '{ print 0 }' "$work/train.csv" >"$work/zero_weights.txt"
compare csv "$work/train.csv" --sample-weights "$work/zero_weights.txt"
compare csv "$work/train.csv" --class-weight 0:0,1:0,2:0
printf '0 2147483647:1\n1 1:1\n2 1:1\n' >"$work/huge_index3.libsvm"
compare libsvm "$work/huge_index3.libsvm"
if [[ -n $check ]]; then
  # A bad value on a boundary, an index beyond the dense reader's 2^28, a dense matrix the file's
  # size does not justify (index 10^6 on 24 rows: 96 MB), records without any index.
  file_with libsvm 9 "0 1:x" >"$work/dense_value.libsvm"
  file_with libsvm 16 "0 268435457:1" >"$work/dense_index.libsvm"
  file_with libsvm 17 "0 1000000:1" >"$work/dense_bytes.libsvm"
  printf '1\n2 # note\n\n3\n' >"$work/dense_none.libsvm"
  for file in dense_value dense_index dense_bytes dense_none; do
    compared=$((compared + 1))
    if "$mpiexec" -n 3 "$check" --read "$work/$file.libsvm" >"$work/out" 2>&1 &&
       grep -q "mpi check passed" "$work/out"; then
      echo "$file.libsvm, library readers, 3 ranks: same messages"
    else
      echo "$file.libsvm, library readers, 3 ranks: DIFFER"
      cat "$work/out"
      failures=$((failures + 1))
    fi
  done
fi
echo "mpi_messages: $compared compared, $failures differ"
exit $((failures != 0))
