// Helpers shared by the C-search tests (test_model_selection*.cpp): tight fit options, bitwise
// vector equality and "throws an Error naming X".
#pragma once

#include <doctest/doctest.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "softmaxkit/softmaxkit.hpp"

namespace model_selection_checks {

// Tolerance 1e-10: paths and independent fits land on the same optimum to well below 1e-6.
inline softmaxkit::FitOptions tight_options(int threads = 1) {
  softmaxkit::FitOptions options;
  options.tolerance = 1e-10;
  options.max_iterations = 5000;
  options.threads = threads;
  return options;
}

inline bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

inline void check_throws_naming(const std::function<void()>& call, const std::string& fragment) {
  try {
    call();
    FAIL("no Error thrown; expected one naming '" << fragment << "'");
  } catch (const softmaxkit::Error& error) {
    const std::string message = error.what();
    CHECK_MESSAGE(message.find(fragment) != std::string::npos, message);
  }
}

}  // namespace model_selection_checks
