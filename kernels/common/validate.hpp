// Argument checks shared by the public entry points. They run once per call, at the boundary.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "softmaxkit/error.hpp"

namespace softmaxkit::detail {

[[noreturn]] inline void fail(std::string_view function, const std::string& message) {
  throw Error(std::string(function) + ": " + message);
}

template <class T>
void check_not_null(std::string_view function, std::string_view argument, const T* data,
                    std::size_t count) {
  if (data == nullptr && count != 0) {
    fail(function, std::string(argument) + " is null but has " + std::to_string(count) +
                       " elements");
  }
}

// True when [a, a+a_count) and [b, b+b_count) share memory but do not start at the same address.
template <class T, class U>
bool overlaps_partially(const T* a, std::size_t a_count, const U* b, std::size_t b_count) {
  const auto a_begin = reinterpret_cast<std::uintptr_t>(a);
  const auto b_begin = reinterpret_cast<std::uintptr_t>(b);
  const auto a_end = a_begin + a_count * sizeof(T);
  const auto b_end = b_begin + b_count * sizeof(U);
  const bool disjoint = a_end <= b_begin || b_end <= a_begin;
  return !disjoint && a_begin != b_begin;
}

// An element-wise kernel's input and output: same length, not null, identical or disjoint.
template <class T>
void check_elementwise(std::string_view function, std::span<const T> input,
                       std::span<T> output) {
  check_not_null(function, "input", input.data(), input.size());
  check_not_null(function, "output", output.data(), output.size());
  if (input.size() != output.size()) {
    fail(function, "input has " + std::to_string(input.size()) + " elements but output has " +
                       std::to_string(output.size()));
  }
  if (overlaps_partially(input.data(), input.size(), output.data(), output.size())) {
    fail(function, "input and output overlap partially (in place means the same array)");
  }
}

}  // namespace softmaxkit::detail
