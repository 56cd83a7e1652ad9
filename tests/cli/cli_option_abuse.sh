#!/usr/bin/env bash
# Option abuse: every option of every subcommand at its boundary values. A bad value (negative,
# zero where it must be positive, huge, NaN, inf, garbage, empty), a missing file, a directory or
# a device where a file belongs, an empty file, an option given twice: exit 2 with exactly one
# line on stderr that names the option (or the file), within a time limit, never exit 1, a
# crash or a hang. The valid boundary values succeed (exit 0).
# Usage: cli_option_abuse.sh PATH_TO_SOFTMAXKIT
set -u
cli=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
limit=60  # seconds; every case here finishes in well under one

fail() {
  failed=$((failed + 1))
  echo "FAILED: $*"
}

run() {  # run ARGS...: sets $code, $work/out, $work/err
  timeout "$limit" "$cli" "$@" >"$work/out" 2>"$work/err"
  code=$?
}

# bad NAME_PATTERN ARGS...: exit 2, one stderr line matching NAME_PATTERN (grep -iE).
bad() {  # (a leading "--" before the pattern is skipped)
  [[ $1 == -- ]] && shift
  local pattern=$1
  shift
  run "$@"
  local lines
  lines=$(wc -l <"$work/err")
  if [[ $code -ne 2 ]]; then
    fail "[$*]: exit $code (expected 2); stderr: $(head -c 300 "$work/err")"
  elif [[ $lines -ne 1 ]]; then
    fail "[$*]: $lines stderr lines (expected 1): $(head -c 300 "$work/err")"
  elif ! grep -qiE -- "$pattern" "$work/err"; then
    fail "[$*]: stderr does not name '$pattern': $(cat "$work/err")"
  else
    passed=$((passed + 1))
  fi
}

good() {  # good ARGS...: exit 0
  run "$@"
  if [[ $code -ne 0 ]]; then
    fail "[$*]: exit $code (expected 0); stderr: $(head -c 300 "$work/err")"
  else
    passed=$((passed + 1))
  fi
}

# Two separable classes (labels 3 and 7) in two features; the same as LibSVM.
awk 'BEGIN { for (i = 0; i < 40; i++) { c = i % 2; j = (i * 37 % 11) / 11.0;
  printf "%d,%.3f,%.3f\n", c ? 7 : 3, c * 2 + j, (1 - c) * 2 - j } }' >"$work/d.csv"
awk -F, '{ printf "%s 1:%s 2:%s\n", $1, $2, $3 }' "$work/d.csv" >"$work/d.svm"
: >"$work/empty"
mkdir "$work/dir"
printf '\xEF\xBB\xBFlabel,a,b\n' >"$work/bom.csv"
cat "$work/d.csv" >>"$work/bom.csv"
csv=(--format csv --train "$work/d.csv")
good train "${csv[@]}" --quiet --model "$work/m.skm"
model=(--model "$work/m.skm" --format csv --data "$work/d.csv")

# ---- numbers: every bad value for every numeric option of train ----
for value in -1 nan NaN inf -inf 1e400 abc "" 0x 1,5; do
  bad -- '--l2' train "${csv[@]}" --l2 "$value"
  bad -- '--l1' train "${csv[@]}" --l1 "$value"
  bad -- '--tol' train "${csv[@]}" --tol "$value"
  bad -- '--max-iter' train "${csv[@]}" --max-iter "$value"
  bad -- '--threads' train "${csv[@]}" --threads "$value"
  bad -- '--validation-fraction' train "${csv[@]}" --validation-fraction "$value"
  bad -- '--num-features|num_features' train --format libsvm --train "$work/d.svm" \
    --num-features "$value"
done
for value in 0 -1 -0 nan inf -inf 1e400 abc ""; do
  bad -- '--C' train "${csv[@]}" --C "$value"
done
for value in 0 -0; do bad -- '--tol' train "${csv[@]}" --tol "$value"; done
bad -- '--tol' train "${csv[@]}" --tol 1e-400  # underflows to 0
for value in 1 1.5 99 1e9; do
  bad -- '--validation-fraction' train "${csv[@]}" --validation-fraction "$value"
done
for value in 1.5 1e20 99999999999999999999 2147483648; do
  bad -- '--max-iter' train "${csv[@]}" --max-iter "$value"
done
for value in 4097 65535 65536 70000 2147483647 2147483648 1e6; do
  bad -- '--threads' train "${csv[@]}" --threads "$value"
done
bad -- 'label' train "${csv[@]}" --label-column 2  # a column of non-integers
for value in -2 -100 3 1000000 2147483648 1.5 x ""; do
  bad -- '--label-column|label_column' train "${csv[@]}" --label-column "$value"
done
for value in 1 134217728 18446744073709551615 18446744073709551616; do
  bad -- '--num-features|num_features' train --format libsvm --train "$work/d.svm" \
    --num-features "$value"
