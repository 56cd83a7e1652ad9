// The training rows' weights from --sample-weights and --class-weight (row_weights.hpp).
#include "row_weights.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <memory>

#include "softmaxkit/error.hpp"

namespace softmaxkit::cli {
namespace {

constexpr double kFloatMax = std::numeric_limits<float>::max();

// The whole of `text` as a number, or false.
bool whole_number_text(std::string_view text, double& value) {
  if (text.size() > 1 && text[0] == '+' && text[1] != '-') text.remove_prefix(1);
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  return error == std::errc() && stop == end;
}

bool whole_label(std::string_view text, std::int32_t& label) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, label);
  return error == std::errc() && stop == end;
}

std::string_view trimmed(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const std::size_t last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

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
    if (colon == std::string::npos || !whole_label(part.substr(0, colon), pair.label) ||
        !whole_number_text(std::string_view(part).substr(colon + 1), pair.weight) ||
        !std::isfinite(pair.weight) || pair.weight < 0) {
      return "'" + part + "' is not label:weight (a whole-number label, a finite weight >= 0)";
    }
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

std::vector<float> read_sample_weights(const std::string& path, std::size_t rows,
                                       const std::string& rows_name) {
  const std::string name = "--sample-weights " + path;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) throw Error(name + ": cannot open (" + std::strerror(errno) + ")");
  std::vector<float> weights;
  std::string text_line;
  std::size_t line = 0;
  int c = std::getc(file.get());
  // The data files may be gzip (the library's readers); this small file is read as plain text.
  if (c == 0x1f) {
    const int next = std::getc(file.get());
    if (next == 0x8b) throw Error(name + ": gzip-compressed; give the weights as plain text");
    std::ungetc(next, file.get());
  }
  while (c != EOF) {
    ++line;
    const std::string where = name + ":" + std::to_string(line);
    text_line.clear();
    for (; c != EOF && c != '\n'; c = std::getc(file.get())) {
      if (c == '\0') throw Error(where + ": a NUL byte (one weight per line, as text)");
      if (text_line.size() == kMaxWeightLine)
        throw Error(where + ": longer than " + std::to_string(kMaxWeightLine) +
                    " bytes (one weight per line)");
      text_line.push_back(static_cast<char>(c));
    }
    if (c == '\n') c = std::getc(file.get());
    if (!text_line.empty() && text_line.back() == '\r') text_line.pop_back();
    const std::string_view text = trimmed(text_line);
    if (text.empty()) throw Error(where + ": an empty line (one weight per training row)");
    if (weights.size() == rows)
      throw Error(name + ": more weights than the " + std::to_string(rows) + " " + rows_name +
                  " (line " + std::to_string(line) + ")");
    double value = 0;
    if (!whole_number_text(text, value))
      throw Error(where + ": '" + std::string(text) + "' is not a number");
    if (!std::isfinite(value) || value < 0)
      throw Error(where + ": the weight must be finite and >= 0, not '" + std::string(text) + "'");
    if (value > kFloatMax)
      throw Error(where + ": " + std::string(text) + " is beyond float's range (3.4e38)");
    weights.push_back(static_cast<float>(value));
  }
  if (std::ferror(file.get())) throw Error(name + ": read error (" + std::strerror(errno) + ")");
  if (weights.size() != rows)
    throw Error(name + ": " + std::to_string(weights.size()) + " weights for " +
                std::to_string(rows) + " " + rows_name + " (one weight per row, in order)");
  return weights;
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
                               std::span<const std::int32_t> labels, bool require_positive) {
  std::vector<float> weights(labels.size(), 1.0f);
  bool any = false;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    double weight = sample.empty() ? 1.0 : static_cast<double>(sample[i]);
    if (!factors.empty()) {
      const auto at = std::lower_bound(classes.begin(), classes.end(), labels[i]);
      weight *= factors[static_cast<std::size_t>(at - classes.begin())];
    }
    if (weight > kFloatMax)
      throw Error("row " + std::to_string(i) + "'s weight (--sample-weights x --class-weight) " +
                  std::to_string(weight) + " is beyond float's range (3.4e38)");
    weights[i] = static_cast<float>(weight);
    any = any || weights[i] > 0;
  }
  if (!any && require_positive)
    throw Error(std::string("every training row weighs 0 (") +
                (sample.empty()    ? "--class-weight"
                 : factors.empty() ? "--sample-weights"
                                   : "--sample-weights x --class-weight") +
                "): nothing to fit");
  return weights;
}

}  // namespace softmaxkit::cli
