# Shared by the command's shell tests (source it after setting $cli and $work): pass/fail counters
# and the two checks every script uses, plus reading a number from --json output.

passed=0
failed=0

check() {  # check DESCRIPTION COMMAND...: passes when the command succeeds
  local description=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAILED: $description"
  fi
}

expect_exit() {  # expect_exit CODE DESCRIPTION -- softmaxkit arguments...
  local code=$1 description=$2
  shift 3
  "$cli" "$@" >"$work/out" 2>"$work/err"
  local actual=$?
  if [[ $actual -eq $code ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAILED: $description: exit $actual, expected $code; stderr: $(cat "$work/err")"
  fi
}

json_number() {  # json_number FIELD FILE
  sed -n "s/.*\"$1\": \([-0-9.e+]*\).*/\1/p" "$2"
}

overlapping_classes_csv() {  # overlapping_classes_csv ROWS PERIOD: CSV on stdout
  # Three overlapping classes (row i's is (i % PERIOD) % 3: PERIOD 3 balanced, 5 not), 4 features
  # from a fixed hash (no RNG: the same file on every run).
  awk -v rows="$1" -v period="$2" 'function u(a) { return (a * 2654435761 % 4294967296) / 4294967296.0 }
    BEGIN { for (i = 0; i < rows; i++) { c = (i % period) % 3; printf "%d", c
      for (k = 0; k < 4; k++) printf ",%.4f", (k % 3 == c) * 0.9 + 2 * u(i * 131 + k * 7 + 1) - 1
      printf "\n" } }'
}