done
bad -- '--C|\bC\b' train "${csv[@]}" --C 1e-310  # lambda = 1/(C m) overflows
bad -- '--l2|\bl2\b' train "${csv[@]}" --l2 1e39  # inf in float: refused up front
good train "${csv[@]}" --quiet --l2 1e39 --double

# ---- choices and flags ----
for value in "" parquet CSV idx2; do bad -- '--format' train --format "$value" --train "$work/d.csv"; done
for value in "" sgd NEWTON; do bad -- '--solver' train "${csv[@]}" --solver "$value"; done
bad -- '--l1|\bl1\b' train "${csv[@]}" --l1 0.1 --solver newton
bad -- '--C|--l2' train "${csv[@]}" --C 1 --l2 1
bad -- '--test' train "${csv[@]}" --test-labels "$work/d.csv"
bad -- '--format' train --train "$work/d.csv"
bad -- '--train' train --format csv
bad -- 'subcommand|required' ""
bad -- 'subcommand|required'
bad -- 'bogus|extra|unexpected|following' train "${csv[@]}" --bogus
bad -- 'bogus' bogus
bad -- 'bogus' bogus train "${csv[@]}"
bad -- '--no-intercept' train "${csv[@]}" --no-intercept=maybe

# ---- duplicates: every option and flag given twice ----
bad -- '--format' train "${csv[@]}" --format csv
bad -- '--train' train "${csv[@]}" --train "$work/d.csv"
for option in --l2 --l1 --tol --max-iter --threads --validation-fraction --label-column; do
  bad -- "$option" train "${csv[@]}" "$option" 0 "$option" 0
done
bad -- '--C' train "${csv[@]}" --C 1 --C 2
bad -- '--solver' train "${csv[@]}" --solver lbfgs --solver newton
bad -- '--model' train "${csv[@]}" --model "$work/a.skm" --model "$work/b.skm"
bad -- '--test' train "${csv[@]}" --test "$work/d.csv" --test "$work/d.csv"
for flag in --no-intercept --double --json --quiet --no-scale --header; do
  bad -- "$flag" train "${csv[@]}" "$flag" "$flag"
done
# ---- a format's own option with another format (used to be ignored without a word) ----
svm_train=(--format libsvm --train "$work/d.svm")
bad -- '--header.*csv only' train "${svm_train[@]}" --header
bad -- '--label-column.*csv only' train "${svm_train[@]}" --label-column 0
bad -- '--no-scale.*idx only' train "${csv[@]}" --no-scale
bad -- '--num-features.*libsvm only' train "${csv[@]}" --num-features 2
bad -- '--no-scale.*idx only' train "${svm_train[@]}" --no-scale
for sub in predict evaluate; do
  bad -- '--num-features.*libsvm only' "$sub" "${model[@]}" --num-features 2
  bad -- '--no-scale.*idx only' "$sub" "${model[@]}" --no-scale
  bad -- '--header.*csv only' "$sub" --model "$work/m.skm" --format libsvm --data "$work/d.svm" \
    --header
done
bad -- '--model' predict "${model[@]}" --model "$work/m.skm"
bad -- '--data' evaluate "${model[@]}" --data "$work/d.csv"
bad -- '--proba' predict "${model[@]}" --proba --proba
bad -- '--json' evaluate "${model[@]}" --json --json

# ---- files: missing, directory, device, FIFO, empty, wrong content ----
for option in --train --test; do
  extra=()
  [[ $option == --test ]] && extra=(--train "$work/d.csv")
  [[ $option == --train ]] && extra=()
  bad -- "$work/absent" train --format csv "${extra[@]}" "$option" "$work/absent"
  bad -- "$work/dir" train --format csv "${extra[@]}" "$option" "$work/dir"
  bad -- "/dev/null" train --format csv "${extra[@]}" "$option" /dev/null
  bad -- "$work/empty" train --format csv "${extra[@]}" "$option" "$work/empty"
done
mkfifo "$work/fifo"
bad -- "$work/fifo" train --format csv --train "$work/fifo"
bad -- "$work/empty" train --format libsvm --train "$work/empty"
bad -- "$work/d.svm" train --format csv --train "$work/d.svm"
bad -- "$work/d.csv" train --format idx --train "$work/d.csv" --train-labels "$work/d.csv"
bad -- "labels file|--train-labels" train --format idx --train "$work/d.csv"
bad -- "labels file|$work/d.csv" train --format csv --train "$work/d.csv" --train-labels "$work/d.csv"
printf '3 134217728:1\n' >"$work/huge.svm"
bad -- "$work/huge.svm" train --format libsvm --train "$work/huge.svm"
for target in /dev/null "$work/dir" "$work/fifo" /; do
  bad -- "--model" train "${csv[@]}" --model "$target"
