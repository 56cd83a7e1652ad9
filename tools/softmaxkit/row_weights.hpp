// train's --sample-weights FILE and --class-weight: the training rows' weights, as the library's
// sample_weight (SoftmaxRegression::fit, cross_validate, mpi::fit). Shared with softmaxkit-mpi.
#pragma once

#include <CLI/CLI.hpp>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace softmaxkit::cli {

// --class-weight: "balanced" or "label:weight[,label:weight...]" (labels whole numbers, weights
// finite and >= 0, no label twice).
extern const CLI::Validator class_weight_text;

// The weights of a --sample-weights file for `rows` rows: softmaxkit::read_sample_weights
// (softmaxkit/data.hpp: one per line, plain or gzip, file:line in every error), its errors
// prefixed with the option's name.
std::vector<float> read_sample_weights(const std::string& path, std::size_t rows);

// Each class's --class-weight factor, classes[k] sorted and distinct with counts[k] rows:
// "balanced" gives rows / (classes x counts[k]) (scikit-learn's 'balanced', counted on all the
// training rows), a list its values (classes it does not name: 1). A label of the list that is
// not a class is an Error.
std::vector<double> class_factors(const std::string& text, std::span<const std::int32_t> classes,
                                  std::span<const std::size_t> counts);

// Row i's weight: sample[i] (1 when sample is empty) times the factor of labels[i]'s class
// (1 when factors is empty), rounded once to float; labels[i] must be one of classes. Error when
// a product leaves float's range, naming the row as first_row + i (softmaxkit-mpi: the rank's
// first row), or with require_positive when every row weighs 0 (softmaxkit-mpi passes false: a
// rank's rows may all weigh 0; it calls refuse_weightless when every rank's do).
std::vector<float> row_weights(std::span<const float> sample, std::span<const double> factors,
                               std::span<const std::int32_t> classes,
                               std::span<const std::int32_t> labels, bool require_positive = true,
                               std::size_t first_row = 0);
// The Error for training rows that all weigh 0, naming the options that made the weights.
[[noreturn]] void refuse_weightless(bool sample_weights, bool class_weights);

}  // namespace softmaxkit::cli
