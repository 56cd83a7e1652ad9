// The training rows' weights from --sample-weights and --class-weight (row_weights.hpp).
#include "row_weights.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

#include "option_numbers.hpp"
#include "softmaxkit/data.hpp"
#include "softmaxkit/error.hpp"

namespace softmaxkit::cli {
namespace {

constexpr double kFloatMax = std::numeric_limits<float>::max();

struct ClassWeight {
  std::int32_t label;
  double weight;
};

// The pairs of a "label:weight,..." list, or a message saying what is wrong.
std::string parse_pairs(const std::string& text, std::vector<ClassWeight>& pairs) {
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string part =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const std::size_t colon = part.find(':');
    ClassWeight pair{};
    std::int64_t label = 0;
    // Read as the command's other numeric options are (option_numbers.hpp: decimal only; CLI11's
    // lexical_cast took "0x2:5" as label 2).
    if (colon == std::string::npos || !read_whole(part.substr(0, colon), label) ||
        label < INT32_MIN || label > INT32_MAX ||
        !read_decimal(part.substr(colon + 1), pair.weight) || !std::isfinite(pair.weight) ||
        pair.weight < 0) {
      return "'" + part + "' is not label:weight (a whole-number label, a finite weight >= 0)";
    }
    pair.label = static_cast<std::int32_t>(label);
    for (const ClassWeight& other : pairs) {
      if (other.label == pair.label)
        return "label " + std::to_string(pair.label) + " is given twice";
    }
    pairs.push_back(pair);
    if (comma == std::string::npos) return {};
    start = comma + 1;
  }
}

}  // namespace

const CLI::Validator class_weight_text(
    [](std::string& text) {
      if (text == "balanced") return std::string();
      std::vector<ClassWeight> pairs;
      const std::string problem = parse_pairs(text, pairs);
      return problem.empty() ? std::string()
                             : "must be 'balanced' or label:weight[,label:weight...]: " + problem;
    },
    "balanced|LABEL:WEIGHT[,...]");

std::vector<float> read_sample_weights(const std::string& path, std::size_t rows) {
  try {
    return softmaxkit::read_sample_weights(path, rows);
  } catch (const Error& error) {
    throw Error(std::string("--sample-weights ") + error.what());
  }
}

std::vector<double> class_factors(const std::string& text, std::span<const std::int32_t> classes,
                                  std::span<const std::size_t> counts) {
  std::vector<double> factors(classes.size(), 1.0);
  if (text == "balanced") {
    std::size_t rows = 0;
    for (std::size_t count : counts) rows += count;
    for (std::size_t k = 0; k < classes.size(); ++k)
      factors[k] = static_cast<double>(rows) /
                   (static_cast<double>(classes.size()) * static_cast<double>(counts[k]));
    return factors;
  }
  std::vector<ClassWeight> pairs;
  const std::string problem = parse_pairs(text, pairs);
  if (!problem.empty()) throw Error("--class-weight: " + problem);
  for (const ClassWeight& pair : pairs) {
    const auto at = std::lower_bound(classes.begin(), classes.end(), pair.label);
    if (at == classes.end() || *at != pair.label)
      throw Error("--class-weight: label " + std::to_string(pair.label) +
                  " does not occur in the training data");
    factors[static_cast<std::size_t>(at - classes.begin())] = pair.weight;
  }
  return factors;
}

std::vector<float> row_weights(std::span<const float> sample, std::span<const double> factors,
                               std::span<const std::int32_t> classes,
                               std::span<const std::int32_t> labels, bool require_positive,
                               std::size_t first_row) {
  std::vector<float> weights(labels.size(), 1.0f);
  bool any = false;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    double weight = sample.empty() ? 1.0 : static_cast<double>(sample[i]);
    if (!factors.empty()) {
      const auto at = std::lower_bound(classes.begin(), classes.end(), labels[i]);
      weight *= factors[static_cast<std::size_t>(at - classes.begin())];
    }
    if (weight > kFloatMax) {
      // Named as the options given (it said --sample-weights with only --class-weight), the row
      // counted from 0 as a data row, the weight in the shortest form that reads back.
      char text[32];
      const auto written = std::to_chars(text, text + sizeof text, weight);
      throw Error("data row " + std::to_string(first_row + i) + " (from 0)'s weight (" +
                  (sample.empty() ? "--class-weight" : "--sample-weights x --class-weight") + ") " +
                  std::string(text, written.ptr) + " is beyond float's range (3.4e38)");
    }
    weights[i] = static_cast<float>(weight);
    any = any || weights[i] > 0;
  }
  if (!any && require_positive) refuse_weightless(!sample.empty(), !factors.empty());
  return weights;
}

void refuse_weightless(bool sample_weights, bool class_weights) {
  throw Error(std::string("every training row weighs 0 (") +
              (!sample_weights  ? "--class-weight"
               : !class_weights ? "--sample-weights"
                                : "--sample-weights x --class-weight") +
              "): nothing to fit");
}

}  // namespace softmaxkit::cli