done
bad -- "$work/absent/m.skm" train "${csv[@]}" --model "$work/absent/m.skm"
# A name too long for its temporary file (".<name>.tmp.<pid>.XXXXXX", 20 bytes more, within
# the directory's 255): refused before the fit, which used to run and then fail to save.
long_name=$(printf 'm%.0s' $(seq 236))
bad -- "the file name is 236 bytes" train "${csv[@]}" --model "$work/$long_name"
good train "${csv[@]}" --quiet --model "$work/${long_name:1}"
[[ -s "$work/${long_name:1}" ]] || fail "a 235-byte model name was not written"
for sub in predict evaluate; do
  bad -- "$work/absent" "$sub" --model "$work/absent" --format csv --data "$work/d.csv"
  bad -- "$work/dir" "$sub" --model "$work/dir" --format csv --data "$work/d.csv"
  bad -- "/dev/null" "$sub" --model /dev/null --format csv --data "$work/d.csv"
  bad -- "$work/empty" "$sub" --model "$work/empty" --format csv --data "$work/d.csv"
  bad -- "$work/d.csv" "$sub" --model "$work/d.csv" --format csv --data "$work/d.csv"
  bad -- "$work/absent" "$sub" --model "$work/m.skm" --format csv --data "$work/absent"
  bad -- "$work/dir" "$sub" --model "$work/m.skm" --format csv --data "$work/dir"
  bad -- "$work/empty" "$sub" --model "$work/m.skm" --format csv --data "$work/empty"
  bad -- "--format" "$sub" --model "$work/m.skm" --format xml --data "$work/d.csv"
  bad -- "--model" "$sub" --format csv --data "$work/d.csv"
  bad -- "--data" "$sub" --model "$work/m.skm" --format csv
  bad -- "--label-column|label_column" "$sub" "${model[@]}" --label-column 9
  bad -- "--label-column" "$sub" "${model[@]}" --label-column nan
  bad -- "--num-features|num_features" "$sub" --model "$work/m.skm" --format libsvm \
    --data "$work/d.svm" --num-features -3
  # A different feature count from the model's.
  bad -- "columns|num_features|features" "$sub" --model "$work/m.skm" --format libsvm \
    --data "$work/d.svm" --num-features 5
done
# evaluate: a label the model never saw.
sed '1s/^3,/5,/' "$work/d.csv" >"$work/unseen.csv"
bad -- "label 5" evaluate --model "$work/m.skm" --format csv --data "$work/unseen.csv"
bad -- "--test.*label 5" train "${csv[@]}" --test "$work/unseen.csv" --model "$work/unseen.skm"
[[ ! -e $work/unseen.skm ]] && passed=$((passed + 1)) || fail "a model was written despite exit 2"

# ---- non-finite data: exit 2; a fit that overflows on finite data: exit 3, no model ----
# IDX float images (type 0x0D) of 2 x 1 values: NaN in the second.
printf '\x00\x00\x0d\x02\x00\x00\x00\x02\x00\x00\x00\x01\x3f\x80\x00\x00\x7f\xc0\x00\x00' >"$work/nan.idx"
printf '\x00\x00\x08\x01\x00\x00\x00\x02\x00\x01' >"$work/nan-labels.idx"
bad -- "$work/nan.idx.*nan|nan.*$work/nan.idx" train --format idx --train "$work/nan.idx" \
  --train-labels "$work/nan-labels.idx"
# Features near FLT_MAX for one class only: logits overflow on any step. The fit may end
# without converging (exit 0, an honest stop_reason) or with a NaN objective (exit 3, no model);
# never a crash, an internal error or "converged".
awk -F, '{ printf "%s,%s,%s\n", $1, $2, ($1 == 7 ? "3e38" : "0") }' "$work/d.csv" >"$work/huge-values.csv"
for solver in newton lbfgs; do
  run train --format csv --train "$work/huge-values.csv" --solver "$solver" --json \
    --model "$work/huge-$solver.skm"
  if [[ $code -eq 0 ]] && ! grep -q '"converged": true' "$work/out"; then
    passed=$((passed + 1))
  elif [[ $code -eq 3 && ! -e $work/huge-$solver.skm ]] && grep -q "nan" "$work/err"; then
    passed=$((passed + 1))
  else
    fail "overflowing fit ($solver): exit $code; $(cat "$work/out" "$work/err")"
  fi
done

