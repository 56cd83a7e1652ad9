#!/usr/bin/env bash
# train's --sample-weights FILE and --class-weight against independent constructions: integer
# weights against the rows repeated that many times (the same objective, the same probabilities
# within the solver's tolerance; with --cv 0 the same validation table), 'balanced' and a
# label:weight list against a weights file computed here with awk (the same float weights, so
# byte-identical model files), in float and double, dense CSV and CSR LibSVM; then every bad
# file and value: exit 2 naming the option, the file and the line.
# Usage: cli_sample_weights.sh PATH_TO_SOFTMAXKIT
set -u
cli=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=checks.sh
source "$(dirname "$0")/checks.sh"

# Three overlapping, unbalanced classes, 4 features; rows 0-119 train, 120-179 test (a fixed
# hash, no RNG). Weights 0-3 per training row.
overlapping_classes_csv 180 5 >"$work/all.csv"
head -120 "$work/all.csv" >"$work/train.csv"
tail -60 "$work/all.csv" >"$work/test.csv"
awk '{ print (NR * 7 + 3) % 4 }' "$work/train.csv" >"$work/w.txt"
# Row i repeated w_i times (weight 0: left out).
paste -d' ' "$work/w.txt" "$work/train.csv" |
  awk '{ for (r = 0; r < $1; r++) print $2 }' >"$work/repeated.csv"
to_libsvm() { awk -F, '{ line = $1; for (j = 2; j <= NF; j++) if ($j > -0.5) line = line " " (j - 1) ":" $j
  print line }' "$1"; }
to_libsvm "$work/train.csv" >"$work/train.libsvm"
to_libsvm "$work/repeated.csv" >"$work/repeated.libsvm"
to_libsvm "$work/test.csv" >"$work/test.libsvm"

relative_close() {  # relative_close A B TOLERANCE
  awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; m = a < 0 ? -a : a
    exit !(a != "" && b != "" && d <= t * (m > 1e-300 ? m : 1)) }'
}
max_difference() {  # max_difference FILE FILE: the largest |a - b| over comma-separated fields
  paste -d, "$1" "$2" | awk -F, '{ h = NF / 2; for (j = 1; j <= h; j++) { d = $j - $(j + h)
    if (d < 0) d = -d; if (d > m) m = d } } END { printf "%.3g", m + 0 }'
}
tiny() { awk -v d="$1" -v t="$2" 'BEGIN { exit !(d <= t) }'; }

# 1. Integer weights act as repeated rows: objective and probabilities, both formats and
#    precisions (lambda = 1 / (C sum w) and 1 / (C rows) agree: sum w is the repeated count).
for setup in "csv train.csv repeated.csv test.csv" "libsvm train.libsvm repeated.libsvm test.libsvm"; do
  set -- $setup
  for precision in "" "--double"; do
    opts=(--format "$1" --C 3 --tol 1e-9 --threads 2 --json --quiet $precision)
    [[ $1 == libsvm ]] && opts+=(--num-features 4)
    "$cli" train "${opts[@]}" --train "$work/$2" --sample-weights "$work/w.txt" \
      --model "$work/weighted.skm" >"$work/weighted.json"
    "$cli" train "${opts[@]}" --train "$work/$3" --model "$work/repeated.skm" >"$work/repeated.json"
    a=$(json_number objective "$work/weighted.json")
    b=$(json_number objective "$work/repeated.json")
    check "$1 $precision: weighted objective $a equals the repeated rows' $b" relative_close "$a" "$b" 1e-6
    echo "$1 ${precision:---float}: objective weighted $a, repeated rows $b"
    read_options=(--format "$1" --data "$work/$4" --proba)
    [[ $1 == libsvm ]] && read_options+=(--num-features 4)
    "$cli" predict --model "$work/weighted.skm" "${read_options[@]}" >"$work/p1"
    "$cli" predict --model "$work/repeated.skm" "${read_options[@]}" >"$work/p2"
    d=$(max_difference "$work/p1" "$work/p2")
    check "$1 $precision: probabilities within 1e-4 of the repeated rows' ($d)" tiny "$d" 1e-4
    echo "$1 ${precision:---float}: largest probability difference $d"
    "$cli" train "${opts[@]}" --train "$work/$2" --model "$work/plain.skm" >/dev/null
    check "$1 $precision: the unweighted fit is another model" test -s "$work/plain.skm" -a -s "$work/weighted.skm"
    check "$1 $precision: ... not the weighted one" bash -c "! cmp -s $work/plain.skm $work/weighted.skm"
  done
