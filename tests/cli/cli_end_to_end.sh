#!/usr/bin/env bash
# End-to-end test of the softmaxkit command on tiny data sets made here: exit codes, JSON
# fields, predict/evaluate output, and one clear error line for bad input.
# Usage: cli_end_to_end.sh PATH_TO_SOFTMAXKIT
set -u
cli=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=checks.sh
source "$(dirname "$0")/checks.sh"

# Three well separated classes (labels 10, 20, 30) in three features: y*2 + small jitter.
awk 'BEGIN { for (i = 0; i < 90; i++) { c = i % 3; j = (i * 7919 % 101) / 101.0 - 0.5;
  printf "%d,%.4f,%.4f,%.4f\n", (c + 1) * 10, (c == 0) * 2 + j, (c == 1) * 2 - j, (c == 2) * 2 + j / 2 } }' \
  >"$work/train.csv"
awk -F, '{ printf "%s 1:%s 2:%s 3:%s\n", $1, $2, $3, $4 }' "$work/train.csv" >"$work/train.svm"

expect_exit 0 "train csv with --json" -- train --format csv --train "$work/train.csv" \
  --test "$work/train.csv" --C 10 --json --model "$work/model.skm"
for field in objective grad_norm iterations evaluations hessian_products setup_pass_equivalents \
    metric_pass_equivalents pass_equivalents metric fit_seconds train_accuracy test_accuracy; do
  check "JSON has $field" grep -q "\"$field\": " "$work/out"
done
check "JSON is one line" test "$(wc -l <"$work/out")" -eq 1
check "separable data is learned" grep -q '"train_accuracy": 1[,.}]' "$work/out"
check "model file written" test -s "$work/model.skm"
check "the default solver is the structured one" grep -q '"solver": "structured"' "$work/out"

expect_exit 0 "predict" -- predict --model "$work/model.skm" --format csv --data "$work/train.csv"
check "one prediction per row" test "$(wc -l <"$work/out")" -eq 90
check "predictions are the original labels" \
  cmp -s <(cut -d, -f1 "$work/train.csv") "$work/out"
expect_exit 0 "predict --proba" -- predict --model "$work/model.skm" --format csv \
  --data "$work/train.csv" --proba
check "three probabilities per row" test "$(head -1 "$work/out" | tr ',' '\n' | wc -l)" -eq 3
expect_exit 0 "evaluate" -- evaluate --model "$work/model.skm" --format csv --data "$work/train.csv"
check "evaluate prints accuracy 1" grep -q "accuracy 1.0000" "$work/out"

expect_exit 0 "train libsvm" -- train --format libsvm --train "$work/train.svm" --l2 0.01 --quiet \
  --model "$work/svm.skm"
expect_exit 0 "evaluate libsvm" -- evaluate --model "$work/svm.skm" --format libsvm --data "$work/train.svm"
expect_exit 0 "train newton" -- train --format csv --train "$work/train.csv" --solver newton --quiet

# IDX: 4 images of 2x2 uint8 pixels and their labels.
printf '\x00\x00\x08\x03\x00\x00\x00\x04\x00\x00\x00\x02\x00\x00\x00\x02' >"$work/images.idx"
printf '\xff\x00\x00\x00\x00\xff\x00\x00\xf0\x00\x00\x10\x00\xf0\x10\x00' >>"$work/images.idx"
printf '\x00\x00\x08\x01\x00\x00\x00\x04\x00\x01\x00\x01' >"$work/labels.idx"
expect_exit 0 "train idx" -- train --format idx --train "$work/images.idx" \
  --train-labels "$work/labels.idx" --l2 0.1 --json
check "idx JSON has 4 features" grep -q '"features": 4' "$work/out"
expect_exit 0 "train idx, model" -- train --format idx --train "$work/images.idx" \
  --train-labels "$work/labels.idx" --l2 0.1 --quiet --model "$work/idx.skm"
expect_exit 0 "predict idx with labels" -- predict --model "$work/idx.skm" --format idx \
  --data "$work/images.idx" --data-labels "$work/labels.idx"
cp "$work/out" "$work/predicted_with_labels"
# predict needs no labels (its usage shows --data-labels as optional; it used to be refused).
expect_exit 0 "predict idx without labels" -- predict --model "$work/idx.skm" --format idx \
  --data "$work/images.idx"
check "predict idx: the same labels with or without a labels file" \
  cmp -s "$work/out" "$work/predicted_with_labels"
check "predict idx: one label per image" test "$(wc -l <"$work/out")" -eq 4
expect_exit 2 "evaluate idx without labels" -- evaluate --model "$work/idx.skm" --format idx \
  --data "$work/images.idx"

# A label the model does not know (or, with --test, the training data lack) is refused naming the
# file, line and column of the label (it named a row counted from 0, which skips header, blank and
# comment lines, so it was not the line).
printf '\xEF\xBB\xBFa,b,c,label\r\n1.5,0.5,-0.25,10\r\n-0.09,2.09,-0.05,20\r\n0.5,0.5,0.5,  99\r\n' |
  gzip -c >"$work/unknown.csv.gz"