# ---- valid boundaries succeed ----
good train "${csv[@]}" --quiet --tol 1e-320 --max-iter 5
good train "${csv[@]}" --quiet --l2 0
good train "${csv[@]}" --quiet --l2 1e6
good train "${csv[@]}" --quiet --C 1e-6
good train "${csv[@]}" --quiet --C 1e6
good train "${csv[@]}" --quiet --l1 0
good train "${csv[@]}" --quiet --l1 0.01 --solver lbfgs
good train "${csv[@]}" --quiet --tol 1e-300
good train "${csv[@]}" --quiet --tol 1e300
good train "${csv[@]}" --quiet --max-iter 0
good train "${csv[@]}" --quiet --max-iter 2147483647
good train "${csv[@]}" --quiet --threads 0
good train "${csv[@]}" --quiet --threads 1
good train "${csv[@]}" --quiet --threads 4096
# More threads than cores run as many as there are, silently: --quiet prints nothing at all (TBB
# used to print a warning when an arena asked for more workers than the machine has).
for args in "--threads 4096" "--threads 3 --C 1,2 --cv 2"; do
  # shellcheck disable=SC2086
  good train "${csv[@]}" --quiet $args
  if [[ -s "$work/err" ]]; then
    fail "[train --quiet $args]: stderr not empty: $(head -c 300 "$work/err")"
  else
    passed=$((passed + 1))
  fi
done
good train "${csv[@]}" --quiet --validation-fraction 0
good train "${csv[@]}" --quiet --validation-fraction 0.5
good train "${csv[@]}" --quiet --validation-fraction 0.9
good train "${csv[@]}" --quiet --label-column 0
awk -F, '{ printf "%s,%s,%s\n", $2, $3, $1 }' "$work/d.csv" >"$work/last.csv"
good train --format csv --train "$work/last.csv" --quiet --label-column -1 --double --no-intercept
good train --format csv --train "$work/last.csv" --quiet --label-column 2
good train --format csv --train "$work/bom.csv" --header --quiet
good train --format libsvm --train "$work/d.svm" --num-features 2 --quiet
good train --format libsvm --train "$work/d.svm" --num-features 1000 --quiet
good train "${csv[@]}" --json --model "$work/m2.skm"
good predict "${model[@]}" --proba
good evaluate "${model[@]}" --json

# ---- choosing C: --C lists, --C-grid, --cv, --cv-seed ----
for value in 0,1 1,0 1,,2 1, ,1 1,nan 1,inf 1,-1 1,abc 1,1e400 "1;2"; do
  bad -- '--C' train "${csv[@]}" --C "$value"
done
for value in "" 1 1:2 1:2:3:4 0:1:3 1:0:3 -1:1:3 nan:1:3 1:inf:3 1:2:0 1:2:-1 1:2:1.5 1:2:x \
  1:2:10001 1:2:99999999999 abc; do
  bad -- '--C-grid' train "${csv[@]}" --C-grid "$value"
done
for value in -1 1.5 nan inf abc "" 1e3 1000001; do
  bad -- '--cv' train "${csv[@]}" --C 0.1,1 --cv "$value"
done
for value in -1 1.5 abc "" 18446744073709551616 1e3; do bad -- '--cv-seed' train "${csv[@]}" --C 0.1,1 --cv-seed "$value"; done
bad -- '--cv' train "${csv[@]}" --C 0.1,1 --cv 1
bad -- '--cv' train "${csv[@]}" --cv 3  # no values of C to compare
bad -- '--cv.*--test|--test' train "${csv[@]}" --C 0.1,1 --cv 0
bad -- '--cv 21.*class' train "${csv[@]}" --C 0.1,1 --cv 21  # 20 rows per class
bad -- '--C-grid|--C' train "${csv[@]}" --C 1 --C-grid 1:2:3
bad -- '--C-grid|--l2' train "${csv[@]}" --l2 1 --C-grid 1:2:3
bad -- '--C|--l2' train "${csv[@]}" --l2 1 --C 1,2
bad -- '--validation-fraction' train "${csv[@]}" --C 0.1,1 --validation-fraction 0.2
for option in --C-grid --cv --cv-seed; do
  bad -- "$option" train "${csv[@]}" --C-grid 1:2:3 "$option" 2 "$option" 2
done
# --cv-seed where there are no folds (it used to be ignored)
bad -- '--cv-seed' train "${csv[@]}" --cv-seed 5
bad -- '--cv-seed' train "${csv[@]}" --C 1 --cv-seed 5
bad -- '--cv-seed' train "${csv[@]}" --C 0.1,1 --cv 0 --test "$work/d.csv" --cv-seed 5
good train "${csv[@]}" --quiet --C 0.1,1 --cv 2
good train "${csv[@]}" --quiet --C 0.1,1 --cv 20
good train "${csv[@]}" --quiet --C 1 --cv 2
good train "${csv[@]}" --quiet --C-grid 1e-4:1e4:1
good train "${csv[@]}" --quiet --C-grid 1e4:1e-4:3 --cv-seed 18446744073709551615
good train "${csv[@]}" --quiet --C 0.1,1 --cv 0 --test "$work/d.csv"
good train "${csv[@]}" --json --C-grid 1e-2:1e2:5 --model "$work/cv.skm"
grep -q '"best_C"' "$work/out" && grep -q '"mean_log_loss": \[' "$work/out" &&
  passed=$((passed + 1)) || fail "--json of a C search lacks the table: $(cat "$work/out")"
