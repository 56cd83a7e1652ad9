// softmaxkit-bag-of-words: writes a synthetic bag-of-words data set (bag_of_words.hpp) as a
// LibSVM file (1-based sorted indices), deterministic from the seed.
//   softmaxkit-bag-of-words --shape rcv1|news20 [--rows N] [--seed S] OUT
//                           [--test-rows M --test-output TEST_OUT]
// A test set must come from the same seed: the seed also draws the classes' favoured words, so
// another seed is another task. --test-rows M writes rows N .. N + M - 1 of the same draw to
// TEST_OUT (OUT is the same as without it: rows are drawn in order).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "bag_of_words.hpp"

namespace {

// Writes rows [begin, end) of data to output as LibSVM; false (with a message) on failure.
bool write(const softmaxkit::bag_of_words::Data& data, std::size_t begin, std::size_t end,
           const std::string& output) {
  std::ofstream out(output);
  if (!out) {
    std::cerr << "error: cannot write " << output << "\n";
    return false;
  }
  char buffer[64];
  for (std::size_t i = begin; i < end; ++i) {
    out << data.labels[i];
    for (auto k = data.row_offsets[i]; k < data.row_offsets[i + 1]; ++k) {
      const auto at = static_cast<std::size_t>(k);
      std::snprintf(buffer, sizeof buffer, " %d:%.9g", data.column_indices[at] + 1,
                    double(data.values[at]));
      out << buffer;
    }
    out << '\n';
  }
  out.close();
  if (!out) {
    std::cerr << "error: writing " << output << " failed\n";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Writes a synthetic bag-of-words data set in LibSVM format"};
  std::string shape_name = "rcv1", output, test_output;
  std::size_t rows = 0, test_rows = 0;
  std::uint64_t seed = 0;
  app.add_option("--shape", shape_name, "rcv1 (20000 x 47236, 53 classes) or news20")
      ->check(CLI::IsMember({"rcv1", "news20"}));
  app.add_option("--rows", rows, "rows instead of the shape's")->check(CLI::Range(1, 100000000));
  app.add_option("--seed", seed, "seed instead of the shape's");
  app.add_option("output", output, "the LibSVM file to write")->required();
  auto* test_file =
      app.add_option("--test-output", test_output, "test set file (with --test-rows)");
  auto* test_count =
      app.add_option("--test-rows", test_rows, "also write this many further rows to --test-output")
          ->check(CLI::Range(1, 100000000))
          ->needs(test_file);
  test_file->needs(test_count);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 2;
  }
  auto shape = shape_name == "rcv1" ? softmaxkit::bag_of_words::rcv1_shape()
                                    : softmaxkit::bag_of_words::news20_shape();
  if (rows != 0) shape.rows = rows;
  if (seed != 0) shape.seed = seed;
  const std::size_t train_rows = shape.rows;
  shape.rows += test_rows;
  const auto data = softmaxkit::bag_of_words::generate(shape);
  const bool ok = write(data, 0, train_rows, output) &&
                  (test_rows == 0 || write(data, train_rows, data.rows, test_output));
  return ok ? 0 : 2;
}