expect_exit 2 "evaluate: an unknown label in a gzip CSV with a BOM, a header and CRLF" -- \
  evaluate --model "$work/model.skm" --format csv --data "$work/unknown.csv.gz" --header \
  --label-column -1
check "the unknown label is named at line 4, column 15" grep -qF -- \
  "--data $work/unknown.csv.gz:4:15: label 99 is not one of the classes of the model $work/model.skm" \
  "$work/err"
{
  printf '# a comment line\n'
  head -3 "$work/train.svm"
  printf '\n   \t\n'
  printf '10 1:0.5 # and a trailing comment\n'
  printf '  \t7 2:0.5\n'
  tail -1 "$work/train.svm"
} >"$work/unknown.svm"
expect_exit 2 "evaluate: an unknown label in a LibSVM file with comment and blank lines" -- \
  evaluate --model "$work/svm.skm" --format libsvm --data "$work/unknown.svm"
check "the unknown LibSVM label is named at line 8, column 4" grep -qF -- \
  "--data $work/unknown.svm:8:4: label 7 is not one of the classes of the model $work/svm.skm" \
  "$work/err"
expect_exit 2 "train --test with a label the training data lack" -- train --format libsvm \
  --train "$work/train.svm" --test "$work/unknown.svm" --quiet
check "the --test label is named at line 8, column 4" grep -qF -- \
  "--test $work/unknown.svm:8:4: label 7 does not occur in the training data" "$work/err"
printf '\x00\x00\x08\x01\x00\x00\x00\x04\x00\x01\x09\x01' >"$work/unknown_labels.idx"
expect_exit 2 "evaluate: an unknown IDX label" -- evaluate --model "$work/idx.skm" --format idx \
  --data "$work/images.idx" --data-labels "$work/unknown_labels.idx"
check "the unknown IDX label is named by its item" grep -qF -- \
  "--data $work/unknown_labels.idx: item 2 (counted from 0): label 9 is not one of the classes" \
  "$work/err"

expect_exit 2 "negative C" -- train --format csv --train "$work/train.csv" --C -1
expect_exit 2 "negative l2" -- train --format csv --train "$work/train.csv" --l2 -0.5
expect_exit 2 "C and l2 together" -- train --format csv --train "$work/train.csv" --C 1 --l2 1
expect_exit 2 "missing file" -- train --format csv --train "$work/absent.csv"
check "missing file error names the file" grep -q "absent.csv" "$work/err"
check "an error is one line" test "$(wc -l <"$work/err")" -eq 1
expect_exit 2 "unknown format" -- train --format parquet --train "$work/train.csv"
expect_exit 2 "no subcommand"
expect_exit 2 "idx without labels" -- train --format idx --train "$work/images.idx"
# IDX float32 images (type 0x0D, big-endian; two 2x2 images) can hold NaN and infinity, which
# the text readers cannot: the reader refuses them, naming the file and the value's byte offset
# (16 bytes of header and five floats before it).
float_header='\x00\x00\x0d\x03\x00\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00\x02'
one='\x3f\x80\x00\x00' zero='\x00\x00\x00\x00'
printf '\x00\x00\x08\x01\x00\x00\x00\x02\x00\x01' >"$work/float_labels.idx"
for bad_value in '\x7f\xc0\x00\x00:nan' '\x7f\x80\x00\x00:inf' '\xff\x80\x00\x00:-inf'; do
  printf "$float_header$one$zero$zero$zero$zero${bad_value%%:*}$zero$one" >"$work/float.idx"
  expect_exit 2 "idx float image with ${bad_value#*:}" -- train --format idx \
    --train "$work/float.idx" --train-labels "$work/float_labels.idx" --quiet
  check "idx ${bad_value#*:}: the error names the file and byte offset 36" \
    grep -q "float.idx: byte offset 36: value ${bad_value#*:} is not a finite float" "$work/err"
  expect_exit 2 "predict on an idx float image with ${bad_value#*:}" -- predict \
    --model "$work/idx.skm" --format idx --data "$work/float.idx"
  check "predict, idx ${bad_value#*:}: the error names the file and byte offset 36" \
    grep -q "float.idx: byte offset 36: value ${bad_value#*:} is not a finite float" "$work/err"
done
# The same file with finite values trains and predicts (so the refusals above are the values').
printf "$float_header$one$zero$zero$zero$zero$zero$zero$one" >"$work/float.idx"
expect_exit 0 "idx float images, finite" -- train --format idx --train "$work/float.idx" \
  --train-labels "$work/float_labels.idx" --quiet
expect_exit 0 "predict on idx float images, finite" -- predict --model "$work/idx.skm" \
  --format idx --data "$work/float.idx"
