// Synthetic bag-of-words data shaped like the classic sparse text benchmarks (rcv1.multiclass,
// news20, sector), none of which a Debian package ships: deterministic from a seed, the same on
// every machine (its own generator and integer-to-double conversions; no std:: distributions,
// whose results the standard leaves to the implementation).
//
// Words follow a Zipf law (p_j ~ 1 / (j + 1)^1.1). Each class favours its own random 2 % of the
// vocabulary (weight x 20), so the classes are learnable but overlap. A document draws its class
// (mildly imbalanced: class k with weight 1 / (1 + k / K)), a length around `words_per_row`, and
// its words from its class's distribution; a word counted c times gets the tf-idf-like value
// (1 + log c) * idf_j with idf_j = log(1 + 1 / (words_per_row p_j)), and the row is scaled to unit
// L2 norm. Column indices are sorted and unique; empty rows cannot occur.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <vector>

namespace softmaxkit::bag_of_words {

struct Shape {
  std::size_t rows = 20000, features = 47236, classes = 53;
  double words_per_row = 76;  // rcv1: about 0.16 % of 47236
  std::uint64_t seed = 1;
};

// rcv1.multiclass and news20 shapes (training sets).
inline Shape rcv1_shape() {
  return {20000, 47236, 53, 120, 1};
}
inline Shape news20_shape() {
  return {15935, 62061, 20, 130, 2};
}

struct Data {
  std::size_t rows = 0, features = 0, classes = 0;
  std::vector<std::int64_t> row_offsets{0};
  std::vector<std::int32_t> column_indices;
  std::vector<float> values;
  std::vector<std::int32_t> labels;
};

// SplitMix64: a tiny generator with a fixed, documented output sequence.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(uniform() * double(n)); }

 private:
  std::uint64_t state_;
};

// Index of the first cumulative weight above u * total (inverse CDF by binary search).
inline std::size_t draw(const std::vector<double>& cumulative, Random& random) {
  const double target = random.uniform() * cumulative.back();
  const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), target);
  return std::min<std::size_t>(static_cast<std::size_t>(it - cumulative.begin()),
                               cumulative.size() - 1);
}

inline Data generate(const Shape& shape) {
  Random random(shape.seed);
  Data data;
  data.rows = shape.rows;
  data.features = shape.features;
  data.classes = shape.classes;
  std::vector<double> zipf(shape.features), idf(shape.features);
  double zipf_total = 0;
  for (std::size_t j = 0; j < shape.features; ++j) {
    zipf[j] = 1.0 / std::pow(double(j + 1), 1.1);
    zipf_total += zipf[j];
  }
  for (std::size_t j = 0; j < shape.features; ++j)
    idf[j] = std::log(1.0 + zipf_total / (shape.words_per_row * zipf[j]));
  // Word ids are a random permutation of the Zipf ranks, so frequent words are spread over the
  // columns as in a real vocabulary.
  std::vector<std::int32_t> column_of_rank(shape.features);
  for (std::size_t j = 0; j < shape.features; ++j) column_of_rank[j] = std::int32_t(j);
  for (std::size_t j = shape.features; j > 1; --j)
    std::swap(column_of_rank[j - 1], column_of_rank[random.below(j)]);
  std::vector<double> idf_of_column(shape.features);
  for (std::size_t r = 0; r < shape.features; ++r)
    idf_of_column[static_cast<std::size_t>(column_of_rank[r])] = idf[r];
  std::vector<std::vector<double>> class_cumulative(shape.classes);
  std::vector<double> class_weight_cumulative(shape.classes);
  double class_total = 0;
  for (std::size_t k = 0; k < shape.classes; ++k) {
    std::vector<double> weights = zipf;
    for (std::size_t t = 0; t < std::max<std::size_t>(1, shape.features / 50); ++t)
      weights[random.below(shape.features)] *= 20.0;
    class_cumulative[k].resize(shape.features);
    double total = 0;
    for (std::size_t j = 0; j < shape.features; ++j) class_cumulative[k][j] = total += weights[j];
    class_weight_cumulative[k] = class_total += 1.0 / (1.0 + double(k) / double(shape.classes));
  }
  std::map<std::int32_t, int> counts;
  std::vector<std::pair<std::int32_t, double>> row;
  for (std::size_t i = 0; i < shape.rows; ++i) {
    const std::size_t label = draw(class_weight_cumulative, random);
    const auto length =
        static_cast<std::size_t>(std::max(1.0, shape.words_per_row * (0.5 + random.uniform())));
    counts.clear();
    for (std::size_t w = 0; w < length; ++w) {
      const std::size_t rank = draw(class_cumulative[label], random);
      ++counts[column_of_rank[rank]];
    }
    row.clear();
    double norm = 0;
    for (const auto& [column, count] : counts) {
      const double value =
          (1.0 + std::log(double(count))) * idf_of_column[static_cast<std::size_t>(column)];
      row.emplace_back(column, value);
      norm += value * value;
    }
    norm = std::sqrt(norm);
    for (const auto& [column, value] : row) {
      data.column_indices.push_back(column);
      data.values.push_back(static_cast<float>(value / norm));
    }
    data.row_offsets.push_back(static_cast<std::int64_t>(data.column_indices.size()));
    data.labels.push_back(static_cast<std::int32_t>(label));
  }
  return data;
}

}  // namespace softmaxkit::bag_of_words
