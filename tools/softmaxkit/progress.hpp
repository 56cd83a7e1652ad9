// Training progress on stderr: one refreshing line on a terminal, plain lines otherwise.
#pragma once

#include "softmaxkit/solvers.hpp"

namespace softmaxkit::cli {

class Progress {
 public:
  explicit Progress(bool quiet);
  void report(const IterationReport& report);
  void finish();

 private:
  bool quiet_;
  bool terminal_;
  bool wrote_line_ = false;
};

}  // namespace softmaxkit::cli
