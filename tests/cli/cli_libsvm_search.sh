#!/usr/bin/env bash
# The C search (--C lists, --C-grid, --cv K, --cv 0 with --test) on LibSVM files, which the command
# reads as CSR: the table and the refit model, and the same choice as on the same data written as
# CSV (read dense): the dense search is the reference (tested against scikit-learn in python/tests).
# Usage: cli_libsvm_search.sh PATH_TO_SOFTMAXKIT
set -u
cli=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=checks.sh
source "$(dirname "$0")/checks.sh"

json_array() {  # json_array FIELD FILE: the array's numbers, one a line
  sed -n "s/.*\"$1\": \[\([^]]*\)\].*/\1/p" "$2" | tr ',' '\n' | tr -d ' '
}
close_arrays() {  # close_arrays TOLERANCE FILE_A FILE_B: same count, |a - b| <= tol (1 + |b|)
  awk -v t="$1" 'NR == FNR { a[FNR] = $1; n = FNR; next }
    { d = $1 - a[FNR]; if (d < 0) d = -d; s = $1 < 0 ? -$1 : $1; if (d > t * (1 + s)) exit 1 }
    END { exit !(FNR == n && n > 0) }' "$2" "$3"
}

# Three overlapping classes (so C matters), 8 features, about half the values 0 (left out of
# the LibSVM file), every 17th row all zero (an empty LibSVM row) and feature 4 always 0 (an
# empty column). Rows 0-179 train, rows 180-269 test; pseudo-random values from a fixed hash.
awk 'function u(a) { return (a * 2654435761 % 4294967296) / 4294967296.0 }
  BEGIN { for (i = 0; i < 270; i++) { c = i % 3; printf "%d", (c + 1) * 10
    for (k = 0; k < 8; k++) { h = u(i * 131 + k * 7 + 1); v = 0
      if (i % 17 != 5 && k != 4 && u(i * 977 + k * 31 + 3) < 0.55)
        v = (k % 3 == c) * 0.9 + 2 * h - 1
      printf ",%.4f", v }
    printf "\n" } }' >"$work/all.csv"
head -180 "$work/all.csv" >"$work/train.csv"
tail -90 "$work/all.csv" >"$work/test.csv"
for part in train test; do
  awk -F, '{ printf "%s", $1; for (k = 2; k <= NF; k++) if ($k != 0) printf " %d:%s", k - 1, $k
    printf "\n" }' "$work/$part.csv" >"$work/$part.svm"
done
check "the LibSVM file has empty rows" grep -qE '^[0-9]+$' "$work/train.svm"
svm=(--format libsvm --num-features 8)
csv=(--format csv)

# k folds, a grid: the table, the refit model, and the same choice as on the CSV.
expect_exit 0 "libsvm --C-grid --cv 3" -- train "${svm[@]}" --train "$work/train.svm" \
  --C-grid 1e-3:1e2:6 --cv 3 --model "$work/svm.skm"
check "the table marks the best C" grep -q '<- best' "$work/out"
check "the header says CSR" \
  grep -qE '^C search on 180 rows x 8 features \(CSR, [0-9]+ stored values\)' "$work/out"
check "the table has the 6 values of C" \
  test "$(grep -cE '^ +[0-9.e+-]+  [01]\.[0-9]{4} \+-' "$work/out")" -eq 6
check "the refit model is written" test -s "$work/svm.skm"
expect_exit 0 "evaluate the refit on LibSVM" -- evaluate --model "$work/svm.skm" "${svm[@]}" \
  --data "$work/test.svm" --json
svm_test_accuracy=$(json_number accuracy "$work/out")

