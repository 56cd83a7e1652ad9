// The thread-safe public functions, called from several std::threads at once on shared inputs,
// give exactly what sequential calls give. Threads only record their results; every check runs
// on the main thread afterwards. Built to be clean under ThreadSanitizer (ctest label "threads").
#include <doctest/doctest.h>

#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "sanitizer_build.hpp"
#include "softmaxkit/data.hpp"
#include "softmaxkit/kernels.hpp"
#include "softmaxkit/model.hpp"
#include "softmaxkit/model_file.hpp"
#include "test_files.hpp"

using softmaxkit::test::TempDir;

namespace {

constexpr int kThreads = 4;
constexpr int kRepeats = 3;  // per thread, so calls overlap with each other's set-up and teardown

// Runs make() on kThreads threads at once, kRepeats times each, and returns every result.
// An exception in a thread is recorded as a result that cannot equal a real one.
template <class R>
std::vector<R> run_concurrently(const std::function<R()>& make) {
  std::vector<std::vector<R>> per_thread(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int r = 0; r < kRepeats; ++r) per_thread[t].push_back(make());
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::vector<R> all;
  for (int t = 0; t < kThreads; ++t) {
    CHECK_MESSAGE(errors[t].empty(), "thread ", t, " threw: ", errors[t]);
    for (auto&& result : per_thread[t]) all.push_back(std::move(result));
  }
  return all;
}

template <class R>
void check_all_equal(const std::vector<R>& results, const R& expected) {
  REQUIRE(results.size() == std::size_t{kThreads * kRepeats});
  for (std::size_t i = 0; i < results.size(); ++i) {
    CAPTURE(i);
    CHECK(results[i] == expected);
  }
}

// Compares floating-point data bitwise, so NaN payloads and signed zeros count too.
template <class T>
std::vector<std::uint64_t> bits(const std::vector<T>& values) {
  std::vector<std::uint64_t> out;
  for (const T v : values) {
    if constexpr (sizeof(T) == 4) {
      out.push_back(std::bit_cast<std::uint32_t>(v));
    } else {
      out.push_back(std::bit_cast<std::uint64_t>(v));
    }
  }
  return out;
}

// A Dataset as one comparable value.
struct DatasetBits {
  std::size_t rows, cols;
  std::vector<std::uint64_t> features;
  std::vector<std::int32_t> labels;
  bool operator==(const DatasetBits&) const = default;
};
DatasetBits as_bits(const softmaxkit::Dataset& d) {
  return {d.rows, d.cols, bits(d.features), d.labels};
}

void put_be(std::string& out, std::uint32_t value) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

std::string idx_ubyte(const std::vector<std::uint32_t>& dims, std::size_t seed) {
  std::string out = {'\0', '\0', '\x08', static_cast<char>(dims.size())};
  std::size_t count = 1;
  for (const std::uint32_t d : dims) {
    put_be(out, d);
    count *= d;
  }
  for (std::size_t i = 0; i < count; ++i) out.push_back(static_cast<char>((i * 37 + seed) % 251));
  return out;
}

softmaxkit::ModelFileContents hand_made_model(std::size_t classes, std::size_t features) {
  softmaxkit::ModelFileContents m;
  m.dtype = "float32";
  m.num_classes = classes;
  m.num_features = features;
  m.l2 = 1e-3;
  m.fit_intercept = true;
  for (std::size_t k = 0; k < classes; ++k) m.class_labels.push_back(static_cast<int>(2 * k) - 3);
  for (std::size_t i = 0; i < classes * features; ++i) {
    m.weights.push_back(std::sin(0.7 * static_cast<double>(i)) * 0.5);
  }
  for (std::size_t k = 0; k < classes; ++k) m.intercept.push_back(0.1 * static_cast<double>(k));
  return m;
}

bool same(const softmaxkit::ModelFileContents& a, const softmaxkit::ModelFileContents& b) {
  return a.dtype == b.dtype && a.num_classes == b.num_classes && a.num_features == b.num_features &&
         a.fit_intercept == b.fit_intercept &&
         std::bit_cast<std::uint64_t>(a.l2) == std::bit_cast<std::uint64_t>(b.l2) &&
         std::bit_cast<std::uint64_t>(a.l1) == std::bit_cast<std::uint64_t>(b.l1) &&
         a.class_labels == b.class_labels && bits(a.weights) == bits(b.weights) &&
         bits(a.intercept) == bits(b.intercept);
}

}  // namespace

