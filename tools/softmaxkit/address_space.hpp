// The command's guard against OpenBLAS's endless retry (softmaxkit/openblas_core.hpp): under an
// address-space limit (ulimit -v, RLIMIT_AS) too small for OpenBLAS's buffers the command would
// hang: OpenBLAS's worker threads take their buffers when it is loaded, before main, and one that
// cannot get its buffer spins, which exit then waits for. The library guards its own calls
// (OutOfAddressSpace, error.hpp); this refuses a limit too small from the start with the same
// exception: "out of memory", exit 1.
#pragma once

namespace softmaxkit::cli {

// True when RLIMIT_AS is finite: main then ends with _Exit after flushing its output, so that an
// OpenBLAS worker spinning on a buffer it cannot get does not hang the exit.
bool address_space_limited();

// Throws OutOfAddressSpace when the limit is below the buffers of `threads` (the --threads
// value, 0: every core) calling threads and of OpenBLAS's workers, plus one buffer's worth for
// the process itself. Nothing is checked without a limit.
void check_address_space(int threads);

}  // namespace softmaxkit::cli
