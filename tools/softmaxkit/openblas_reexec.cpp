// Re-running the command with OPENBLAS_CORETYPE set (openblas_reexec.hpp).
#include "openblas_reexec.hpp"

#include <sys/auxv.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "softmaxkit/openblas_core.hpp"

namespace softmaxkit::cli {

void use_suitable_openblas_core(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;  // the user's choice, or our own run
  // Started through the dynamic loader (ld-linux.so softmaxkit ...), /proc/self/exe is the
  // loader, which would take the first argument for the program to load. The kernel then ran the
  // loader as the program, so no interpreter was loaded: AT_BASE is 0 (our dynamically linked
  // command otherwise always has one).
  if (::getauxval(AT_BASE) == 0) return;
  const std::string remedy = openblas_core_remedy();
  if (remedy.empty()) return;
  // The file /proc/self/exe links to, not the link itself: the kernel names the new process
  // after the path's last part, and "exe" hid the command from pgrep, pkill and ps -C.
  char path[PATH_MAX];
  const ssize_t length = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (length <= 0) return;
  path[length] = '\0';
  if (::setenv("OPENBLAS_CORETYPE", remedy.c_str(), 1) != 0) return;
  std::fflush(nullptr);
  ::execv(path, argv);
  ::unsetenv("OPENBLAS_CORETYPE");  // exec failed (the file gone?): go on with the loaded kernels
}

}  // namespace softmaxkit::cli