# ... and the run's environment, as a single fit's (it lacked them until 2026-12-06).
grep -q '"isa": "' "$work/out" && grep -q '"openblas_core": "' "$work/out" &&
  grep -qE '"openblas_core_suits_cpu": (true|false)' "$work/out" &&
  passed=$((passed + 1)) || fail "--json of a C search lacks isa / openblas_core: $(cat "$work/out")"
# ... and the refit's report with a single fit's keys (seven were missing until 2026-12-07).
for key in objective grad_norm initial_grad_norm iterations evaluations hessian_products \
  setup_pass_equivalents metric_pass_equivalents metric pass_equivalents_refit fit_seconds \
  train_accuracy converged stop_reason solver l2 rows features classes; do
  grep -q "\"$key\": " "$work/out" && passed=$((passed + 1)) ||
    fail "--json of a C search lacks the refit's $key: $(head -c 300 "$work/out")"
done
good evaluate --model "$work/cv.skm" --format csv --data "$work/d.csv"
for threads in 1 2 3; do
  run train "${csv[@]}" --json --C-grid 1e-2:1e2:5 --cv 4 --threads "$threads" \
    --model "$work/cv$threads.skm"
  sed -E 's/"(seconds|fit_seconds)": (\[[^]]*\]|[0-9.e+-]+)//g' "$work/out" >"$work/cv$threads.json"
done
cmp -s "$work/cv1.skm" "$work/cv2.skm" && cmp -s "$work/cv1.skm" "$work/cv3.skm" &&
  cmp -s "$work/cv1.json" "$work/cv2.json" && cmp -s "$work/cv1.json" "$work/cv3.json" &&
  passed=$((passed + 1)) || fail "C search: model or table differs between 1, 2 and 3 threads"

# ---- data of another width than the training data or the model: refused before any work,
# naming the option, the file and both widths (a narrower --test under --cv 0 used to be stacked
# under the training rows as if it had their width: an out-of-bounds read) ----
awk -F, '{ printf "%s,%s\n", $1, $2 }' "$work/d.csv" >"$work/narrow.csv"
awk -F, '{ printf "%s,%s,%s,1\n", $1, $2, $3 }' "$work/d.csv" >"$work/wide.csv"
for other in narrow wide; do
  bad -- "--test.*$other.csv.*width of --train.*2 features" train "${csv[@]}" --C 0.1,1 --cv 0 \
    --test "$work/$other.csv"
  bad -- "--test.*$other.csv.*width of --train" train "${csv[@]}" --test "$work/$other.csv"
  bad -- "--data.*$other.csv.*width of the model.*2 features" evaluate --model "$work/m.skm" \
    --format csv --data "$work/$other.csv"
  bad -- "--data.*$other.csv.*width of the model" predict --model "$work/m.skm" --format csv \
    --data "$work/$other.csv"
done
# predict / evaluate check --label-column and --num-features as train does (an empty value or
# 0x5 used to be read as 0).
for sub in predict evaluate; do
  for value in "" 0x5 abc 1.5; do
    bad -- '--label-column' "$sub" "${model[@]}" --label-column "$value"
    bad -- '--num-features' "$sub" --model "$work/m.skm" --format libsvm --data "$work/d.svm" \
      --num-features "$value"
  done
done
# --num-features is a count: a sign or a value past 2^64 is refused naming the option (size_t took
# -18446744073709551613 as 3 and trained with exit 0; past 2^64 it was clamped).
for value in -1 -18446744073709551613 +3 18446744073709551616; do
  bad -- "--num-features" train --format libsvm --train "$work/d.svm" --num-features "$value"
  for sub in predict evaluate; do
    bad -- "--num-features" "$sub" --model "$work/m.skm" --format libsvm --data "$work/d.svm" \
      --num-features "$value"
  done
done
# A label the model does not know: the message names the file.
awk -F, '{ printf "%s,%s,%s\n", NR == 5 ? 4 : $1, $2, $3 }' "$work/d.csv" >"$work/unknown.csv"
bad -- "--data.*unknown.csv.*label 4" evaluate --model "$work/m.skm" --format csv \
  --data "$work/unknown.csv"
# --model naming an input file, or given empty (it used to overwrite the data / write nothing, exit 0).
cp "$work/d.csv" "$work/same.csv"
bad -- "--model.*same.csv.*input" train --format csv --train "$work/same.csv" \
  --model "$work/same.csv"
bad -- "--model.*same.csv.*input" train "${csv[@]}" --test "$work/same.csv" --model "$work/same.csv"
cmp -s "$work/d.csv" "$work/same.csv" && passed=$((passed + 1)) ||
  fail "--model equal to an input file changed that file"
