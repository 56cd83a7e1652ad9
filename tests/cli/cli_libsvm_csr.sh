#!/usr/bin/env bash
# The command on LibSVM files, which it reads as CSR: train / evaluate / predict on generated
# rcv1-shaped bag-of-words data (softmaxkit-bag-of-words), the same model as from the equivalent
# CSV on small dense data, and malformed or oversized files: exit 2 with one stderr line naming
# the file (and line:column for a bad token).
# Usage: cli_libsvm_csr.sh PATH_TO_SOFTMAXKIT PATH_TO_SOFTMAXKIT_BAG_OF_WORDS
set -u
cli=$1
generate=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=checks.sh
source "$(dirname "$0")/checks.sh"

one_error_line() {  # one_error_line PATTERN: stderr is one line matching PATTERN (grep -E)
  [[ $(wc -l <"$work/err") -eq 1 ]] && grep -qE -- "$1" "$work/err"
}


# rcv1-shaped (47236 features, 53 classes), small: 800 training rows and 400 further test rows
# of the same draw (another seed would be another task).
"$generate" --shape rcv1 --rows 800 --seed 11 --test-rows 400 --test-output "$work/test.svm" \
  "$work/train.svm"
svm=(--format libsvm --num-features 47236)

expect_exit 0 "train libsvm (CSR) with --test and --json" -- train "${svm[@]}" \
  --train "$work/train.svm" --test "$work/test.svm" --C 10 --json --model "$work/m.skm"
check "JSON reports the CSR stored values" grep -q '"stored_values": [1-9]' "$work/out"
check "JSON has the 47236 features" grep -q '"features": 47236' "$work/out"
train_accuracy=$(json_number train_accuracy "$work/out")
test_accuracy=$(json_number test_accuracy "$work/out")
# 53 classes: chance is below 0.03; the classes' favoured words make them learnable.
check "train accuracy $train_accuracy > 0.9" awk -v a="$train_accuracy" 'BEGIN { exit !(a > 0.9) }'
check "test accuracy $test_accuracy > 0.2" awk -v a="$test_accuracy" 'BEGIN { exit !(a > 0.2) }'

expect_exit 0 "evaluate libsvm" -- evaluate --model "$work/m.skm" --format libsvm \
  --data "$work/test.svm" --json
check "evaluate gives train's test accuracy" \
  test "$(json_number accuracy "$work/out")" = "$test_accuracy"
check "evaluate counts 400 rows" grep -q '"rows": 400' "$work/out"

expect_exit 0 "predict libsvm" -- predict --model "$work/m.skm" --format libsvm \
  --data "$work/test.svm"
check "one prediction per row" test "$(wc -l <"$work/out")" -eq 400
# The accuracy of the printed predictions is the evaluated one.
correct=$(paste -d' ' "$work/out" <(cut -d' ' -f1 "$work/test.svm") | awk '$1 == $2' | wc -l)
check "predictions match evaluate's accuracy" \
  awk -v c="$correct" -v a="$test_accuracy" 'BEGIN { exit !(c / 400 == a) }'
expect_exit 0 "predict --proba libsvm" -- predict --model "$work/m.skm" --format libsvm \
  --data "$work/test.svm" --proba
check "53 probabilities per row" test "$(head -1 "$work/out" | tr ',' '\n' | wc -l)" -eq 53

# Small dense data written both ways: the CSR fit and the dense fit give the same predictions.
awk 'BEGIN { for (i = 0; i < 90; i++) { c = i % 3; j = (i * 7919 % 101) / 101.0 - 0.5;
  printf "%d,%.4f,%.4f,%.4f\n", (c + 1) * 10, (c == 0) * 2 + j, (c == 1) * 2 - j, j / 2 } }' \
  >"$work/small.csv"
awk -F, '{ printf "%s", $1; for (k = 2; k <= NF; k++) if ($k != 0) printf " %d:%s", k - 1, $k;
  printf "\n" }' "$work/small.csv" >"$work/small.svm"
