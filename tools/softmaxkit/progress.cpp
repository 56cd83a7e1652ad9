#include "progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace softmaxkit::cli {

Progress::Progress(bool quiet) : quiet_(quiet), terminal_(isatty(STDERR_FILENO) == 1) {}

void Progress::report(const IterationReport& report) {
  if (quiet_) return;
  std::fprintf(stderr,
               "%siteration %5d  objective %.10g  gradient norm %.3e  evaluations %5d  passes "
               "%7.1f  %.2f s%s",
               terminal_ ? "\r\033[K" : "", report.iteration, report.objective,
               report.gradient_norm, report.evaluations, report.pass_equivalents,
               report.elapsed_seconds, terminal_ ? "" : "\n");
  std::fflush(stderr);
  wrote_line_ = true;
}

void Progress::finish() {
  if (!quiet_ && terminal_ && wrote_line_) std::fputc('\n', stderr);
}

}  // namespace softmaxkit::cli