done

# 2. 'balanced' and a list against awk's own weights: byte-identical models.
awk -F, '{ n[$1]++; y[NR] = $1 } END { k = 0; for (c in n) k++
  for (i = 1; i <= NR; i++) printf "%.17g\n", NR / (k * n[y[i]]) }' "$work/train.csv" >"$work/balanced.txt"
"$cli" train --format csv --train "$work/train.csv" --class-weight balanced --quiet --model "$work/a.skm"
"$cli" train --format csv --train "$work/train.csv" --sample-weights "$work/balanced.txt" --quiet \
  --model "$work/b.skm"
check "--class-weight balanced is n / (K n_c) per row (byte-identical model)" cmp -s "$work/a.skm" "$work/b.skm"
paste -d, "$work/w.txt" "$work/train.csv" |
  awk -F, '{ f = $2 == 0 ? 2.5 : ($2 == 2 ? 0.25 : 1); printf "%.17g\n", $1 * f }' >"$work/product.txt"
"$cli" train --format csv --train "$work/train.csv" --sample-weights "$work/w.txt" \
  --class-weight 0:2.5,2:0.25 --quiet --model "$work/a.skm"
"$cli" train --format csv --train "$work/train.csv" --sample-weights "$work/product.txt" --quiet \
  --model "$work/b.skm"
check "--class-weight multiplies --sample-weights (byte-identical model)" cmp -s "$work/a.skm" "$work/b.skm"
"$cli" train --format csv --train "$work/train.csv" --class-weight 0:1,1:1,2:1 --quiet --model "$work/a.skm"
"$cli" train --format csv --train "$work/train.csv" --quiet --model "$work/b.skm"
check "weights of 1 are the unweighted fit (byte-identical model)" cmp -s "$work/a.skm" "$work/b.skm"

# 3. The C search: with --cv 0 the --test rows (weight 1) score both; the weighted search's table
#    is the repeated rows' (same C values, same validation rows) and so is its best C.
for format in csv libsvm; do
  opts=(--format "$format" --C 0.01,0.1,1,10 --cv 0 --tol 1e-9 --double --json --quiet)
  [[ $format == libsvm ]] && opts+=(--num-features 4)
  "$cli" train "${opts[@]}" --train "$work/train.$format" --test "$work/test.$format" \
    --sample-weights "$work/w.txt" >"$work/weighted.json"
  "$cli" train "${opts[@]}" --train "$work/repeated.$format" --test "$work/test.$format" \
    >"$work/repeated.json"
  for field in mean_log_loss mean_accuracy; do
    a=$(sed -n "s/.*\"$field\": \[\([^]]*\)\].*/\1/p" "$work/weighted.json" | tr -d ' ' | tr , '\n')
    b=$(sed -n "s/.*\"$field\": \[\([^]]*\)\].*/\1/p" "$work/repeated.json" | tr -d ' ' | tr , '\n')
    d=$(max_difference <(echo "$a") <(echo "$b"))
    check "$format --cv 0: weighted $field within 1e-6 of the repeated rows' ($d)" tiny "$d" 1e-6
  done
  check "$format --cv 0: the same best C" test "$(json_number best_C "$work/weighted.json")" = \
    "$(json_number best_C "$work/repeated.json")"
done
# K folds with weights run (the folds' own scores are weighted; tests/test_model_selection_weights.cpp
# checks them against repeated rows).
expect_exit 0 "--cv 3 with --sample-weights and --class-weight" -- train --format csv \
  --train "$work/train.csv" --C 0.1,1 --cv 3 --sample-weights "$work/w.txt" --class-weight balanced --quiet