TEST_CASE("exp from several threads matches sequential calls") {
  // Large enough that every ISA's main loop and tail run, with special values mixed in.
  std::vector<float> xf(10007);
  std::vector<double> xd(10007);
  for (std::size_t i = 0; i < xf.size(); ++i) {
    xd[i] = -750.0 + 1500.0 * static_cast<double>(i) / static_cast<double>(xd.size());
    xf[i] = static_cast<float>(xd[i] / 8);
  }
  xf[3] = std::numeric_limits<float>::infinity();
  xf[4] = std::numeric_limits<float>::quiet_NaN();
  xd[5] = -std::numeric_limits<double>::infinity();
  std::vector<float> expected_f(xf.size());
  std::vector<double> expected_d(xd.size());
  softmaxkit::exp(xf, expected_f);
  softmaxkit::exp(xd, expected_d);

  check_all_equal(run_concurrently<std::vector<std::uint64_t>>([&] {
                    std::vector<float> out(xf.size());
                    softmaxkit::exp(xf, out);  // shared const input, private output
                    return bits(out);
                  }),
                  bits(expected_f));
  check_all_equal(run_concurrently<std::vector<std::uint64_t>>([&] {
                    std::vector<double> values = xd;  // in place on a private copy
                    softmaxkit::exp(std::span<double>(values));
                    return bits(values);
                  }),
                  bits(expected_d));
}

TEST_CASE("dataset readers from several threads match sequential calls") {
  TempDir dir;
  std::string csv = "label,a,b,c\n";
  std::string libsvm;
  for (int i = 0; i < 300; ++i) {
    const std::string v = std::to_string(i % 7) + "." + std::to_string(i % 10);
    csv += std::to_string(i % 3) + "," + v + ",-" + v + ",1e-3\n";
    libsvm += std::to_string(i % 4) + " 1:" + v + " " + std::to_string(2 + i % 5) + ":-" + v + "\n";
  }
  const std::string images = idx_ubyte({300, 4, 5}, 1), labels = idx_ubyte({300}, 2);
  const std::string csv_path = dir.write("data.csv", csv);
  const std::string libsvm_path = dir.write("data.svm", libsvm);
  const std::string images_path = dir.write("images.idx", softmaxkit::test::gzip(images));
  const std::string labels_path = dir.write("labels.idx", labels);
  const softmaxkit::CsvOptions csv_options{.label_column = 0, .has_header = true};

  SUBCASE("read_csv and parse_csv") {
    const DatasetBits expected = as_bits(softmaxkit::read_csv(csv_path, csv_options));
    CHECK(expected.rows == 300);
    check_all_equal(run_concurrently<DatasetBits>(
                        [&] { return as_bits(softmaxkit::read_csv(csv_path, csv_options)); }),
                    expected);
    check_all_equal(run_concurrently<DatasetBits>(
                        [&] { return as_bits(softmaxkit::parse_csv(csv, csv_options, "mem")); }),
                    expected);
  }
  SUBCASE("read_libsvm and parse_libsvm") {
    const DatasetBits expected = as_bits(softmaxkit::read_libsvm(libsvm_path));
    CHECK(expected.rows == 300);
    check_all_equal(run_concurrently<DatasetBits>(
                        [&] { return as_bits(softmaxkit::read_libsvm(libsvm_path)); }),
                    expected);
    check_all_equal(run_concurrently<DatasetBits>(
                        [&] { return as_bits(softmaxkit::parse_libsvm(libsvm, {}, "mem")); }),
                    expected);
  }
  SUBCASE("read_idx and parse_idx (gzip images, plain labels)") {
    const DatasetBits expected = as_bits(softmaxkit::read_idx(images_path, labels_path));
    CHECK(expected.rows == 300);
    CHECK(expected.cols == 20);
    check_all_equal(run_concurrently<DatasetBits>(
                        [&] { return as_bits(softmaxkit::read_idx(images_path, labels_path)); }),
                    expected);
    check_all_equal(run_concurrently<DatasetBits>(
                        [&] { return as_bits(softmaxkit::parse_idx(images, labels, {}, "mem")); }),
                    expected);
  }
  SUBCASE("errors are thread-safe too") {
    const std::string bad = "1,2\n1,x\n";
    const std::string expected = softmaxkit::test::error_message(
        [&] { softmaxkit::parse_csv(bad, softmaxkit::CsvOptions{}, "bad.csv"); });
    CHECK(softmaxkit::test::contains(expected, "bad.csv:2"));
    check_all_equal(run_concurrently<std::string>([&] {
                      return softmaxkit::test::error_message(
                          [&] { softmaxkit::parse_csv(bad, softmaxkit::CsvOptions{}, "bad.csv"); });
                    }),
                    expected);
  }
}

TEST_CASE("model files load from several threads the same as sequentially") {
  TempDir dir;
  const softmaxkit::ModelFileContents model = hand_made_model(5, 40);
  const std::string path = dir.file("model.smx");
  softmaxkit::save_model_file(path, model);
  const std::string bytes = softmaxkit::serialize_model(model);
  REQUIRE(same(softmaxkit::load_model_file(path), model));

  const std::vector<bool> loaded =
      run_concurrently<bool>([&] { return same(softmaxkit::load_model_file(path), model); });
  check_all_equal(loaded, true);
  const std::vector<bool> deserialized = run_concurrently<bool>(
      [&] { return same(softmaxkit::deserialize_model(bytes, "mem"), model); });
  check_all_equal(deserialized, true);
}

