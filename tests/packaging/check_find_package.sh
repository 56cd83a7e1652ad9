#!/usr/bin/env bash
# find_package(softmaxkit ...) against an installed prefix, as consumers write it: versions,
# unknown and optional components, and dependencies hidden with CMAKE_DISABLE_FIND_PACKAGE_<P>
# (QUIET must not stop the configure; REQUIRED must say what is missing).
# usage: check_find_package.sh PREFIX [has-mpi]
set -u
prefix=$1 has_mpi=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0 checks=0
# expect NAME EXIT(0|fail) REGEX FP_ARGS [cmake -D...]
expect() {
  local name=$1 want=$2 pattern=$3 args=$4
  shift 4
  checks=$((checks + 1))
  rm -rf "$work/b"
  cmake -S "$here/find_package" -B "$work/b" -DCMAKE_PREFIX_PATH="$prefix" "-DFP_ARGS=$args" "$@" \
    >"$work/out" 2>&1
  local got=$?
  local ok=1
  if [[ $want == 0 ]]; then [[ $got -eq 0 ]] || ok=0; else [[ $got -ne 0 ]] || ok=0; fi
  grep -Eq -- "$pattern" "$work/out" || ok=0
  if ((ok)); then
    echo "$name: ok"
  else
    echo "$name: FAILED (exit $got, expected $want, pattern '$pattern'); output:"
    cat "$work/out"
    failures=$((failures + 1))
  fi
}
expect found 0 "softmaxkit_FOUND=\[1\]" "CONFIG REQUIRED"
expect version_too_new fail "softmaxkit" "99 REQUIRED"
expect version_too_new_quiet 0 "softmaxkit_FOUND=\[0\]" "99 QUIET"
expect unknown_component fail "required component not found: 'foo': softmaxkit has no such component" \
  "REQUIRED COMPONENTS foo"
expect unknown_optional_component 0 "softmaxkit_FOUND=\[1\] mpi=\[\] foo=\[FALSE\]" \
  "REQUIRED OPTIONAL_COMPONENTS foo"
# OpenBLAS hidden: QUIET reports not found and goes on (a REQUIRED search inside stopped it).
expect openblas_missing_quiet 0 "softmaxkit_FOUND=\[0\]" "QUIET" -DCMAKE_DISABLE_FIND_PACKAGE_OpenBLAS=ON
expect openblas_missing_required fail "needs the OpenBLAS, liblbfgs and LAPACKE libraries" "REQUIRED" \
  -DCMAKE_DISABLE_FIND_PACKAGE_OpenBLAS=ON
if [[ $has_mpi == has-mpi ]]; then
  expect mpi_component 0 "softmaxkit::mpi defined" "REQUIRED COMPONENTS mpi"
  # MPI hidden: optional is the core without softmaxkit::mpi; required says why.
  expect mpi_missing_optional 0 "softmaxkit_FOUND=\[1\] mpi=\[FALSE\]" \
    "REQUIRED OPTIONAL_COMPONENTS mpi" -DCMAKE_DISABLE_FIND_PACKAGE_MPI=ON
  expect mpi_missing_required fail "'mpi': MPI was not found" "REQUIRED COMPONENTS mpi" \
    -DCMAKE_DISABLE_FIND_PACKAGE_MPI=ON
fi
echo "find_package: $((checks - failures)) passed, $failures failed"
((failures == 0))