head -119 "$work/w.txt" >"$work/short.txt"
# 3b. evaluate --sample-weights: the weighted accuracy is the repeated rows' plain accuracy (sums
#     of whole numbers: the same double), and weights of 1 give the unweighted one.
"$cli" train --format csv --train "$work/train.csv" --quiet --model "$work/m.skm"
"$cli" evaluate --model "$work/m.skm" --format csv --data "$work/train.csv" \
  --sample-weights "$work/w.txt" --json >"$work/weighted.json"
"$cli" evaluate --model "$work/m.skm" --format csv --data "$work/repeated.csv" --json >"$work/repeated.json"
a=$(json_number accuracy "$work/weighted.json")
b=$(json_number accuracy "$work/repeated.json")
check "evaluate: weighted accuracy $a is the repeated rows' $b" test "$a" = "$b"
check "evaluate: --json says weighted" grep -q '"weighted": true' "$work/weighted.json"
yes 1 | head -120 >"$work/ones.txt"
"$cli" evaluate --model "$work/m.skm" --format csv --data "$work/train.csv" \
  --sample-weights "$work/ones.txt" --json >"$work/weighted.json"
"$cli" evaluate --model "$work/m.skm" --format csv --data "$work/train.csv" --json >"$work/plain.json"
check "evaluate: weights of 1 give the plain accuracy" test "$(json_number accuracy "$work/weighted.json")" = \
  "$(json_number accuracy "$work/plain.json")"
check "evaluate: a weighted and an unweighted accuracy differ here" test "$a" != \
  "$(json_number accuracy "$work/plain.json")"
expect_exit 2 "evaluate: a short weights file" -- evaluate --model "$work/m.skm" --format csv \
  --data "$work/train.csv" --sample-weights "$work/short.txt"
check "evaluate: names the file and the rows: $(cat "$work/err")" grep -qF "short.txt: 119 weights for 120 rows" "$work/err"
yes 0 | head -120 >"$work/zero.txt"
expect_exit 2 "evaluate: all weights 0" -- evaluate --model "$work/m.skm" --format csv \
  --data "$work/train.csv" --sample-weights "$work/zero.txt"
check "evaluate: all weights 0 is named: $(cat "$work/err")" grep -qF "score: sample_weight: all weights are zero" "$work/err"

# 4. Bad files and values: exit 2, naming the option (and the file and line).
refused() {  # refused NEEDLE ARGS...
  local needle=$1
  shift
  expect_exit 2 "$*" -- train --format csv --train "$work/train.csv" --quiet "$@"
  check "'$*' names '$needle': $(cat "$work/err")" grep -qF -- "$needle" "$work/err"
}
{ cat "$work/w.txt"; echo 1; } >"$work/long.txt"
{ head -5 "$work/w.txt"; echo "-1"; tail -114 "$work/w.txt"; } >"$work/negative.txt"
for bad in nan inf 1e39 x 1,2 "1 2" 0x10; do
  { head -9 "$work/w.txt"; echo "$bad"; tail -110 "$work/w.txt"; } >"$work/bad.txt"
  refused "bad.txt:10" --sample-weights "$work/bad.txt"
done
{ head -9 "$work/w.txt"; echo; tail -110 "$work/w.txt"; } >"$work/blank.txt"
yes 0 | head -120 >"$work/zero.txt"
head -c 100000 /dev/zero >"$work/nul.txt"
awk 'BEGIN { for (i = 0; i < 300; i++) printf "1"; print "" }' >"$work/wide.txt"
# gzip, a byte order mark and CRLF line ends read as the plain file (the data readers' rules).
gzip -c "$work/w.txt" >"$work/w.gz"
{ printf '\xEF\xBB\xBF'; sed 's/$/\r/' "$work/w.txt"; } >"$work/w_bom_crlf.txt"
"$cli" train --format csv --train "$work/train.csv" --sample-weights "$work/w.txt" --quiet --model "$work/a.skm"
for variant in w.gz w_bom_crlf.txt; do
  rm -f "$work/b.skm"
  "$cli" train --format csv --train "$work/train.csv" --sample-weights "$work/$variant" --quiet \
    --model "$work/b.skm"
  check "--sample-weights $variant: the plain file's model bytes" cmp -s "$work/a.skm" "$work/b.skm"