printf 'not a model' >"$work/corrupt.skm"
expect_exit 2 "corrupt model" -- evaluate --model "$work/corrupt.skm" --format csv --data "$work/train.csv"
check "corrupt model error names the file" grep -q "corrupt.skm" "$work/err"
printf '10,1,2\n20,1\n' >"$work/ragged.csv"
expect_exit 2 "ragged csv" -- train --format csv --train "$work/ragged.csv"
check "ragged csv error names the line" grep -q "ragged.csv:2" "$work/err"
expect_exit 0 "help" -- --help

# OpenBLAS's kernels: without OPENBLAS_CORETYPE the command runs on kernels that suit the CPU
# (where Debian's OpenBLAS fell back to its Prescott ones it sets the variable and runs itself
# again: openblas_reexec.hpp); a value the user set is kept; an error is still one line, once.
expect_exit 0 "--json without OPENBLAS_CORETYPE" -- train --format csv --train "$work/train.csv" \
  --json --quiet
env -u OPENBLAS_CORETYPE "$cli" train --format csv --train "$work/train.csv" --json >"$work/out"
check "the core suits the CPU: $(grep -o '"openblas_core[^,}]*' "$work/out" | tr '\n' ' ')" \
  grep -q '"openblas_core_suits_cpu": true' "$work/out"
# The process keeps the command's name (it was "exe" when /proc/self/exe itself was exec'd):
# read during a fit of a few seconds (Fashion-MNIST), then stopped.
fashion=/usr/share/datasets/fashion-mnist
if [[ -f $fashion/train-images-idx3-ubyte.gz ]]; then
  env -u OPENBLAS_CORETYPE "$cli" train --format idx --train "$fashion/train-images-idx3-ubyte.gz" \
    --train-labels "$fashion/train-labels-idx1-ubyte.gz" --solver lbfgs --tol 1e-30 --quiet &
  running=$!
  sleep 1
  name=$(cat "/proc/$running/comm" 2>/dev/null)
  kill "$running" 2>/dev/null
  wait "$running" 2>/dev/null
  check "the process is named $(basename "$cli"): '$name'" test "$name" = "$(basename "$cli")"
fi
OPENBLAS_CORETYPE=Prescott "$cli" train --format csv --train "$work/train.csv" --json >"$work/out"
check "OPENBLAS_CORETYPE=Prescott is kept" grep -q '"openblas_core": "Prescott"' "$work/out"
env -u OPENBLAS_CORETYPE "$cli" train --format csv --train "$work/absent.csv" 2>"$work/err"
check "exit 2 and one line without OPENBLAS_CORETYPE" test "$?.$(wc -l <"$work/err")" = "2.1"
# Through the dynamic loader /proc/self/exe is the loader: the command must not exec it (it took
# "train" for the program to load, exit 127) but run as it was started.
loader=$(find /lib64 /lib/x86_64-linux-gnu -maxdepth 1 -name 'ld-linux-x86-64.so.2' 2>/dev/null | head -1)
if [[ -n $loader ]]; then
  env -u OPENBLAS_CORETYPE "$loader" "$cli" train --format csv --train "$work/train.csv" --json \
    >"$work/out" 2>"$work/err"
  check "through the loader: exit 0 and a report: $(head -c 200 "$work/err")" \
    grep -q '"openblas_core"' "$work/out"
  env -u OPENBLAS_CORETYPE "$loader" "$cli" bogus 2>"$work/err"
  check "through the loader: an unknown subcommand is exit 2" test "$?" -eq 2
fi

# One row of 20001 wrong: "%.4f" printed its accuracy, 20000/20001 = 0.999950..., as 1.0000. The
# text keeps four decimals unless they would round a fraction below 1 up to 1 (an audit).
{ for i in $(seq 20000); do echo "0,0"; done; echo "1,0"; } >"$work/one_wrong.csv"
"$cli" train --format csv --train "$work/one_wrong.csv" --model "$work/one_wrong.skm" \
  --quiet --threads 1
"$cli" evaluate --format csv --data "$work/one_wrong.csv" --model "$work/one_wrong.skm" \
  >"$work/out" 2>"$work/err"
check "evaluate prints 20000/20001 right as 0.99995, not 1.0000: $(cat "$work/out" "$work/err")" \
  grep -qx "accuracy 0.99995 on 20001 rows" "$work/out"
"$cli" train --format csv --train "$work/one_wrong.csv" --model "$work/one_wrong.skm" \
  --threads 1 >"$work/out" 2>"$work/err"
check "train prints its accuracy 0.99995: $(grep accuracy "$work/out")" \
  grep -qx "train accuracy 0.99995" "$work/out"
"$cli" evaluate --format csv --data "$work/train.csv" --model "$work/model.skm" >"$work/out" 2>&1
check "an accuracy that four decimals show keeps four: $(cat "$work/out")" \
  grep -qE "^accuracy [01]\.[0-9]{4} on" "$work/out"

echo "cli: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