for format in svm csv; do
  if [[ $format == svm ]]; then args=("${svm[@]}"); else args=("${csv[@]}"); fi
  expect_exit 0 "$format --C-grid --cv 3 --json" -- train "${args[@]}" \
    --train "$work/train.$format" --C-grid 1e-3:1e2:6 --cv 3 --json --model "$work/$format.skm" \
    --tol 1e-8
  cp "$work/out" "$work/cv_$format.json"
  expect_exit 0 "$format --C list --cv 0 --test --json" -- train "${args[@]}" \
    --train "$work/train.$format" --test "$work/test.$format" --C 0.001,0.01,0.1,1,10,100 --cv 0 \
    --json --model "$work/test_$format.skm" --tol 1e-8
  cp "$work/out" "$work/holdout_$format.json"
done
for run in cv holdout; do
  best_svm=$(json_number best_C "$work/${run}_svm.json")
  best_csv=$(json_number best_C "$work/${run}_csv.json")
  check "$run: LibSVM (CSR) best C $best_svm = CSV (dense) best C $best_csv" \
    test -n "$best_svm" -a "$best_svm" = "$best_csv"
  for field in mean_accuracy mean_log_loss; do
    json_array $field "$work/${run}_svm.json" >"$work/a"
    json_array $field "$work/${run}_csv.json" >"$work/b"
    check "$run: $field CSR = dense to 1e-5" close_arrays 1e-5 "$work/a" "$work/b"
  done
  check "$run: the refit model is written" test -s "$work/test_svm.skm"
done
check "--cv 0 chose on the --test rows" grep -q '"cv": 0' "$work/holdout_svm.json"
check "JSON counts the stored values" grep -q '"stored_values": [1-9]' "$work/holdout_svm.json"
check "no stored values for CSV" bash -c "! grep -q stored_values '$work/holdout_csv.json'"
check "the refit's test accuracy is reported" grep -q '"test_accuracy"' "$work/holdout_svm.json"

# The refit models predict the same probabilities (CSR and dense fits of the same data).
"$cli" predict --model "$work/svm.skm" "${svm[@]}" --data "$work/test.svm" --proba >"$work/p_svm"
"$cli" predict --model "$work/csv.skm" "${csv[@]}" --data "$work/test.csv" --proba >"$work/p_csv"
check "refit CSR and dense models: probabilities to 1e-4" \
  awk -F, 'NR == FNR { for (k = 1; k <= NF; k++) p[FNR, k] = $k; next }
    { for (k = 1; k <= NF; k++) { d = $k - p[FNR, k]; if (d > 1e-4 || d < -1e-4) exit 1 } }
    END { exit !(FNR == 90) }' "$work/p_svm" "$work/p_csv"
check "evaluate accuracy $svm_test_accuracy is a fraction" \
  awk -v a="$svm_test_accuracy" 'BEGIN { exit !(a > 0.4 && a <= 1) }'

# Determinism: the same table and model bytes for 1 and 3 threads.
for threads in 1 3; do
  expect_exit 0 "libsvm search --threads $threads" -- train "${svm[@]}" --train "$work/train.svm" \
    --C 0.01,1,100 --cv 3 --json --threads $threads --model "$work/t$threads.skm"
  # Everything but the times.
  sed 's/"seconds": \[[^]]*\], //; s/"fit_seconds": [0-9.e+-]*, //' "$work/out" \
    >"$work/t$threads.json"
done
check "the compared table is not empty" grep -q '"mean_log_loss": \[' "$work/t1.json"
check "the compared table has no times" bash -c "! grep -q seconds '$work/t1.json'"
check "same model bytes for 1 and 3 threads" cmp -s "$work/t1.skm" "$work/t3.skm"
check "same table for 1 and 3 threads" cmp -s "$work/t1.json" "$work/t3.json"

# Bad input still exits 2 with the option named.
expect_exit 2 "--cv larger than a class" -- train "${svm[@]}" --train "$work/train.svm" \
  --C 0.1,1 --cv 61
check "--cv error names --cv" grep -q -- '--cv 61' "$work/err"
expect_exit 2 "--cv 0 without --test" -- train "${svm[@]}" --train "$work/train.svm" \
  --C 0.1,1 --cv 0
check "--cv 0 error names --test" grep -q -- '--test' "$work/err"

echo "cli_libsvm_search: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