done
# A FIFO is refused without blocking (it used to hang in fopen); the timeout would end a hang.
mkfifo "$work/fifo"
expect_exit 2 "--sample-weights FIFO" -- train --format csv --train "$work/train.csv" --quiet \
  --sample-weights "$work/fifo"
check "FIFO named: $(cat "$work/err")" grep -qF "it is a FIFO, not a regular file" "$work/err"
refused "short.txt: 119 weights for 120 rows" --sample-weights "$work/short.txt"
refused "long.txt: more weights than the 120 rows (line 121)" --sample-weights "$work/long.txt"
refused "negative.txt:6: '-1' is negative (weights are >= 0)" --sample-weights "$work/negative.txt"
refused "blank.txt:10: an empty line" --sample-weights "$work/blank.txt"
refused "every training row weighs 0" --sample-weights "$work/zero.txt"
refused "nul.txt:1: a NUL byte" --sample-weights "$work/nul.txt"
refused "wide.txt:1: longer than 256 bytes" --sample-weights "$work/wide.txt"
refused "--sample-weights cannot open '$work/missing'" --sample-weights "$work/missing"
refused "--sample-weights cannot read '$work': it is a directory" --sample-weights "$work"
refused "--sample-weights: must not be empty" --sample-weights ""
refused "--sample-weights" --sample-weights "$work/w.txt" --sample-weights "$work/w.txt"
for value in "" foo 0 "0:" ":1" "0:-1" "0:nan" "0:inf" "0:1,0:2" "0:1," "a:1" "99999999999:1" "balanced,0:1"; do
  refused "--class-weight" --class-weight "$value"
done
refused "--class-weight: label 7 does not occur in the training data" --class-weight 0:1,7:2
refused "every training row weighs 0 (--class-weight)" --class-weight 0:0,1:0,2:0
# A class weight beyond float's range names --class-weight alone when no weights file is given
# (it named --sample-weights), and the data row counted from 0.
refused "data row 0 (from 0)'s weight (--class-weight) 1e+39 is beyond float's" \
  --class-weight 0:1e39,1:1,2:1
# A class weighing 0 in the folds' training rows trains as absent, as in a single fit and in
# scikit-learn's LogisticRegressionCV (it was refused: "every fold must train on every class"):
# the search and its refit run, and the model never predicts that class.
for search in "--cv 3" "--cv 0 --test $work/test.csv"; do
  # shellcheck disable=SC2086
  expect_exit 0 "a search with --class-weight 1:0 ($search)" -- train --format csv \
    --train "$work/train.csv" --quiet --class-weight 1:0 --sample-weights "$work/w.txt" \
    --C 0.1,1 $search --model "$work/absent.skm"
  "$cli" predict --model "$work/absent.skm" --format csv --data "$work/test.csv" >"$work/out"
  check "the model of a search with --class-weight 1:0 ($search) never predicts 1" \
    test "$(grep -c '^1$' "$work/out")" -eq 0
done
# Weights each within float's range whose sum a float fit cannot divide by (1 / the sum must be
# a normal float: at most 1 / FLT_MIN = 8.5e37): refused before fitting, naming sample_weight;
# --double fits in double, where the sum is far inside the range. With --cv 3 each fold's 80
# training rows sum to 8e37 (in range) and the refit's 120 to 1.2e38, refused before any fold.
awk '{ print "1e36" }' "$work/train.csv" >"$work/heavy.txt"
refused "sample_weight: the weights sum to 1.2e+38, outside what a mean can divide by in float" \
  --sample-weights "$work/heavy.txt"
expect_exit 0 "--double with weights summing to 1.2e38" -- train --format csv \
  --train "$work/train.csv" --sample-weights "$work/heavy.txt" --double --quiet
refused "cross_validate: sample_weight: the weights (the refit trains on all) sum to 1.2e+38" \
  --sample-weights "$work/heavy.txt" --C 1e-38,1e-37 --cv 3
# A class weighing 0 in a single fit is allowed (its rows do not count; the class stays a class).
expect_exit 0 "--class-weight 1:0 in one fit" -- train --format csv --train "$work/train.csv" \
  --class-weight 1:0 --quiet

echo "cli_sample_weights: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