TEST_CASE("a shared const model predicts from several threads the same as sequentially") {
  // The model is built by hand and loaded, so no training is involved: this test is about
  // concurrent use of one const SoftmaxRegression, whose predict runs its own TBB arena.
  TempDir dir;
  const std::size_t classes = 4, features = 13, rows = 1000;
  const std::string path = dir.file("model.smx");
  softmaxkit::save_model_file(path, hand_made_model(classes, features));
  const softmaxkit::SoftmaxRegression model = softmaxkit::SoftmaxRegression::load(path);
  REQUIRE(model.num_classes() == classes);

  std::vector<float> xf(rows * features);
  std::vector<double> xd(rows * features);
  for (std::size_t i = 0; i < xd.size(); ++i) {
    xd[i] = std::cos(0.37 * static_cast<double>(i)) * 3;
    xf[i] = static_cast<float>(xd[i]);
  }
  const softmaxkit::MatrixView<const float> ff(xf.data(), rows, features);
  const softmaxkit::MatrixView<const double> fd(xd.data(), rows, features);
  const std::vector<double> proba_f = model.predict_proba(ff), proba_d = model.predict_proba(fd);
  const std::vector<std::int32_t> predicted_f = model.predict(ff), predicted_d = model.predict(fd);
  REQUIRE(proba_f.size() == rows * classes);
  // Labels that disagree with the prediction on every third row (another of the model's classes:
  // score refuses labels the model does not know), so score is neither 0 nor 1.
  std::vector<std::int32_t> labels = predicted_f;
  const std::vector<std::int32_t>& known = model.class_labels();
  for (std::size_t i = 0; i < rows; i += 3) labels[i] = labels[i] == known[0] ? known[1] : known[0];
  const double score_f = model.score(ff, labels), score_d = model.score(fd, labels);
  CHECK(score_f > 0);
  CHECK(score_f < 1);

  check_all_equal(
      run_concurrently<std::vector<std::uint64_t>>([&] { return bits(model.predict_proba(ff)); }),
      bits(proba_f));
  check_all_equal(
      run_concurrently<std::vector<std::uint64_t>>([&] { return bits(model.predict_proba(fd)); }),
      bits(proba_d));
  check_all_equal(run_concurrently<std::vector<std::int32_t>>([&] { return model.predict(ff); }),
                  predicted_f);
  check_all_equal(run_concurrently<std::vector<std::int32_t>>([&] { return model.predict(fd); }),
                  predicted_d);
  check_all_equal(run_concurrently<double>([&] { return model.score(ff, labels); }), score_f);
  check_all_equal(run_concurrently<double>([&] { return model.score(fd, labels); }), score_d);
}

TEST_CASE("fits in several threads at once give the sequential fits' bits") {
  // Each fit runs OpenBLAS single-threaded inside its TBB tasks (SingleThreadedBlas), a setting
  // OpenBLAS keeps process-wide: when each guard saved and restored it, one fit's ending
  // restored OpenBLAS's threads inside another's products, and 11 of 12 concurrent fits
  // differed from sequential ones. Four threads, each fitting three models (1 or 2 threads).
  // Under ThreadSanitizer (tests/sanitizer_build.hpp) 12 iterations instead of 40: the fits
  // still overlap, each with several row blocks on TBB workers. There every TBB handshake is a
  // suppressed report, and TSan checks each new one against a list of all earlier racy
  // addresses, so the cost grows faster than the work: with 40 iterations this case took 45 s to
  // 270 s (by how the threads happened to meet), the TSan run's longest entry; with 12, 14-93 s.
  const bool tsan = softmaxkit::tests::thread_sanitizer_build;
  const std::size_t rows = 3000, features = 200;
  std::vector<float> x(rows * features);
  std::vector<std::int32_t> labels(rows);
  for (std::size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<float>(std::sin(0.013 * static_cast<double>(i * i % 7919)) * 2);
  for (std::size_t i = 0; i < rows; ++i)
    labels[i] = static_cast<std::int32_t>((x[i * features] > 0) + 2 * (x[i * features + 1] > 0) +
                                          (i % 3 == 0 ? 4 : 0)) %
                7;
  const softmaxkit::MatrixView<const float> view(x.data(), rows, features);
  auto fit = [&](int threads) {
    softmaxkit::FitOptions options;
    options.threads = threads;
    options.C = 1.0;
    options.max_iterations = tsan ? 12 : 40;
    softmaxkit::SoftmaxRegression model(options);
    model.fit(view, labels);
    return bits(model.weights());
  };
  const std::vector<std::uint64_t> sequential = fit(1);
  REQUIRE(fit(2) == sequential);  // the thread count never changes a bit
  std::atomic<int> next{0};
  check_all_equal(run_concurrently<std::vector<std::uint64_t>>([&] { return fit(1 + next++ % 2); }),
                  sequential);
}