expect_exit 0 "train small csv" -- train --format csv --train "$work/small.csv" --C 1 --quiet \
  --model "$work/dense.skm"
expect_exit 0 "train small libsvm" -- train --format libsvm --train "$work/small.svm" --C 1 \
  --quiet --model "$work/sparse.skm"
"$cli" predict --model "$work/dense.skm" --format csv --data "$work/small.csv" --proba \
  >"$work/dense.p"
"$cli" predict --model "$work/sparse.skm" --format libsvm --data "$work/small.svm" --proba \
  >"$work/sparse.p"
check "CSR and dense fits give the same probabilities to 1e-4" \
  awk -F, 'NR == FNR { for (k = 1; k <= NF; k++) p[FNR, k] = $k; next }
    { for (k = 1; k <= NF; k++) { d = $k - p[FNR, k]; if (d > 1e-4 || d < -1e-4) exit 1 } }
    END { exit !(FNR == 90) }' "$work/dense.p" "$work/sparse.p"

# Malformed files: exit 2, one line naming file:line:column.
head -3 "$work/train.svm" >"$work/bad.svm"
echo "3 5:1 5:2" >>"$work/bad.svm"
expect_exit 2 "duplicate index" -- train --format libsvm --train "$work/bad.svm"
check "duplicate index error names file:4:7" one_error_line "$work/bad.svm:4:7: feature index 5"
printf '1 1:0.5\n2 2:nan\n' >"$work/nan.svm"
expect_exit 2 "NaN value" -- train --format libsvm --train "$work/nan.svm"
check "NaN error names file:2:3" one_error_line "$work/nan.svm:2:3: .*not finite"
expect_exit 2 "evaluate a malformed file" -- evaluate --model "$work/m.skm" --format libsvm \
  --data "$work/bad.svm"
check "evaluate error names file:4:7" one_error_line "$work/bad.svm:4:7"
printf '1 1:1 47237:1\n' >"$work/wide.svm"
expect_exit 2 "index beyond the model's features" -- predict --model "$work/m.skm" \
  --format libsvm --data "$work/wide.svm"
check "index error names file:1:7 and num_features" \
  one_error_line "$work/wide.svm:1:7: feature index 47237 exceeds num_features 47236"

# A few bytes naming feature 2^31: read fine as CSR (40 entries), but the fit's workspaces
# (40 classes x 2^31 weights) would not fit: refused before allocating, naming the file.
awk 'BEGIN { for (k = 1; k < 40; k++) printf "%d %d:1\n", k, k; print "40 2147483648:1" }' \
  >"$work/huge.svm"
expect_exit 2 "huge index" -- train --format libsvm --train "$work/huge.svm"
check "huge index error names the file" one_error_line "$work/huge.svm"
# Two classes: 20 bytes, a model of 2 x 2^31 parameters; refused before any allocation.
printf '1 1:1\n2 2147483648:1\n' >"$work/huge2.svm"
expect_exit 2 "huge index, two classes" -- train --format libsvm --train "$work/huge2.svm"
check "huge index error names the file and the memory" \
  one_error_line "$work/huge2.svm .*2147483648 features.* GiB"
# The C search on LibSVM (CSR) files: tests/cli/cli_libsvm_search.sh.
printf '1 2147483649:1\n2 1:1\n' >"$work/beyond.svm"
expect_exit 2 "index beyond int32 columns" -- train --format libsvm --train "$work/beyond.svm"
check "beyond error names file:1:3" one_error_line "$work/beyond.svm:1:3: .*exceeds the limit"


# ---- the generator itself (its options are read as the command's: decimal; rows are streamed)
generated() {  # generated NAME ARGS...: runs the generator into $work/NAME; sets $code
  local name=$1
  shift
  "$generate" "$@" "$work/$name" >"$work/gen_out" 2>"$work/err"
  code=$?
}
generated g1.svm --shape news20 --rows 40 --seed 5
generated g2.svm --shape news20 --rows 040 --seed 005
check "the generator: 040 rows and seed 005 are 40 and 5, same bytes" cmp -s "$work/g1.svm" \
  "$work/g2.svm"