# The weights file is an input too (it was overwritten by the model, exit 0).
rows=$(wc -l <"$work/d.csv")
for ((i = 0; i < rows; i++)); do echo 1; done >"$work/w.txt"
cp "$work/w.txt" "$work/w_before.txt"
bad -- "--model.*w.txt.*input" train "${csv[@]}" --sample-weights "$work/w.txt" \
  --model "$work/w.txt"
cmp -s "$work/w.txt" "$work/w_before.txt" && passed=$((passed + 1)) ||
  fail "--model equal to the --sample-weights file changed that file"
bad -- "--model" train "${csv[@]}" --model ""
bad -- "--model.*d.csv.*is not a directory" train "${csv[@]}" --model "$work/d.csv/m.skm"
# A directory no file can be created in is refused before the fit (it failed only at the save).
bad -- "--model '/proc/m.skm': cannot create a file in '/proc'" train "${csv[@]}" \
  --model /proc/m.skm
bad -- "--model '/proc/m.skm': cannot create a file in '/proc'" train "${csv[@]}" --C 1,2 \
  --model /proc/m.skm
# A directory one may write to but not read (mode 0333): the save opens it to sync it, so it
# failed only after the fit, having replaced the model there already. Refused before the fit
# now, the model kept. Root reads any directory: as root the command runs as nobody here.
shared=$(mktemp -d)
chmod 755 "$shared"
cp "$work/d.csv" "$shared/d.csv"
chmod 644 "$shared/d.csv"
mkdir "$shared/wo"
cp "$work/m.skm" "$shared/wo/m.skm"
as_user=()
if [[ $(id -u) -eq 0 ]]; then
  chown -R 65534:65534 "$shared/wo"
  as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
chmod 333 "$shared/wo"
timeout "$limit" "${as_user[@]}" "$cli" train --format csv --train "$shared/d.csv" \
  --model "$shared/wo/m.skm" >"$work/out" 2>"$work/err"
code=$?
chmod 755 "$shared/wo"
if [[ $code -ne 2 ]] || ! grep -q "^softmaxkit: --model '$shared/wo/m.skm': cannot open the directory '$shared/wo' to sync it" "$work/err"; then
  fail "write-only --model directory: exit $code; stderr: $(head -c 300 "$work/err")"
elif ! cmp -s "$shared/wo/m.skm" "$work/m.skm"; then
  fail "write-only --model directory: the model there was replaced"
else
  passed=$((passed + 1))
fi
rm -rf "$shared"
cp "$work/m.skm" "$work/kept.skm"
ls -a "$work" | grep -v "^listing_\|^xfsz$" >"$work/listing_before"
# A model that cannot be written once the fit is done (here a file-size limit of 0) is exit 1,
# like standard output that cannot be written, and the model already there is kept. SIGXFSZ is
# not ignored here: the command ignores it itself (its default action killed it mid-save).
for search in "" "--C 1,2"; do
  # shellcheck disable=SC2086
  (ulimit -f 0 && "$cli" train "${csv[@]}" $search --quiet --model "$work/kept.skm" \
    2>&1 && echo "exit 0" || echo "exit $?") | cat >"$work/xfsz"
  if grep -q "exit 1" "$work/xfsz" && grep -q "cannot save.*kept.skm.*File too large" "$work/xfsz" &&
    cmp -s "$work/kept.skm" "$work/m.skm"; then
    passed=$((passed + 1))
  else
    fail "[train $search --model under ulimit -f 0]: $(head -c 300 "$work/xfsz")"
  fi
done
ls -a "$work" | grep -v "^listing_\|^xfsz$" >"$work/listing_after"
cmp -s "$work/listing_before" "$work/listing_after" && passed=$((passed + 1)) ||
  fail "a failed model write left files behind: $(diff "$work/listing_before" "$work/listing_after")"

# ---- numbers in options are decimal (option_numbers.hpp) ----
# CLI11 converted integers with base detection: --num-features 010 gave 8 features, --cv 010 8
# folds, --label-column 010 column 8, all with exit 0. A leading zero is now decimal.
same_json() {  # same_json KEY VALUE: the last run's --json output has "KEY": VALUE
  if grep -qE "\"$1\": $2[,}]" "$work/out"; then
    passed=$((passed + 1))
  else
    fail "expected \"$1\": $2 in $(head -c 300 "$work/out")"
  fi
}
good train --format libsvm --train "$work/d.svm" --num-features 010 --quiet --json
same_json features 10
good train "${csv[@]}" --quiet --json --C 1,2 --cv 010
same_json cv 10
good train "${csv[@]}" --quiet --json --C 1,2 --cv 4 --cv-seed 010 --model "$work/seed010.skm"
good train "${csv[@]}" --quiet --json --C 1,2 --cv 4 --cv-seed 10 --model "$work/seed10.skm"
if cmp -s "$work/seed010.skm" "$work/seed10.skm"; then passed=$((passed + 1)); else
  fail "--cv-seed 010 and 10 gave different models"; fi
