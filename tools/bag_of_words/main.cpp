// softmaxkit-bag-of-words: writes a synthetic bag-of-words data set (bag_of_words.hpp) as a
// LibSVM file (1-based sorted indices), deterministic from the seed.
//   softmaxkit-bag-of-words --shape rcv1|news20 [--rows N] [--seed S] OUT
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "bag_of_words.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Writes a synthetic bag-of-words data set in LibSVM format"};
  std::string shape_name = "rcv1", output;
  std::size_t rows = 0;
  std::uint64_t seed = 0;
  app.add_option("--shape", shape_name, "rcv1 (20000 x 47236, 53 classes) or news20")
      ->check(CLI::IsMember({"rcv1", "news20"}));
  app.add_option("--rows", rows, "rows instead of the shape's")->check(CLI::Range(1, 100000000));
  app.add_option("--seed", seed, "seed instead of the shape's");
  app.add_option("output", output, "the LibSVM file to write")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 2;
  }
  auto shape = shape_name == "rcv1" ? softmaxkit::bag_of_words::rcv1_shape()
                                    : softmaxkit::bag_of_words::news20_shape();
  if (rows != 0) shape.rows = rows;
  if (seed != 0) shape.seed = seed;
  const auto data = softmaxkit::bag_of_words::generate(shape);
  std::ofstream out(output);
  if (!out) {
    std::cerr << "error: cannot write " << output << "\n";
    return 2;
  }
  char buffer[64];
  for (std::size_t i = 0; i < data.rows; ++i) {
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
    return 2;
  }
  return 0;
}
