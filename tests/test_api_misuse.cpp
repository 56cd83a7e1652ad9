// Every public function of include/softmaxkit/*.hpp (the row kernels of kernels.hpp are covered
// by their own tests; reference.hpp documents that it checks nothing) refuses misuse with
// softmaxkit::Error naming the argument: null data with a nonzero size, outputs overlapping
// inputs, bad strides and shapes, NaN / infinite / out-of-range options, files that are missing,
// directories or devices. Never a crash, never a silently wrong result.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "softmaxkit/softmaxkit.hpp"
#include "test_files.hpp"

namespace {

using softmaxkit::MatrixView;
using softmaxkit::test::contains;
using softmaxkit::test::error_message;

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Null data with a nonzero size (what a caller's bug or a bad binding produces).
template <class T>
std::span<T> null_span(std::size_t size) {
  return {static_cast<T*>(nullptr), size};
}

// The call throws Error and its message holds every part.
template <class F>
void refused(F&& call, std::initializer_list<std::string_view> parts) {
  const std::string message = error_message(call);
  CAPTURE(message);
  CHECK(message != "<no error>");
  for (std::string_view part : parts) CHECK(contains(message, part));
}

// A tiny well-formed problem: 6 rows x 3 features, 2 classes.
struct Problem {
  std::vector<float> features{1, 2, 3, -1, 0, 2, 4, 1, 0, 0.5f, -2, 1, 3, 3, 3, -1, -1, 2};
  std::vector<std::int32_t> labels{0, 1, 1, 0, 1, 0};
  std::vector<float> weights{1, 2, 1, 1, 0.5f, 1};
  softmaxkit::RegressionProblem<float> problem() const {
    softmaxkit::RegressionProblem<float> p;
    p.features = MatrixView<const float>(features.data(), 6, 3);
    p.labels = labels;
    p.num_classes = 2;
    return p;
  }
};

}  // namespace

TEST_CASE("MatrixView refuses a stride below cols and null data with a nonzero shape") {
  float data[6] = {};
  refused([&] { MatrixView<float>(data, 2, 3, 2); }, {"stride 2", "cols 3"});
  refused([&] { MatrixView<float>(nullptr, 2, 3); }, {"data is null", "2 x 3"});
  CHECK_NOTHROW(MatrixView<float>(nullptr, 0, 3));
}

TEST_CASE("isa: unknown names and unsupported ISAs are refused") {
  refused([] { softmaxkit::parse_isa("avx1024"); }, {"avx1024"});
  refused([] { softmaxkit::parse_isa(""); }, {"unknown ISA"});
  // A value outside the enum (a bad cast) is not supported and not accepted.
  CHECK_FALSE(softmaxkit::is_supported(static_cast<softmaxkit::Isa>(9)));
  refused([] { softmaxkit::set_active_isa(static_cast<softmaxkit::Isa>(9)); }, {"set_active_isa"});
  for (const softmaxkit::Isa isa :
       {softmaxkit::Isa::sse2, softmaxkit::Isa::avx2, softmaxkit::Isa::avx512}) {
    if (!softmaxkit::is_supported(isa)) {
      refused([&] { softmaxkit::set_active_isa(isa); }, {"set_active_isa"});
    }
  }
}

TEST_CASE("exp refuses null data, mismatched lengths and partial overlap") {
  std::vector<float> values(8, 0.5f), out(8);
  refused([&] { softmaxkit::exp(null_span<const float>(4), std::span<float>(out)); },
          {"input", "null"});
  refused([&] { softmaxkit::exp(std::span<const float>(values), null_span<float>(8)); },
          {"output", "null"});
  refused([&] { softmaxkit::exp(std::span<const float>(values), std::span<float>(out.data(), 7)); },
          {"input has 8", "output has 7"});
  refused(
      [&] {
        softmaxkit::exp(std::span<const float>(values.data(), 6),
                        std::span<float>(values.data() + 2, 6));
      },
      {"overlap"});
}

TEST_CASE("RegressionProblem: null labels or sample weights with a size, and bad values") {
  Problem data;
  auto construct = [](const softmaxkit::RegressionProblem<float>& p) {
    softmaxkit::LossGradient<float> loss(p);
  };
  auto p = data.problem();
  p.labels = null_span<const std::int32_t>(6);
  refused([&] { construct(p); }, {"labels is null", "6"});
  p = data.problem();
  p.sample_weights = null_span<const float>(6);
  refused([&] { construct(p); }, {"sample_weights is null", "6"});
  for (const double l2 : {-1.0, kNan, kInf}) {
    p = data.problem();
    p.l2 = l2;
    refused([&] { construct(p); }, {"l2"});
  }
  p = data.problem();
  p.num_classes = 0;
  refused([&] { construct(p); }, {"num_classes"});
  std::vector<std::int32_t> out_of_range = data.labels;
  out_of_range[4] = 2;
  p = data.problem();
  p.labels = out_of_range;
  refused([&] { construct(p); }, {"label 2", "row 4"});
  for (const float bad :
       {-1.0f, std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    std::vector<float> weights = data.weights;
    weights[2] = bad;
    p = data.problem();
    p.sample_weights = weights;
    refused([&] { construct(p); }, {"sample weight at row 2"});
  }
  const std::vector<float> zero(6, 0.0f);
  p = data.problem();
  p.sample_weights = zero;
  refused([&] { construct(p); }, {"all sample weights are zero"});
  std::vector<float> targets(12, 0.5f);
  targets[5] = 0.7f;
  p = data.problem();
  p.labels = {};
  p.target_probabilities = MatrixView<const float>(targets.data(), 6, 2);
  refused([&] { construct(p); }, {"target_probabilities row 2", "sums to"});
  p.labels = data.labels;
  refused([&] { construct(p); }, {"not both"});
}

TEST_CASE("LossGradient::evaluate refuses null spans, wrong sizes and outputs over its inputs") {
  Problem data;
  const auto problem = data.problem();
  softmaxkit::LossGradient<float> loss(problem);
  std::vector<float> w(6, 0.1f), b(2, 0.0f), gw(6), gb(2);
  const std::span<const float> cw(w), cb(b);
  refused([&] { loss.evaluate(null_span<const float>(6), cb, gw, gb); }, {"weights", "null"});
  refused([&] { loss.evaluate(cw, cb, null_span<float>(6), gb); }, {"weights_gradient", "null"});
  refused([&] { loss.evaluate(cw, std::span<const float>(w.data(), 3), gw, gb); },
          {"intercept has 3"});
  refused([&] { loss.evaluate(cw, cb, std::span<float>(gw.data(), 5), gb); },
          {"weights_gradient has 5"});

  // Each output over each input, fully or partly, and the two outputs over each other.
  refused([&] { loss.evaluate(cw, cb, w, gb); }, {"weights_gradient overlaps weights"});
  refused([&] { loss.evaluate(cw, cb, gw, std::span<float>(w.data() + 4, 2)); },
          {"intercept_gradient overlaps weights"});
  refused([&] { loss.evaluate(cw, cb, gw, b); }, {"intercept_gradient overlaps intercept"});
  refused([&] { loss.evaluate(cw, cb, std::span<float>(data.features.data() + 3, 6), gb); },
          {"weights_gradient overlaps features"});
  refused(
      [&] {
        loss.evaluate(cw, cb, gw,
                      std::span<float>(reinterpret_cast<float*>(data.labels.data()) + 1, 2));
      },
      {"intercept_gradient overlaps labels"});
  refused([&] { loss.evaluate(cw, cb, gw, std::span<float>(gw.data() + 4, 2)); },
          {"weights_gradient overlaps intercept_gradient"});

  // Disjoint outputs still work, and give the same numbers as before the refusals.
  const double value = loss.evaluate(cw, cb, gw, gb);
  CHECK(std::isfinite(value));

  // Weighted problem: the gradient may not be written over the sample weights either.
  auto weighted = data.problem();
  weighted.sample_weights = data.weights;
  softmaxkit::LossGradient<float> weighted_loss(weighted);
  refused([&] { weighted_loss.evaluate(cw, cb, gw, std::span<float>(data.weights.data(), 2)); },
          {"intercept_gradient overlaps sample_weights"});
}

// Found by an outside-style audit (2026-12-04): sums of weights that a mean cannot divide by in T
// gave NaN gradients or losses; outputs over inputs the kernels did not compare were accepted and
// gave wrong numbers; enum values outside the enumerations were taken as some other value.
TEST_CASE("weight sums a mean cannot divide by, outputs over other inputs, bad enum values") {
  Problem data;
  // LossGradient: a sum of 1e-320 (1/W = inf in double), 1e-40 in float, an overflowed sum.
  softmaxkit::RegressionProblem<double> tiny;
  std::vector<double> features(data.features.begin(), data.features.end());
  tiny.features = MatrixView<const double>(features.data(), 6, 3);
  tiny.labels = data.labels;
  tiny.num_classes = 2;
  std::vector<double> weights = {1e-320, 0, 0, 0, 0, 0};
  tiny.sample_weights = weights;
  refused([&] { softmaxkit::LossGradient<double> loss(tiny); },
          {"sample weights sum to", "rescale"});
  const double big = std::numeric_limits<double>::max();
  weights = {big, big, big, 0, 0, 0};
  refused([&] { softmaxkit::LossGradient<double> loss(tiny); }, {"sample weights sum to inf"});
  weights = {1e-300, 0, 0, 0, 0, 0};  // 1/W finite: accepted, and the loss is one row's
  softmaxkit::LossGradient<double> fine(tiny);
  std::vector<double> w(6, 0.0), b(2, 0.0), gw(6), gb(2);
  CHECK(fine.evaluate(w, b, gw, gb) == doctest::Approx(std::log(2.0)).epsilon(1e-15));
  CHECK(gb[0] == doctest::Approx(-0.5).epsilon(1e-15));
  auto single = data.problem();
  std::vector<float> float_weights = {1e-40f, 0, 0, 0, 0, 0};
  single.sample_weights = float_weights;
  refused([&] { softmaxkit::LossGradient<float> loss(single); }, {"sample weights", "float"});

  // cross_entropy's mean over such a W; the sum reduction needs no 1/W.
  std::vector<double> logits(4 * 3, 0.5), weights2 = {1e-320, 0, 0, 0};
  const MatrixView<const double> z(logits.data(), 4, 3);
  const std::vector<std::int32_t> labels = {0, 1, 2, 0};
  softmaxkit::CrossEntropyOptions<double> options;
  options.sample_weights = weights2;
  refused([&] { softmaxkit::cross_entropy(z, labels, options); }, {"cross_entropy", "sum to"});
  options.reduction = softmaxkit::Reduction::sum;
  CHECK(std::isfinite(softmaxkit::cross_entropy(z, labels, options).loss));

  // cross_entropy: gradient or losses over class_weights, sample_weights, targets, labels,
  // logits (losses) or each other.
  // block: a 4 x 3 gradient whose last row holds the class weights.
  std::vector<double> block = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3}, sample_weights = {1, 1, 1, 1};
  std::vector<double> gradient(4 * 3), losses(4);
  softmaxkit::CrossEntropyOptions<double> weighted;
  weighted.class_weights = std::span<const double>(block.data() + 9, 3);
  weighted.sample_weights = sample_weights;
  refused(
      [&] {
        softmaxkit::cross_entropy(z, labels, weighted,
                                  softmaxkit::MatrixView<double>(block.data(), 4, 3));
      },
      {"gradient overlaps class_weights"});
  refused(
      [&] {
        softmaxkit::cross_entropy(z, labels, weighted, {}, std::span<double>(sample_weights));
      },
      {"losses overlaps sample_weights"});
  refused(
      [&] {
        softmaxkit::cross_entropy(z, labels, weighted, {}, std::span<double>(logits.data() + 2, 4));
      },
      {"losses overlaps logits"});
  refused(
      [&] {
        softmaxkit::cross_entropy(z, labels, weighted,
                                  softmaxkit::MatrixView<double>(gradient.data(), 4, 3),
                                  std::span<double>(gradient.data() + 8, 4));
      },
      {"losses overlaps gradient"});
  std::vector<double> soft(4 * 3, 1.0 / 3);
  refused(
      [&] {
        softmaxkit::cross_entropy(z, softmaxkit::MatrixView<const double>(soft.data(), 4, 3), {},
                                  softmaxkit::MatrixView<double>(soft.data() + 3, 4, 3));
      },
      {"gradient overlaps targets"});
  // In place over the logits stays allowed.
  CHECK_NOTHROW(softmaxkit::cross_entropy(z, labels, weighted,
                                          softmaxkit::MatrixView<double>(logits.data(), 4, 3)));

  // logsumexp_rows: the output over the logits' rows.
  std::vector<float> x = {1, 2, 3, 4, 5, 6, 0, 0, 0};
  const MatrixView<const float> xv(x.data(), 3, 3);
  refused([&] { softmaxkit::logsumexp_rows(xv, std::span<float>(x.data() + 3, 3)); },
          {"logsumexp_rows", "output overlaps logits"});
  refused([&] { softmaxkit::logsumexp_rows_parallel(xv, std::span<float>(x.data() + 6, 3)); },
          {"output overlaps logits"});

  // Enumerations: values outside them.
  softmaxkit::CrossEntropyOptions<double> bad_reduction;
  bad_reduction.reduction = static_cast<softmaxkit::Reduction>(7);
  refused([&] { softmaxkit::cross_entropy(z, labels, bad_reduction); }, {"reduction is 7"});
  softmaxkit::LossGradientOptions bad_path;
  bad_path.path = static_cast<softmaxkit::ProductPath>(9);
  refused([&] { softmaxkit::LossGradient<float> loss(data.problem(), bad_path); },
          {"options.path is 9"});
}

TEST_CASE("LossGradient::hessian_vector and predict_logits refuse outputs over their inputs") {
  Problem data;
  const auto problem = data.problem();
  softmaxkit::LossGradient<float> loss(problem);
  std::vector<float> w(6, 0.1f), b(2, 0.0f), v(6, 1.0f), vb(2, 1.0f), hw(6), hb(2);
  const std::span<const float> cw(w), cb(b), cv(v), cvb(vb);
  refused([&] { loss.hessian_vector(cw, cb, cv, cvb, v, hb); },
          {"product_weights overlaps direction_weights"});
  refused([&] { loss.hessian_vector(cw, cb, cv, cvb, hw, b); },
          {"product_intercept overlaps intercept"});
  refused([&] { loss.hessian_vector(cw, cb, null_span<const float>(6), cvb, hw, hb); },
          {"direction_weights", "null"});
  CHECK_NOTHROW(loss.hessian_vector(cw, cb, cv, cvb, hw, hb));

  std::vector<float> logits(12);
  refused([&] { loss.predict_logits(cw, cb, MatrixView<float>(data.features.data(), 6, 2)); },
          {"logits overlaps features"});
  refused([&] { loss.predict_logits(cw, cb, MatrixView<float>(logits.data(), 5, 2)); },
          {"logits is 5 x 2"});
  refused(
      [&] {
        loss.predict_logits(null_span<const float>(6), cb, MatrixView<float>(logits.data(), 6, 2));
      },
      {"weights", "null"});
  CHECK_NOTHROW(loss.predict_logits(cw, cb, MatrixView<float>(logits.data(), 6, 2)));
}

TEST_CASE(
    "SoftmaxRegression::fit refuses null arguments and NaN, infinite or out-of-range "
    "options") {
  Problem data;
  const MatrixView<const float> x(data.features.data(), 6, 3);
  auto fit_message = [&](softmaxkit::FitOptions options) {
    softmaxkit::SoftmaxRegression model(options);
    return error_message([&] { model.fit(x, data.labels); });
  };
  using softmaxkit::FitOptions;
  CHECK(contains(fit_message(FitOptions{.l2 = kNan}), "l2"));
  CHECK(contains(fit_message(FitOptions{.l2 = kInf}), "l2"));
  CHECK(contains(fit_message(FitOptions{.l2 = -1}), "l2"));
  CHECK(contains(fit_message(FitOptions{.C = kNan}), "C"));
  CHECK(contains(fit_message(FitOptions{.C = kInf}), "C"));
  CHECK(contains(fit_message(FitOptions{.C = -2.0}), "C"));
  CHECK(contains(fit_message(FitOptions{.l1 = kNan}), "l1"));
  CHECK(contains(fit_message(FitOptions{.l1 = kInf}), "l1"));
  CHECK(contains(fit_message(FitOptions{.tolerance = kNan}), "tolerance"));
  CHECK(contains(fit_message(FitOptions{.tolerance = kInf}), "tolerance"));
  CHECK(contains(fit_message(FitOptions{.tolerance = -1}), "tolerance"));
  CHECK(contains(fit_message(FitOptions{.max_iterations = -1}), "max_iterations"));
  CHECK(contains(fit_message(FitOptions{.threads = -1}), "threads"));
  CHECK(contains(fit_message(FitOptions{.threads = softmaxkit::max_threads + 1}), "threads"));
  CHECK(contains(fit_message(FitOptions{.validation_fraction = kNan}), "validation_fraction"));
  CHECK(contains(fit_message(FitOptions{.validation_fraction = -0.1}), "validation_fraction"));
  CHECK(contains(fit_message(FitOptions{.patience = 0}), "patience"));
  FitOptions bad_solver;
  bad_solver.solver = static_cast<softmaxkit::SolverKind>(7);
  CHECK(contains(fit_message(bad_solver), "solver"));

  softmaxkit::SoftmaxRegression model;
  refused([&] { model.fit(x, null_span<const std::int32_t>(6)); }, {"labels is null", "6"});
  refused([&] { model.fit(x, data.labels, null_span<const float>(6)); },
          {"sample_weight is null", "6"});
  refused([&] { model.fit(MatrixView<const float>(), data.labels); }, {"features are empty"});
  refused([&] { model.fit(x, std::span<const std::int32_t>(data.labels.data(), 5)); },
          {"labels has 5"});
  const std::vector<double> wide(data.features.begin(), data.features.end());
  refused(
      [&] {
        model.fit(MatrixView<const double>(wide.data(), 6, 3), data.labels,
                  null_span<const double>(6));
      },
      {"sample_weight is null"});
  // A bad weight is printed as it is (it said -0.000000 for -1e-300, 0.000000 for a subnormal's
  // negative neighbour).
  const std::vector<double> tiny_negative{1, 1, -1e-300, 1, 1, 1};
  refused(
      [&] { model.fit(MatrixView<const double>(wide.data(), 6, 3), data.labels, tiny_negative); },
      {"sample_weight[2] is -1e-300 (must be finite and >= 0)"});
  const std::vector<double> infinite{1, 1, 1, 1, -kInf, 1};
  refused([&] { model.fit(MatrixView<const double>(wide.data(), 6, 3), data.labels, infinite); },
          {"sample_weight[4] is -inf"});
  const std::vector<double> negative_nan{1, -kNan, 1, 1, 1, 1};
  refused(
      [&] { model.fit(MatrixView<const double>(wide.data(), 6, 3), data.labels, negative_nan); },
      {"sample_weight[1] is nan"});
  CHECK_FALSE(model.is_fitted());
}

TEST_CASE("SoftmaxRegression predict, score, save and load refuse misuse") {
  Problem data;
  const MatrixView<const float> x(data.features.data(), 6, 3);
  softmaxkit::SoftmaxRegression model;
  refused([&] { model.predict(x); }, {"not fitted"});
  refused([&] { model.predict_proba(x); }, {"not fitted"});
  refused([&] { model.save("unused.skm"); }, {"not fitted"});
  model.fit(x, data.labels);
  refused([&] { model.predict(MatrixView<const float>(data.features.data(), 9, 2)); }, {"columns"});
  refused([&] { model.score(x, null_span<const std::int32_t>(6)); }, {"labels is null"});
  refused([&] { model.score(x, std::span<const std::int32_t>(data.labels.data(), 4)); },
          {"labels has 4"});
  std::vector<std::int32_t> unknown = data.labels;
  unknown[5] = 9;
  refused([&] { model.score(x, unknown); }, {"label 9 in row 5"});
  refused([] { softmaxkit::SoftmaxRegression::load("/nonexistent/model.skm"); },
          {"/nonexistent/model.skm"});
  softmaxkit::test::TempDir dir;
  refused([&] { softmaxkit::SoftmaxRegression::load(dir.path().string()); }, {dir.path().string()});
  // A device or a directory is never replaced by a model file.
  refused([&] { model.save("/dev/null"); }, {"/dev/null", "not a regular file"});
  struct stat info {};
  REQUIRE(::stat("/dev/null", &info) == 0);
  CHECK(S_ISCHR(info.st_mode));
  refused([&] { model.save(dir.path().string()); }, {"not a regular file"});
}

TEST_CASE("model files: invalid contents on save, bad files on load") {
  softmaxkit::ModelFileContents good;
  good.dtype = "float32";
  good.num_classes = 2;
  good.num_features = 2;
  good.class_labels = {1, 4};
  good.weights = {0.5, -0.5, 1, 2};
  good.intercept = {0, 0.25};
  softmaxkit::test::TempDir dir;
  const std::string path = dir.file("m.skm");
  CHECK_NOTHROW(softmaxkit::save_model_file(path, good));
  auto bad = [&](auto change, std::string_view part) {
    softmaxkit::ModelFileContents contents = good;
    change(contents);
    refused([&] { softmaxkit::save_model_file(path, contents); }, {part});
    refused([&] { softmaxkit::serialize_model(contents); }, {part});
  };
  bad([](auto& c) { c.weights[1] = kNan; }, "weight 1");
  bad([](auto& c) { c.intercept[0] = kInf; }, "intercept 0");
  bad([](auto& c) { c.l2 = kNan; }, "l2");
  bad([](auto& c) { c.l1 = -1; }, "l1");
  bad([](auto& c) { c.class_labels = {4, 1}; }, "strictly increasing");
  bad([](auto& c) { c.weights.pop_back(); }, "weights");
  refused([&] { softmaxkit::save_model_file("", good); }, {"invalid path"});
  refused([&] { softmaxkit::save_model_file("/dev/null", good); }, {"not a regular file"});
  refused([&] { softmaxkit::load_model_file("/dev/null"); }, {"/dev/null"});
  refused([&] { softmaxkit::deserialize_model("SMXKMODL", "mem"); }, {"mem"});
  CHECK(softmaxkit::load_model_file(path).weights == good.weights);
}

TEST_CASE("readers: missing files, directories, devices and bad options") {
  softmaxkit::test::TempDir dir;
  const std::string missing = dir.file("absent");
  refused([&] { softmaxkit::read_csv(missing); }, {missing});
  refused([&] { softmaxkit::read_libsvm(missing); }, {missing});
  refused([&] { softmaxkit::read_idx(missing, missing); }, {missing});
  refused([&] { softmaxkit::read_idx_images(missing); }, {missing});
  refused([&] { softmaxkit::read_idx_labels(missing); }, {missing});
  refused([&] { softmaxkit::read_csv(dir.path().string()); }, {dir.path().string()});
  refused([&] { softmaxkit::read_libsvm("/dev/zero"); }, {"/dev/zero"});
  const std::string empty = dir.write("empty.csv", "");
  refused([&] { softmaxkit::read_csv(empty); }, {"empty.csv", "no data records"});
  refused([&] { softmaxkit::parse_csv("1,2\n", {.label_column = -2}, "mem.csv"); },
          {"label_column -2"});
  refused([&] { softmaxkit::parse_csv("1,2\n", {.delimiter = '7'}, "mem.csv"); }, {"delimiter"});
  refused([&] { softmaxkit::parse_csv("1,2\n", {.label_column = 5}, "mem.csv"); },
          {"label_column 5"});
  refused([&] { softmaxkit::parse_libsvm("1 1:2\n", {.num_features = std::size_t{1} << 40}, "m"); },
          {"num_features"});
  refused([&] { softmaxkit::parse_idx("", "", {}, "mem.idx"); }, {"mem.idx"});
  // Null text with a nonzero size (a string_view built from a null pointer and a length).
  const std::string_view null_text(static_cast<const char*>(nullptr), 0);
  CHECK(null_text.empty());
  auto null_bytes = [](std::size_t size) {
    return std::string_view(static_cast<const char*>(nullptr), size);
  };
  refused([&] { softmaxkit::parse_csv(null_bytes(5), {}, "n.csv"); }, {"n.csv", "text is null"});
  refused([&] { softmaxkit::parse_libsvm(null_bytes(5), {}, "n.svm"); }, {"n.svm", "null"});
  refused([&] { softmaxkit::parse_idx(null_bytes(16), "", {}, "n.idx"); }, {"images_bytes"});
  refused([&] { softmaxkit::parse_idx("", null_bytes(8), {}, "n.idx"); }, {"labels_bytes"});
  refused([&] { softmaxkit::deserialize_model(null_bytes(64), "n.skm"); }, {"n.skm", "null"});
}

TEST_CASE("minimize refuses every bad argument before calling the objective") {
  int calls = 0;
  softmaxkit::Objective objective;
  objective.size = 2;
  objective.value_and_gradient = [&](std::span<const double> x, std::span<double> g) {
    ++calls;
    g[0] = x[0];
    g[1] = x[1];
    return 0.5 * (x[0] * x[0] + x[1] * x[1]);
  };
  std::vector<double> x{1, 1};
  auto with = [&](auto change, std::string_view part) {
    softmaxkit::SolverOptions options;
    softmaxkit::Objective o = objective;
    change(options, o);
    refused([&] { softmaxkit::minimize(o, x, options); }, {part});
  };
  using Options = softmaxkit::SolverOptions;
  using Objective = softmaxkit::Objective;
  with([](Options&, Objective& o) { o.value_and_gradient = nullptr; }, "value_and_gradient");
  with([](Options&, Objective& o) { o.size = 3; }, "objective.size");
  refused([&] { softmaxkit::minimize(objective, null_span<double>(2), Options{}); }, {"x is null"});
  with([](Options& s, Objective&) { s.tolerance = kNan; }, "tolerance");
  with([](Options& s, Objective&) { s.tolerance = kInf; }, "tolerance");
  with([](Options& s, Objective&) { s.tolerance = 0; }, "tolerance");
  with([](Options& s, Objective&) { s.max_iterations = -1; }, "max_iterations");
  with([](Options& s, Objective&) { s.l1 = kNan; }, "l1");
  with([](Options& s, Objective&) { s.l1 = -1; }, "l1");
  with([](Options& s, Objective&) { s.l1_end = 3; }, "l1_end");
  with([](Options& s, Objective&) { s.l1_begin = 2, s.l1_end = 1; }, "l1_begin");
  with([](Options& s, Objective&) { s.lbfgs_memory = 0; }, "lbfgs_memory");
  with([](Options& s, Objective&) { s.preconditioner = {1}; }, "preconditioner");
  with([](Options& s, Objective&) { s.preconditioner = {1, kNan}; }, "preconditioner[1]");
  with([](Options& s, Objective&) { s.preconditioner = {0, 1}; }, "preconditioner[0]");
  with([](Options& s, Objective&) { s.preconditioner = {1, 1e-320}; }, "preconditioner[1]");
  with([](Options& s, Objective&) { s.kind = softmaxkit::SolverKind::newton_cg; },
       "hessian_vector");
  with(
      [](Options& s, Objective& o) {
        s.kind = softmaxkit::SolverKind::newton_cg;
        s.l1 = 0.1;
        o.hessian_vector = [](auto, auto, auto) {};
      },
      "l1");
  with([](Options& s, Objective&) { s.kind = static_cast<softmaxkit::SolverKind>(9); }, "kind");
  CHECK(calls == 0);
  for (const auto reason :
       {softmaxkit::StopReason::converged, softmaxkit::StopReason::max_iterations,
        softmaxkit::StopReason::callback_stopped, softmaxkit::StopReason::line_search_failed,
        softmaxkit::StopReason::no_progress, softmaxkit::StopReason::nan,
        softmaxkit::StopReason::early_stopped}) {
    CHECK(softmaxkit::to_string(reason) != "unknown");
  }
}

TEST_CASE("openblas_core functions answer without arguments to misuse") {
  CHECK_FALSE(softmaxkit::openblas_core_name().empty());
  CHECK(softmaxkit::openblas_core_suits_cpu() == softmaxkit::openblas_core_remedy().empty());
}