good train --format csv --train "$work/last.csv" --quiet --label-column 002 --model "$work/lc002.skm"
good train --format csv --train "$work/last.csv" --quiet --label-column 2 --model "$work/lc2.skm"
if cmp -s "$work/lc002.skm" "$work/lc2.skm"; then passed=$((passed + 1)); else
  fail "--label-column 002 and 2 gave different models"; fi
good train "${csv[@]}" --quiet --json --threads 0002 --l2 010 --max-iter 010 --tol 1e-300
same_json l2 10
same_json iterations 10
same_json stop_reason '"max_iterations"'
# Hex, a '+' and spaces are refused by every numeric option (the real-valued ones took 0x10, +1
# and a leading space; --class-weight read 0x3:5 as label 3).
for value in 0x10 +1 " 1" "1 " 0x1p-3; do
  bad -- "--C" train "${csv[@]}" --C "$value"
  bad -- "--l2" train "${csv[@]}" --l2 "$value"
  bad -- "--tol" train "${csv[@]}" --tol "$value"
  bad -- "--threads" train "${csv[@]}" --threads "$value"
  bad -- "--max-iter" train "${csv[@]}" --max-iter "$value"
done
# A malformed number is called one, not "out of range"; a count's leading zeros are decimal too.
bad -- "--max-iter: must be a whole number, not '1-2'" train "${csv[@]}" --max-iter 1-2
bad -- "--cv-seed: must be a whole number in \[0, 2\^64\)" train "${csv[@]}" --C 1,2 --cv-seed 18446744073709551616
good train "${csv[@]}" --quiet --json --C-grid 1:10:000003 --cv 2 --cv-seed 00018446744073709551615
if grep -qE '"C": \[[^],]*, [^],]*, [^],]*\]' "$work/out"; then passed=$((passed + 1)); else
  fail "--C-grid 1:10:000003 did not give 3 values: $(head -c 300 "$work/out")"; fi
bad -- "--class-weight.*0x3:5" train "${csv[@]}" --class-weight 0x3:5
bad -- "--class-weight.*3:0x1p4" train "${csv[@]}" --class-weight 3:0x1p4
bad -- "--class-weight.*99999999999:1" train "${csv[@]}" --class-weight 99999999999:1
# Beyond int, the options that are ints name their range (CLI11 said "Could not convert").
bad -- "--label-column: '2147483648' is out of range .an int: -2147483648" train "${csv[@]}" --label-column 2147483648
bad -- "--max-iter: '-2147483649' is out of range .an int: -2147483648" train "${csv[@]}" --max-iter -2147483649
bad -- "--threads: '99999999999' is out of range .an int: -2147483648" train "${csv[@]}" --threads 99999999999
bad -- "--cv: '4294967296' is out of range .an int: -2147483648" train "${csv[@]}" --C 1,2 --cv 4294967296
bad -- "--label-column: '2147483648' is out of range .an int: -2147483648" predict "${model[@]}" --label-column 2147483648

# ---- a file name with a line end in it: still one stderr line (bad() counts them), the name's
# control characters escaped (it was two lines)
newline_name="$work/$(printf 'two\nlines.csv')"
cp "$work/d.csv" "$newline_name"
bad -- 'two\\nlines\.csv:1: label_column 9 is beyond' train --format csv --train "$newline_name" \
  --label-column 9
bad -- 'unknown subcommand .x\\ny.' "$(printf 'x\ny')"

# ---- predict --no-labels: a CSV file without its label column gives the labelled file's output
cut -d, -f2- "$work/d.csv" >"$work/unlabelled.csv"
unlabelled=(--model "$work/m.skm" --format csv --data "$work/unlabelled.csv" --no-labels)
for proba in "" --proba; do
  run predict "${model[@]}" $proba
  cp "$work/out" "$work/labelled_out"
  good predict "${unlabelled[@]}" $proba
  if [[ -s "$work/out" ]] && cmp -s "$work/out" "$work/labelled_out"; then
    passed=$((passed + 1))
  else
    fail "predict --no-labels $proba differs from the labelled file's predictions"
  fi
done
# The same unlabelled rows with a byte order mark, a header, CRLF line ends and gzip: the same
# output (the reader's text handling does not depend on the label column).
{
  printf '\xEF\xBB\xBFfirst,second\r\n'
  sed 's/$/\r/' "$work/unlabelled.csv"
} | gzip -c >"$work/unlabelled_crlf.csv.gz"
run predict "${model[@]}" --proba
cp "$work/out" "$work/labelled_out"
good predict --model "$work/m.skm" --format csv --data "$work/unlabelled_crlf.csv.gz" --no-labels \
  --header --proba
