// Maps arbitrary int32 labels to class indices 0..K-1 (the sorted distinct labels).
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "softmaxkit/error.hpp"

namespace softmaxkit::detail {

inline std::vector<std::int32_t> distinct_sorted(std::span<const std::int32_t> labels) {
  std::vector<std::int32_t> classes(labels.begin(), labels.end());
  std::sort(classes.begin(), classes.end());
  classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
  return classes;
}

// Index of each label among `classes`; a label the model does not know is an Error naming the row.
inline std::vector<std::int32_t> to_class_indices(std::span<const std::int32_t> labels,
                                                  const std::vector<std::int32_t>& classes,
                                                  const char* function) {
  std::vector<std::int32_t> indices(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const auto found = std::lower_bound(classes.begin(), classes.end(), labels[i]);
    if (found == classes.end() || *found != labels[i]) {
      throw Error(std::string(function) + ": label " + std::to_string(labels[i]) + " in row " +
                  std::to_string(i) + " is not one of the model's classes");
    }
    indices[i] = static_cast<std::int32_t>(found - classes.begin());
  }
  return indices;
}

}  // namespace softmaxkit::detail
