// softmaxkit-bag-of-words: writes a synthetic bag-of-words data set (bag_of_words.hpp) as a
// LibSVM file (1-based sorted indices), deterministic from the seed.
//   softmaxkit-bag-of-words --shape rcv1|news20 [--rows N] [--seed S] OUT
//                           [--test-rows M --test-output TEST_OUT]
// A test set must come from the same seed: the seed also draws the classes' favoured words, so
// another seed is another task. --test-rows M writes rows N .. N + M - 1 of the same draw to
// TEST_OUT (OUT is the same as without it: rows are drawn in order). Rows are written as they
// are drawn (memory: the classes' word weights, not the data), into files opened before any
// work; a file whose write fails is removed (exit 2). Numbers are decimal, as in softmaxkit's
// options (option_numbers.hpp).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "bag_of_words.hpp"
#include "option_numbers.hpp"

namespace {

// Writes the next `count` documents to `out` as LibSVM lines.
void write_rows(softmaxkit::bag_of_words::Documents& documents, std::size_t count,
                std::ofstream& out) {
  std::vector<std::pair<std::int32_t, float>> entries;
  char buffer[64];
  for (std::size_t i = 0; i < count && out; ++i) {
    out << documents.next(entries);
    for (const auto& [column, value] : entries) {
      std::snprintf(buffer, sizeof buffer, " %d:%.9g", column + 1, double(value));
      out << buffer;
    }
    out << '\n';
  }
}

constexpr const char* kName = "softmaxkit-bag-of-words: ";

// Whether two names are one file: existing files by device and inode (a hard or symbolic link),
// others by their absolute paths with the existing part resolved (o.svm and ./o.svm before either
// exists compared unequal as given).
bool same_file(const std::string& a, const std::string& b) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (fs::equivalent(a, b, error)) return true;
  const auto resolved = [](const std::string& path) {
    std::error_code ignored;
    return fs::weakly_canonical(fs::absolute(path, ignored), ignored);
  };
  return resolved(a) == resolved(b);
}

// Whether `path` can be written, found by opening it to append: the file is created if missing
// (*created says so) but never truncated, so a run refused afterwards leaves it as it was.
bool writable(const std::string& path, bool* created) {
  std::error_code error;
  *created = !std::filesystem::exists(path, error);
  return static_cast<bool>(std::ofstream(path, std::ios::app));
}

// Closes `out`; on a failed write says so and removes the file (a partial data set was left).
bool finish(std::ofstream& out, const std::string& path) {
  out.close();
  if (out) return true;
  std::cerr << kName << "writing " << path << " failed\n";
  std::error_code error;
  if (std::filesystem::is_regular_file(path, error)) std::filesystem::remove(path, error);
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Writes a synthetic bag-of-words data set in LibSVM format"};
  std::string shape_name = "rcv1", output, test_output;
  std::size_t rows = 0, test_rows = 0;
  std::uint64_t seed = 0;
  using softmaxkit::cli::count_number;
  app.add_option("--shape", shape_name, "rcv1 (20000 x 47236, 53 classes) or news20")
      ->check(CLI::IsMember({"rcv1", "news20"}));
  app.add_option("--rows", rows, "rows instead of the shape's")
      ->transform(count_number)
      ->check(CLI::Range(1, 100000000));
  auto* seed_option = app.add_option("--seed", seed, "seed instead of the shape's")
                          ->transform(softmaxkit::cli::seed_number);
  app.add_option("output", output, "the LibSVM file to write")->required();
  auto* test_file =
      app.add_option("--test-output", test_output, "test set file (with --test-rows)");
  auto* test_count =
      app.add_option("--test-rows", test_rows, "also write this many further rows to --test-output")
          ->transform(count_number)
          ->check(CLI::Range(1, 100000000))
          ->needs(test_file);
  test_file->needs(test_count);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    std::cerr << kName << error.what() << "\n";  // one line, as softmaxkit's errors
    return 2;
  }
  if (test_rows != 0 && same_file(output, test_output)) {
    std::cerr << kName << "--test-output " << test_output
              << " is the training set's file too; the test rows would replace it\n";
    return 2;
  }
  // Both files before any work (an unwritable path used to fail only after the whole draw), and
  // before either is truncated (a refused test path emptied an existing training file).
  bool created = false, test_created = false;
  if (!writable(output, &created)) {
    std::cerr << kName << "cannot write " << output << "\n";
    return 2;
  }
  if (test_rows != 0 && !writable(test_output, &test_created)) {
    std::cerr << kName << "cannot write " << test_output << "\n";
    std::error_code error;
    if (created) std::filesystem::remove(output, error);
    return 2;
  }
  std::ofstream out(output);
  if (!out) {
    std::cerr << kName << "cannot write " << output << "\n";
    return 2;
  }
  auto shape = shape_name == "rcv1" ? softmaxkit::bag_of_words::rcv1_shape()
                                    : softmaxkit::bag_of_words::news20_shape();
  if (rows != 0) shape.rows = rows;
  if (seed_option->count() > 0) shape.seed = seed;  // 0 is a seed too
  softmaxkit::bag_of_words::Documents documents(shape);
  write_rows(documents, shape.rows, out);
  if (!finish(out, output)) {
    // The test file was opened (and, if new, created) for nothing: left as it was found.
    std::error_code error;
    if (test_rows != 0 && test_created) std::filesystem::remove(test_output, error);
    return 2;
  }
  if (test_rows == 0) return 0;
  // Truncated only now: a failed training write leaves an existing test file as it was.
  std::ofstream test_out(test_output);
  if (!test_out) {
    std::cerr << kName << "cannot write " << test_output << "\n";
    return 2;
  }
  write_rows(documents, test_rows, test_out);
  return finish(test_out, test_output) ? 0 : 2;
}
