#!/usr/bin/env bash
# Adversarial values of train's C search options (--C, --C-grid, --cv): each bad one exits 2 with a
# message naming the option (before any data-sized allocation: a grid count is bounded), and every
# successful run's --json output is valid JSON (parsed by python's json.tool when available).
# Usage: cli_search_edges.sh PATH_TO_SOFTMAXKIT
set -u
cli=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=checks.sh
source "$(dirname "$0")/checks.sh"

# Three overlapping classes, 4 features; rows 0-89 train, 90-149 test (a fixed hash, no RNG).
overlapping_classes_csv 150 3 >"$work/all.csv"
head -90 "$work/all.csv" >"$work/train.csv"
tail -60 "$work/all.csv" >"$work/test.csv"
base=(train --format csv --train "$work/train.csv" --quiet)

refused() {  # refused NEEDLE ARGS...: exit 2 and NEEDLE in the message
  local needle=$1
  shift
  expect_exit 2 "$*" -- "${base[@]}" "$@"
  check "'$*' names '$needle': $(cat "$work/err")" grep -qF -- "$needle" "$work/err"
}
for value in "" "," "1,,2" "0" "-1" "nan" "inf" "1e400" "1e-400" "1,-2" "1,nan" ",1"; do
  refused "--C" --C "$value"
done
# Parsed but lambda = 1 / (C m) beyond float's range: named as C, with the way out.
refused "C = 1e-300" --C 1e-300
refused "--double" --C 1e-300
refused "C = 1e-310" --C 1,1e-310 --cv 2
for grid in "1e-4:1e4:0" "a:b:c" "1:2" "1:2:3:4" "0:1:3" "1:inf:3" "1:2:-3" "1:2:2.5" "1:2:"; do
  refused "--C-grid" --C-grid "$grid"
done
# A huge count is refused by the bound, before any grid is allocated.
for count in 10001 1000000000 99999999999999999999; do
  refused "--C-grid: count must be a whole number in [1, 10000]" --C-grid "1e-4:1e4:$count"
done
for folds in -1 1e9 x 1.5 1000001; do refused "--cv" --C 1,2 --cv "$folds"; done
refused "--cv is 1" --C 1,2 --cv 1
refused "--cv 0 validates on the --test rows" --C 1,2 --cv 0
refused "--cv 31: class" --C 1,2 --cv 31  # 30 rows per class
refused "excludes" --C 1 --C-grid 1:2:2
refused "excludes" --C-grid 1:2:2 --C 1

# Valid extremes: exit 0 and valid JSON.
valid_json() {  # valid_json ARGS...: exit 0, and the output parses as JSON
  expect_exit 0 "$*" -- "${base[@]}" --json "$@"
  if [[ -x /usr/bin/python3 ]]; then
    check "'$*' prints valid JSON" /usr/bin/python3 -m json.tool "$work/out" /dev/null
  fi
  check "'$*' prints no NaN or inf" bash -c "! grep -qiE 'nan|inf' '$work/out'"
}
valid_json --C 1
valid_json --C 1e300
valid_json --C 1e-300 --double
valid_json --C 1,1,1 --cv 2
valid_json --C 1e300,1e-30,1e300 --cv 3
valid_json --C-grid 1e-4:1e4:1 --cv 2
valid_json --C-grid 1e4:1e-4:5 --cv 2  # reversed: the same values, descending
check "a reversed grid lists its values from high to low" \
  grep -qE '"C": \[10000, 100, 1, 0.01, 0.0001\]' "$work/out"
valid_json --C-grid 1e-4:1e4:5 --cv 30  # the smallest class count
valid_json --C 1e-30,5 --cv 0 --test "$work/test.csv"
valid_json --C 2 --cv 2 --cv-seed 18446744073709551615
refused "--cv-seed" --C 2 --cv 2 --cv-seed 18446744073709551616

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
