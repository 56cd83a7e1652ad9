// The command's remedy for OpenBLAS kernels older than the CPU (softmaxkit/openblas_core.hpp).
// Debian's OpenBLAS 0.3.21 picks its kernels once, when it is loaded, and falls back to its
// Prescott (SSE3) kernels on CPUs it does not know (seen: an Emerald Rapids Xeon); the structured
// solver's products then run about 2x slower, and a Fashion-MNIST fit took 5.2 s against 3.0-3.8 s
// with OPENBLAS_CORETYPE=SkylakeX. The variable is read only at load time, so the command sets it
// and runs itself again.
#pragma once

namespace softmaxkit::cli {

// When OPENBLAS_CORETYPE is unset and the loaded core does not suit the CPU, sets it to
// openblas_core_remedy() and replaces the process with the file /proc/self/exe links to and the
// same argv (same pid, nothing read or written yet; the process is named after that file, as
// ps and pgrep show it: a command started through a symbolic link takes the target's name). Returns
// only when nothing was to be done or the exec failed (then the variable is unset again and the
// command runs on the loaded kernels). A variable the user set (even empty, or a name OpenBLAS does
// not know) is never changed, and the second run finds it set, so this happens at most once. Not
// done when the command was started through the dynamic loader (/proc/self/exe is the loader then).
// Both commands (softmaxkit, softmaxkit-mpi) do it, for every subcommand, so that they run the same
// kernels and write the same model bytes.
void use_suitable_openblas_core(char** argv);

}  // namespace softmaxkit::cli