check "the generator wrote 40 lines" test "$(wc -l <"$work/g1.svm")" -eq 40
generated g3.svm --shape news20 --rows 40 --seed 5 --test-rows 7 --test-output "$work/g3t.svm"
check "the training file is the same with --test-rows" cmp -s "$work/g1.svm" "$work/g3.svm"
generated g4.svm --shape news20 --rows 47 --seed 5
check "the test rows are the next rows of the draw" \
  cmp -s <(cat "$work/g1.svm" "$work/g3t.svm") "$work/g4.svm"
generated s0.svm --shape news20 --rows 5 --seed 0
generated sd.svm --shape news20 --rows 5
check "--seed 0 is a seed (not the shape's default)" bash -c "! cmp -s '$work/s0.svm' '$work/sd.svm'"
for seed in 0x10 -1 18446744073709551616 " 1" +1; do
  generated bad.svm --rows 5 --seed "$seed"
  check "the generator refuses --seed '$seed' (exit 2, naming --seed)" \
    bash -c "[[ $code -eq 2 ]] && grep -q -- --seed '$work/err'"
done
generated same.svm --rows 3 --test-rows 3 --test-output "$work/same.svm"
check "the generator refuses one file for both sets" \
  bash -c "[[ $code -eq 2 ]] && grep -q 'training set' '$work/err' && [[ ! -e '$work/same.svm' ]]"
# The same file under other names: ./o.svm beside o.svm before either exists (the training file
# was written, then overwritten by the test rows from another offset: exit 0 and a corrupt file),
# and a hard link (its content must survive the refusal).
generator_path=$(realpath "$generate")  # the path given may be relative to this directory
(cd "$work" && "$generator_path" --rows 3 o.svm --test-rows 3 --test-output ./o.svm 2>"$work/err")
check "the generator refuses o.svm and ./o.svm" \
  bash -c "[[ $? -eq 2 ]] && grep -q 'training set' '$work/err' && [[ ! -e '$work/o.svm' ]]"
printf 'kept\n' >"$work/linked.svm"
ln "$work/linked.svm" "$work/hard_link.svm"
generated linked.svm --rows 3 --test-rows 3 --test-output "$work/hard_link.svm"
check "the generator refuses a hard link to its output, and leaves the file" \
  bash -c "[[ $code -eq 2 ]] && grep -q 'training set' '$work/err' && [[ \$(cat '$work/linked.svm') == kept ]]"
# A refused test path leaves an existing training file as it was (it was emptied), and a new one
# is not left behind.
generated linked.svm --rows 3 --test-rows 3 --test-output /proc/no/such.svm
check "an unwritable --test-output leaves the existing training file" \
  bash -c "[[ $code -eq 2 ]] && grep -q 'cannot write /proc/no/such.svm' '$work/err' && [[ \$(cat '$work/linked.svm') == kept ]]"
generated fresh.svm --rows 3 --test-rows 3 --test-output /proc/no/such.svm
check "an unwritable --test-output leaves no new training file" \
  bash -c "[[ $code -eq 2 ]] && [[ ! -e '$work/fresh.svm' ]]"
# Errors are one line, named after the program, as the command's (CLI11 added a second line).
generated bad.svm --rows 0x10
check "a bad option is one stderr line naming the program and the option" \
  bash -c "[[ $code -eq 2 ]] && [[ \$(wc -l <'$work/err') -eq 1 ]] && grep -q '^softmaxkit-bag-of-words: --rows' '$work/err'"
"$generate" --rows 3 /proc/no/such.svm 2>"$work/err"
check "an unwritable output: exit 2 before any work" \
  bash -c "[[ $? -eq 2 ]] && grep -q 'cannot write /proc/no/such.svm' '$work/err'"
if [[ -w /dev/full ]]; then
  "$generate" --rows 300 /dev/full 2>"$work/err"
  check "a failed write: exit 2 naming the file" \
    bash -c "[[ $? -eq 2 ]] && grep -q 'writing /dev/full failed' '$work/err'"
fi

echo "cli_libsvm_csr: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
