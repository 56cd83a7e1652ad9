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
#include <utility>
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

// The documents one at a time, in order (a file of any length is written without holding it):
// the constructor draws the vocabulary and the classes' favoured words, next() each document.
// Memory: the classes' cumulative word weights, classes x features doubles.
class Documents {
 public:
  explicit Documents(const Shape& shape)
      : random_(shape.seed),
        words_per_row_(shape.words_per_row),
        column_of_rank_(shape.features),
        idf_of_column_(shape.features),
        class_cumulative_(shape.classes),
        class_weight_cumulative_(shape.classes) {
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
    for (std::size_t j = 0; j < shape.features; ++j) column_of_rank_[j] = std::int32_t(j);
    for (std::size_t j = shape.features; j > 1; --j)
      std::swap(column_of_rank_[j - 1], column_of_rank_[random_.below(j)]);
    for (std::size_t r = 0; r < shape.features; ++r)
      idf_of_column_[static_cast<std::size_t>(column_of_rank_[r])] = idf[r];
    double class_total = 0;
    for (std::size_t k = 0; k < shape.classes; ++k) {
      std::vector<double> weights = zipf;
      for (std::size_t t = 0; t < std::max<std::size_t>(1, shape.features / 50); ++t)
        weights[random_.below(shape.features)] *= 20.0;
      class_cumulative_[k].resize(shape.features);
      double total = 0;
      for (std::size_t j = 0; j < shape.features; ++j)
        class_cumulative_[k][j] = total += weights[j];
      class_weight_cumulative_[k] = class_total += 1.0 / (1.0 + double(k) / double(shape.classes));
    }
  }

  // The next document: its label, and its entries (column, value) in `entries`, columns
  // ascending and unique, values of unit L2 norm.
  std::int32_t next(std::vector<std::pair<std::int32_t, float>>& entries) {
    const std::size_t label = draw(class_weight_cumulative_, random_);
    const auto length =
        static_cast<std::size_t>(std::max(1.0, words_per_row_ * (0.5 + random_.uniform())));
    counts_.clear();
    for (std::size_t w = 0; w < length; ++w) {
      const std::size_t rank = draw(class_cumulative_[label], random_);
      ++counts_[column_of_rank_[rank]];
    }
    row_.clear();
    double norm = 0;
    for (const auto& [column, count] : counts_) {
      const double value =
          (1.0 + std::log(double(count))) * idf_of_column_[static_cast<std::size_t>(column)];
      row_.emplace_back(column, value);
      norm += value * value;
    }
    norm = std::sqrt(norm);
    entries.clear();
    for (const auto& [column, value] : row_)
      entries.emplace_back(column, static_cast<float>(value / norm));
    return static_cast<std::int32_t>(label);
  }

 private:
  Random random_;
  double words_per_row_;
  std::vector<std::int32_t> column_of_rank_;
  std::vector<double> idf_of_column_;
  std::vector<std::vector<double>> class_cumulative_;
  std::vector<double> class_weight_cumulative_;
  std::map<std::int32_t, int> counts_;
  std::vector<std::pair<std::int32_t, double>> row_;
};

// The whole data set in memory (the benchmarks' in-process copy of what the tool writes).
inline Data generate(const Shape& shape) {
  Documents documents(shape);
  Data data;
  data.rows = shape.rows;
  data.features = shape.features;
  data.classes = shape.classes;
  std::vector<std::pair<std::int32_t, float>> entries;
  for (std::size_t i = 0; i < shape.rows; ++i) {
    data.labels.push_back(documents.next(entries));
    for (const auto& [column, value] : entries) {
      data.column_indices.push_back(column);
      data.values.push_back(value);
    }
    data.row_offsets.push_back(static_cast<std::int64_t>(data.column_indices.size()));
  }
  return data;
}

}  // namespace softmaxkit::bag_of_words