if [[ -s "$work/out" ]] && cmp -s "$work/out" "$work/labelled_out"; then
  passed=$((passed + 1))
else
  fail "predict --no-labels --header on a gzip CRLF file with a BOM differs from the labelled file's"
fi
# A one-column file is one feature: refused as not the model's width (2), naming both files.
cut -d, -f2 "$work/d.csv" >"$work/one_column.csv"
bad -- "one_column.csv.*1 features.*not the width of the model.*2 features" predict \
  --model "$work/m.skm" --format csv --data "$work/one_column.csv" --no-labels
bad -- "--no-labels.*--label-column|--label-column.*--no-labels" predict "${unlabelled[@]}" \
  --label-column 0
bad -- "--no-labels.*csv only" predict --model "$work/m.skm" --format libsvm --data "$work/d.svm" \
  --no-labels
bad -- "--no-labels" evaluate "${model[@]}" --no-labels
bad -- "--no-labels" train "${csv[@]}" --no-labels

# ---- a valid model whose logits overflow on finite data: predict_proba gives NaN rows, which
# --proba printed as "nan" with exit 0; both predicts now refuse, naming the files and the row.
if [[ -x /usr/bin/python3 ]]; then
  /usr/bin/python3 - "$work/m.skm" "$work/huge.skm" <<'PYTHON'
import struct, sys, zlib
data = bytearray(open(sys.argv[1], "rb").read())
classes, features = struct.unpack_from("<QQ", data, 16)
weights = 48 + 4 * classes  # model_file.hpp's layout: float64 weights after the labels
for j in range(classes * features):
    struct.pack_into("<d", data, weights + 8 * j, 1e308)
struct.pack_into("<I", data, len(data) - 4, zlib.crc32(bytes(data[:-4])) & 0xFFFFFFFF)
open(sys.argv[2], "wb").write(data)
PYTHON
  for proba in "" --proba; do
    # shellcheck disable=SC2086
    bad -- "--data .*d.csv with the model .*huge.skm: .*row 0 .*NaN class probabilities" predict \
      --model "$work/huge.skm" --format csv --data "$work/d.csv" $proba
    [[ -s "$work/out" ]] && fail "predict $proba on overflowing logits printed: $(head -c 100 "$work/out")"
  done
  # evaluate names the model file too (it named only the data).
  bad -- "--data .*d.csv with the model .*huge.skm: .*row 0 has NaN class probabilities" evaluate \
    --model "$work/huge.skm" --format csv --data "$work/d.csv"
fi

# IDX images without labels name the subcommand's own labels option (evaluate's message listed
# --train-labels and --test-labels, which it does not have).
printf '\x00\x00\x08\x03\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x02\x05\x06' >"$work/i.idx"
bad -- "needs a labels file for .*i.idx \(--data-labels\)$" evaluate --format idx \
  --data "$work/i.idx" --model "$work/m.skm"
bad -- "needs a labels file for .*i.idx \(--train-labels\)$" train --format idx \
  --train "$work/i.idx"

# SOFTMAXKIT_ISA that names no ISA: its own message, before any file is read (the command
# wrapped it in the data's context: "--train d.csv (40 rows x 2 features): SOFTMAXKIT_ISA=...").
for args in "train ${csv[*]}" "predict ${model[*]}" "evaluate ${model[*]}"; do
  # shellcheck disable=SC2086
  SOFTMAXKIT_ISA=bogus timeout "$limit" "$cli" $args >/dev/null 2>"$work/err"
  code=$?
  if [[ $code -eq 2 ]] && grep -qE "^softmaxkit: SOFTMAXKIT_ISA=bogus: unknown ISA 'bogus'" \
    "$work/err" && [[ $(wc -l <"$work/err") -eq 1 ]]; then
    passed=$((passed + 1))
  else
    fail "[SOFTMAXKIT_ISA=bogus $args]: exit $code; stderr: $(head -c 300 "$work/err")"
  fi
done

# ---- output that cannot be written: exit 1 naming standard output (it exited 0, the output lost)
if [[ -w /dev/full ]]; then
  for args in "predict ${model[*]}" "predict ${model[*]} --proba" "evaluate ${model[*]} --json" \
    "train ${csv[*]} --json --quiet" "--version" "--help" "train --help"; do
    # (--version named no cause until 2026-12-07: CLI11 flushed it with std::endl first)
    # shellcheck disable=SC2086
    timeout "$limit" "$cli" $args >/dev/full 2>"$work/err"
    code=$?
    if [[ $code -eq 1 ]] && grep -q "writing the output to standard output failed: No space left" \
      "$work/err"; then
      passed=$((passed + 1))
    else
      fail "[$args > /dev/full]: exit $code; stderr: $(head -c 300 "$work/err")"
    fi
  done
fi

echo "cli_option_abuse: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
