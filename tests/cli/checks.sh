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
