// Helpers shared by the CSR model tests (test_sparse_model*.cpp): bitwise vector equality and the
// message of the softmaxkit::Error a call throws.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include "softmaxkit/error.hpp"

namespace sparse_model_checks {

inline bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

// The Error's message, or "" when the call throws none.
std::string error_of(auto&& call) {
  try {
    call();
  } catch (const softmaxkit::Error& error) {
    return error.what();
  }
  return "";
}

}  // namespace sparse_model_checks
