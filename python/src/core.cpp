// softmaxkit._core: the pybind11 binding of the public C++ API (SoftmaxRegression, FitOptions,
// FitReport, model files, Error). The scikit-learn estimator (softmaxkit/_estimator.py) does the
// input validation and label mapping; this layer only moves buffers across without copying them.
//
// - Arrays: float32 / float64 matrices whose rows are contiguous (any row stride) are read in
//   place through MatrixView; anything else is refused with TypeError (the Python layer converts
//   once). last_input_address() reports the buffer the last fit / predict read, so the tests can
//   check that no copy was made.
// - The GIL is released during fit and prediction. The solver calls the iteration callback on the
//   thread that called fit (TBB's arena.execute runs the solver on the calling thread; only the
//   loss blocks run on the workers); the callback takes the GIL, runs the signal handlers
//   (PyErr_CheckSignals, so Ctrl-C stops the fit within one iteration) and the Python callback.
//   An exception there (KeyboardInterrupt or the callback's own) stops the solver; the model then
//   holds the last complete iterate, Model.last_report describes it, and the exception is
//   re-raised once the GIL is back.
// - softmaxkit::Error becomes ValueError with the library's message.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "softmaxkit/error.hpp"
#include "softmaxkit/matrix.hpp"
#include "softmaxkit/model.hpp"
#include "softmaxkit/model_selection.hpp"
#include "softmaxkit/openblas_core.hpp"
#include "softmaxkit/solvers.hpp"

namespace py = pybind11;
namespace smk = softmaxkit;

namespace {

std::uintptr_t last_input_address = 0;

// FitReport -> dict. A new FitReport field is one more X(name) here (its type needs a
// to_python overload only if it is not a number, bool, optional or StopReason).
#define SOFTMAXKIT_FIT_REPORT_FIELDS(X) \
  X(objective)                          \
  X(gradient_norm)                      \
  X(initial_gradient_norm)              \
  X(iterations)                         \
  X(evaluations)                        \
  X(hessian_products)                   \
  X(setup_pass_equivalents)             \
  X(metric_pass_equivalents)            \
  X(pass_equivalents)                   \
  X(metric)                             \
  X(seconds)                            \
  X(reason)                             \
  X(validation_accuracy)

template <class T>
py::object to_python(const T& value) {
  return py::cast(value);
}
py::object to_python(smk::StopReason reason) {
  return py::str(std::string(smk::to_string(reason)));
}
template <class T>
py::object to_python(const std::optional<T>& value) {
  return value ? to_python(*value) : py::none();
}

py::dict report_to_dict(const smk::FitReport& report) {
  py::dict out;
#define SOFTMAXKIT_REPORT_ENTRY(name) out[#name] = to_python(report.name);
  SOFTMAXKIT_FIT_REPORT_FIELDS(SOFTMAXKIT_REPORT_ENTRY)
#undef SOFTMAXKIT_REPORT_ENTRY
  return out;
}

py::dict iteration_to_dict(const smk::IterationReport& report) {
  py::dict out;
  out["iteration"] = report.iteration;
  out["objective"] = report.objective;
  out["gradient_norm"] = report.gradient_norm;
  out["step"] = report.step;
  out["evaluations"] = report.evaluations;
  out["elapsed_seconds"] = report.elapsed_seconds;
  out["pass_equivalents"] = report.pass_equivalents;
  return out;
}

// Options by name (the C++ member names), so the Python layer sets exactly what it means to and
// a typo fails loudly.
void apply_option(smk::FitOptions& options, const std::string& key, const py::handle& value) {
  if (key == "C") {
    options.C = value.is_none() ? std::nullopt : std::optional<double>(value.cast<double>());
  } else if (key == "l2") {
    options.l2 = value.cast<double>();
  } else if (key == "l1") {
    options.l1 = value.cast<double>();
  } else if (key == "fit_intercept") {
    options.fit_intercept = value.cast<bool>();
  } else if (key == "solver") {
    if (value.is_none()) {
      options.solver.reset();
    } else {
      const auto name = value.cast<std::string>();
      if (name == "newton") {
        options.solver = smk::SolverKind::newton_cg;
      } else if (name == "lbfgs") {
        options.solver = smk::SolverKind::lbfgs;
      } else if (name == "structured") {
        options.solver = smk::SolverKind::structured;
      } else {
        throw smk::Error("solver must be None, 'structured', 'newton' or 'lbfgs', got '" + name +
                         "'");
      }
    }
  } else if (key == "tolerance") {
    options.tolerance = value.cast<double>();
  } else if (key == "max_iterations") {
    options.max_iterations = value.cast<int>();
  } else if (key == "warm_start") {
    options.warm_start = value.cast<bool>();
  } else if (key == "reference_gradient_norm") {
    options.reference_gradient_norm = value.cast<double>();
  } else if (key == "threads") {
    options.threads = value.cast<int>();
  } else if (key == "use_double") {
    options.use_double = value.cast<bool>();
  } else if (key == "validation_fraction") {
    options.validation_fraction = value.cast<double>();
  } else if (key == "patience") {
    options.patience = value.cast<int>();
  } else {
    throw py::key_error("unknown fit option '" + key + "'");
  }
}

template <class T>
bool has_dtype(const py::array& array) {
  return py::dtype::of<T>().equal(array.dtype());
}

// A row-major view of a 2-D array whose rows are contiguous, without copying.
template <class T>
smk::MatrixView<const T> matrix_view(const py::array& array, const char* name) {
  if (array.ndim() != 2) {
    throw py::type_error(std::string(name) + " must be a 2-D array");
  }
  const auto rows = static_cast<std::size_t>(array.shape(0));
  const auto cols = static_cast<std::size_t>(array.shape(1));
  const auto item = static_cast<py::ssize_t>(sizeof(T));
  const bool rows_contiguous = cols <= 1 || array.strides(1) == item;
  const bool stride_ok = rows <= 1 || (array.strides(0) > 0 && array.strides(0) % item == 0 &&
                                       static_cast<std::size_t>(array.strides(0) / item) >= cols);
  if (!rows_contiguous || !stride_ok) {
    throw py::type_error(std::string(name) +
                         " must have contiguous rows (C order); convert it with "
                         "numpy.ascontiguousarray");
  }
  const std::size_t stride = rows <= 1 ? cols : static_cast<std::size_t>(array.strides(0) / item);
  const auto* data = static_cast<const T*>(array.data());
  last_input_address = reinterpret_cast<std::uintptr_t>(data);
  return smk::MatrixView<const T>(data, rows, cols, stride);
}

template <class T>
std::span<const T> vector_view(const py::array& array, const char* name) {
  if (!has_dtype<T>(array) || array.ndim() != 1 || !(array.flags() & py::array::c_style)) {
    throw py::type_error(std::string(name) + " must be a contiguous 1-D array of " +
                         std::string(py::str(py::dtype::of<T>())));
  }
  return {static_cast<const T*>(array.data()), static_cast<std::size_t>(array.shape(0))};
}

// The model plus what the Python layer needs to see after an interrupted fit.
struct Model {
  smk::SoftmaxRegression model;
  py::object last_report = py::none();
};

// A scipy.sparse CSR matrix as the tuple (rows, cols, indptr int64, indices int32, data T) that
// the Python layer builds (canonical: sorted, no duplicates); validated by CsrMatrixView.
template <class T>
smk::CsrMatrixView<T> csr_view(const py::tuple& parts) {
  if (parts.size() != 5) throw py::type_error("X: a CSR tuple has 5 parts");
  const auto rows = parts[0].cast<std::size_t>(), cols = parts[1].cast<std::size_t>();
  const auto offsets = vector_view<std::int64_t>(parts[2].cast<py::array>(), "X.indptr");
  const auto indices = vector_view<std::int32_t>(parts[3].cast<py::array>(), "X.indices");
  const auto values = vector_view<T>(parts[4].cast<py::array>(), "X.data");
  last_input_address = reinterpret_cast<std::uintptr_t>(values.data());
  return smk::CsrMatrixView<T>(rows, cols, offsets, indices, values);
}

template <class T, class View>
py::dict fit_typed(Model& self, const View& view, const py::array& labels,
                   const py::object& sample_weight, const py::object& on_iteration) {
  const std::span<const std::int32_t> label_span = vector_view<std::int32_t>(labels, "labels");
  std::span<const T> weight_span;
  if (!sample_weight.is_none()) {
    weight_span = vector_view<T>(sample_weight.cast<py::array>(), "sample_weight");
  }

  // Destroyed after the GIL is re-acquired (it is declared outside the released scope).
  std::optional<py::error_already_set> callback_error;
  self.model.options().callback = [&](const smk::IterationReport& report) {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) {
      callback_error.emplace();
      return false;
    }
    if (on_iteration.is_none()) return true;
    try {
      const py::object result = on_iteration(iteration_to_dict(report));
      if (result.is_none()) return true;
      // An object whose truth cannot be tested (its __bool__ raises) is the callback's error,
      // as an exception from the callback is (it used to surface as a SystemError).
      const int truth = PyObject_IsTrue(result.ptr());
      if (truth < 0) throw py::error_already_set();
      return truth != 0;
    } catch (py::error_already_set& error) {
      callback_error.emplace(std::move(error));
      return false;
    }
  };
  // Whatever happens, the model must not keep a callback that refers to this frame.
  struct ClearCallback {
    smk::FitOptions& options;
    ~ClearCallback() { options.callback = nullptr; }
  } clear_callback{self.model.options()};

  smk::FitReport report;
  {
    py::gil_scoped_release release;
    report = self.model.fit(view, label_span, weight_span);
  }
  self.last_report = report_to_dict(report);
  if (callback_error) throw *callback_error;
  return self.last_report;
}

// The dtype of X: an array's, or a CSR tuple's data array's.
py::array dtype_carrier(const py::object& features) {
  if (py::isinstance<py::tuple>(features)) {
    const auto parts = features.cast<py::tuple>();
    if (parts.size() != 5) throw py::type_error("X: a CSR tuple has 5 parts");
    return parts[4].cast<py::array>();
  }
  return features.cast<py::array>();
}

py::dict fit(Model& self, const py::object& features, const py::array& labels,
             const py::object& sample_weight, const py::dict& options,
             const py::object& on_iteration) {
  self.last_report = py::none();
  smk::FitOptions fresh;
  for (const auto& [key, value] : options) apply_option(fresh, key.cast<std::string>(), value);
  // A refused fit leaves the model as it was (model.hpp), its options too: they used to keep the
  // refused ones, which its model file then failed to serialise (pickle and save broke).
  struct RestoreOnRefusal {
    Model& self;
    smk::FitOptions previous;
    int exceptions = std::uncaught_exceptions();
    ~RestoreOnRefusal() {
      if (std::uncaught_exceptions() > exceptions && self.last_report.is_none())
        self.model.options() = std::move(previous);
    }
  } restore{self, self.model.options()};
  self.model.options() = std::move(fresh);
  const bool sparse = py::isinstance<py::tuple>(features);
  const py::array carrier = dtype_carrier(features);
  if (has_dtype<float>(carrier)) {
    if (sparse)
      return fit_typed<float>(self, csr_view<float>(features), labels, sample_weight, on_iteration);
    return fit_typed<float>(self, matrix_view<float>(carrier, "X"), labels, sample_weight,
                            on_iteration);
  }
  if (has_dtype<double>(carrier)) {
    if (sparse)
      return fit_typed<double>(self, csr_view<double>(features), labels, sample_weight,
                               on_iteration);
    return fit_typed<double>(self, matrix_view<double>(carrier, "X"), labels, sample_weight,
                             on_iteration);
  }
  throw py::type_error("X must be float32 or float64");
}

// The vector's buffer becomes the array's, without a copy.
py::array_t<double> to_array(std::vector<double>&& values, std::size_t rows, std::size_t cols) {
  auto* owned = new std::vector<double>(std::move(values));
  py::capsule owner(owned,
                    [](void* pointer) { delete static_cast<std::vector<double>*>(pointer); });
  return py::array_t<double>({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(cols)},
                             owned->data(), owner);
}

// For predictions: checks and sets the thread count, then returns predict(view) for X's view
// (dense or CSR, float or double), run without the GIL.
template <class Predict>
auto with_prediction_view(Model& self, const py::object& features, int threads,
                          const Predict& predict) {
  if (threads < 0) throw smk::Error("threads must be >= 0");
  // Written only when it changes, so concurrent predictions with one thread count do not race.
  if (self.model.options().threads != threads) self.model.options().threads = threads;
  const bool sparse = py::isinstance<py::tuple>(features);
  const py::array carrier = dtype_carrier(features);
  auto run = [&](const auto& view) {
    py::gil_scoped_release release;
    return predict(view);
  };
  if (has_dtype<float>(carrier)) {
    return sparse ? run(csr_view<float>(features)) : run(matrix_view<float>(carrier, "X"));
  }
  if (has_dtype<double>(carrier)) {
    return sparse ? run(csr_view<double>(features)) : run(matrix_view<double>(carrier, "X"));
  }
  throw py::type_error("X must be float32 or float64");
}

// The rows' probabilities, or (logits) their logits W x + b.
py::array_t<double> predict_rows(Model& self, const py::object& features, int threads,
                                 bool logits) {
  std::vector<double> values = with_prediction_view(self, features, threads, [&](const auto& view) {
    return logits ? self.model.predict_logits(view) : self.model.predict_proba(view);
  });
  const std::size_t classes = self.model.num_classes();  // >= 2: the model is fitted
  const std::size_t rows = values.size() / classes;
  return to_array(std::move(values), rows, classes);
}

template <class T>
py::array_t<T> copy_to_array(const std::vector<T>& values, std::vector<py::ssize_t> shape) {
  py::array_t<T> out(std::move(shape));
  std::copy(values.begin(), values.end(), out.mutable_data());
  return out;
}

// Each row's predicted class label (SoftmaxRegression::predict: the logits a block at a time,
// never all rows x K of them; an Error naming the first row without a prediction).
py::array_t<std::int32_t> predict_labels(Model& self, const py::object& features, int threads) {
  const std::vector<std::int32_t> labels = with_prediction_view(
      self, features, threads, [&](const auto& view) { return self.model.predict(view); });
  return copy_to_array(labels, {static_cast<py::ssize_t>(labels.size())});
}

// Sample weights in X's value type (what fit_path and cross_validate take for that view), or
// none (all 1) for None.
template <class T>
std::span<const T> weights_for(const smk::MatrixView<const T>&, const py::object& sample_weight) {
  if (sample_weight.is_none()) return {};
  return vector_view<T>(sample_weight.cast<py::array>(), "sample_weight");
}
template <class T>
std::span<const T> weights_for(const smk::CsrMatrixView<T>&, const py::object& sample_weight) {
  if (sample_weight.is_none()) return {};
  return vector_view<T>(sample_weight.cast<py::array>(), "sample_weight");
}

// Choosing C: a path over C values on all rows, and cross-validation over given folds (the Python
// layer makes the folds, e.g. with a scikit-learn splitter). Both release the GIL. View: a dense
// MatrixView or a CsrMatrixView (X given as the CSR tuple, as to Model.fit).
template <class View>
py::list fit_path_typed(const View& view, const py::array& labels, const std::vector<double>& Cs,
                        const smk::FitOptions& options, const py::object& sample_weight) {
  const std::span<const std::int32_t> label_span = vector_view<std::int32_t>(labels, "labels");
  const auto weight_span = weights_for(view, sample_weight);
  smk::PathResult path;
  {
    py::gil_scoped_release release;
    path = smk::fit_path(view, label_span, Cs, options, weight_span);
  }
  py::list out;
  const auto k = static_cast<py::ssize_t>(path.classes.size());
  for (const smk::PathPoint& point : path.points) {
    py::dict entry;
    entry["C"] = point.C;
    entry["lambda"] = point.lambda;
    entry["weights"] = copy_to_array(point.weights, {k, static_cast<py::ssize_t>(view.cols())});
    entry["intercept"] = copy_to_array(point.intercept, {k});
    entry["report"] = report_to_dict(point.report);
    out.append(entry);
  }
  return out;
}

template <class View>
py::dict cross_validate_typed(const View& view, const py::array& labels,
                              const std::vector<double>& Cs, const std::vector<smk::Fold>& folds,
                              const smk::FitOptions& options, bool refit,
                              const py::object& sample_weight, bool keep_coefficients,
                              smk::CvScoring scoring) {
  const std::span<const std::int32_t> label_span = vector_view<std::int32_t>(labels, "labels");
  const auto weight_span = weights_for(view, sample_weight);
  // Ctrl-C: every solver iteration of the search takes the GIL and runs Python's signal handlers,
  // as Model.fit does; a pending KeyboardInterrupt stops that fit, and the progress report after
  // it ends the search (it used to take effect only after the whole search). Declared outside the
  // released scope, so it is destroyed with the GIL held.
  std::optional<py::error_already_set> signal_error;
  struct SearchInterrupted {};
  smk::FitOptions checked = options;
  checked.callback = [&](const smk::IterationReport&) {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) {
      signal_error.emplace();
      return false;
    }
    return true;
  };
  smk::CvOptions cv;
  cv.refit = refit;
  cv.keep_coefficients = keep_coefficients;
  cv.scoring = scoring;
  cv.progress = [&](const smk::CvProgress&) {
    if (signal_error) throw SearchInterrupted{};
  };
  smk::CvResult result;
  try {
    py::gil_scoped_release release;
    result = smk::cross_validate(view, label_span, Cs, folds, checked, cv, weight_span);
  } catch (const SearchInterrupted&) {
  }
  if (signal_error) throw *signal_error;
  const auto f = static_cast<py::ssize_t>(folds.size());
  const auto c = static_cast<py::ssize_t>(Cs.size());
  py::array_t<double> accuracy({f, c}), log_loss({f, c}), passes({f, c}), seconds({f, c});
  py::array_t<std::int32_t> iterations({f, c});
  py::list reasons;  // [fold][C]: each fit's stop reason, for the Python layer's warnings
  for (py::ssize_t i = 0; i < f; ++i) {
    py::list fold_reasons;
    for (py::ssize_t j = 0; j < c; ++j) {
      fold_reasons.append(to_python(
          result.scores[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)].report.reason));
      const smk::CvScore& score =
          result.scores[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)];
      accuracy.mutable_at(i, j) = score.accuracy;
      log_loss.mutable_at(i, j) = score.log_loss;
      passes.mutable_at(i, j) = score.report.pass_equivalents;
      seconds.mutable_at(i, j) = score.report.seconds;
      iterations.mutable_at(i, j) = score.report.iterations;
    }
    reasons.append(fold_reasons);
  }
  py::dict out;
  out["accuracy"] = accuracy;
  out["log_loss"] = log_loss;
  out["pass_equivalents"] = passes;
  out["seconds"] = seconds;
  out["iterations"] = iterations;
  out["reasons"] = reasons;
  out["best_index"] = result.best_index;
  if (keep_coefficients) {
    // (folds, Cs, K, n + 1): each fit's weights with its intercept as the last column, the
    // layout of scikit-learn's coefs_paths_ per class.
    const std::size_t classes = result.scores.front().front().intercept.size();
    const std::size_t cols = view.cols();
    py::array_t<double> coefficients(
        {f, c, static_cast<py::ssize_t>(classes), static_cast<py::ssize_t>(cols + 1)});
    double* data = coefficients.mutable_data();
    for (std::size_t i = 0; i < result.scores.size(); ++i) {
      for (std::size_t j = 0; j < result.scores[i].size(); ++j) {
        const smk::CvScore& score = result.scores[i][j];
        for (std::size_t row = 0; row < classes; ++row) {
          double* out_row = data + ((i * result.scores[i].size() + j) * classes + row) * (cols + 1);
          std::copy_n(score.weights.data() + row * cols, cols, out_row);
          out_row[cols] = score.intercept[row];
        }
      }
    }
    out["coefficients"] = coefficients;
  } else {
    out["coefficients"] = py::none();
  }
  if (result.model) {
    Model model;
    model.model = std::move(*result.model);
    // The refit kept the search's options, whose callback refers to this frame.
    model.model.options().callback = nullptr;
    model.last_report = report_to_dict(*result.refit_report);
    out["model"] = std::move(model);
  } else {
    out["model"] = py::none();
  }
  return out;
}

smk::FitOptions options_from(const py::dict& options) {
  smk::FitOptions out;
  for (const auto& [key, value] : options) apply_option(out, key.cast<std::string>(), value);
  return out;
}

// Calls f with X's view: dense float or double, or a CSR tuple of float or double values.
template <class F>
decltype(auto) with_view(const py::object& features, F&& f) {
  const bool sparse = py::isinstance<py::tuple>(features);
  const py::array carrier = dtype_carrier(features);
  if (has_dtype<float>(carrier)) {
    if (sparse) return f(csr_view<float>(features));
    return f(matrix_view<float>(carrier, "X"));
  }
  if (has_dtype<double>(carrier)) {
    if (sparse) return f(csr_view<double>(features));
    return f(matrix_view<double>(carrier, "X"));
  }
  throw py::type_error("X must be float32 or float64");
}

}  // namespace

PYBIND11_MODULE(_core, module) {
  module.doc() = "softmaxkit's C++ core (see softmaxkit.SoftmaxRegression for the estimator)";
#ifdef SOFTMAXKIT_VERSION
  module.attr("__version__") = SOFTMAXKIT_VERSION;
#endif

  py::register_exception_translator([](std::exception_ptr pointer) {
    try {
      if (pointer) std::rethrow_exception(pointer);
    } catch (const smk::Error& error) {
      // Bytes that are not UTF-8 (a file name's, say) come back as surrogate escapes, as
      // os.fsdecode gives them: PyErr_SetString decodes strictly and raised a UnicodeDecodeError.
      const std::string_view what = error.what();
      PyObject* message = PyUnicode_DecodeUTF8(what.data(), static_cast<Py_ssize_t>(what.size()),
                                               "surrogateescape");
      if (message == nullptr) return;  // that error is set instead
      PyErr_SetObject(PyExc_ValueError, message);
      Py_DECREF(message);
    }
  });

  module.def(
      "openblas_core",
      [] {
        py::dict out;
        out["name"] = smk::openblas_core_name();
        out["suits_cpu"] = smk::openblas_core_suits_cpu();
        out["remedy"] = smk::openblas_core_remedy();
        return out;
      },
      "The OpenBLAS kernels loaded in this process (numpy's too): name, whether they suit the CPU, "
      "and the OPENBLAS_CORETYPE to set before Python starts when they do not (softmaxkit/"
      "openblas_core.hpp)");
  module.def(
      "last_input_address", [] { return last_input_address; },
      "Address of the feature buffer the last fit or prediction read (tests: no copy was made)");

  module.def(
      "fit_path",
      [](const py::object& X, const py::array& labels, const std::vector<double>& Cs,
         const py::dict& options, const py::object& sample_weight) {
        const smk::FitOptions fit_options = options_from(options);
        return with_view(X, [&](const auto& view) {
          return fit_path_typed(view, labels, Cs, fit_options, sample_weight);
        });
      },
      py::arg("X"), py::arg("labels"), py::arg("Cs"), py::arg("options"),
      py::arg("sample_weight") = py::none(),
      "softmaxkit::fit_path (X dense or the CSR tuple Model.fit takes): a list of dicts (C, "
      "lambda, weights, intercept, report) in the order of Cs; sample_weight: None or one weight "
      "per "
      "row in X's dtype");
  module.def(
      "cross_validate",
      [](const py::object& X, const py::array& labels, const std::vector<double>& Cs,
         const std::vector<std::vector<std::size_t>>& train,
         const std::vector<std::vector<std::size_t>>& test, const py::dict& options, bool refit,
         const py::object& sample_weight, bool keep_coefficients, const std::string& scoring) {
        if (train.size() != test.size()) throw smk::Error("train and test hold different counts");
        if (scoring != "accuracy" && scoring != "log_loss") {
          throw smk::Error("scoring must be 'accuracy' or 'log_loss', got '" + scoring + "'");
        }
        std::vector<smk::Fold> folds(train.size());
        for (std::size_t i = 0; i < folds.size(); ++i) folds[i] = {train[i], test[i]};
        const smk::FitOptions fit_options = options_from(options);
        return with_view(X, [&](const auto& view) {
          return cross_validate_typed(
              view, labels, Cs, folds, fit_options, refit, sample_weight, keep_coefficients,
              scoring == "accuracy" ? smk::CvScoring::accuracy : smk::CvScoring::log_loss);
        });
      },
      py::arg("X"), py::arg("labels"), py::arg("Cs"), py::arg("train"), py::arg("test"),
      py::arg("options"), py::arg("refit"), py::arg("sample_weight") = py::none(),
      py::arg("keep_coefficients") = false, py::arg("scoring") = "accuracy",
      "softmaxkit::cross_validate on the given folds (X dense or the CSR tuple Model.fit takes): "
      "per (fold, C) accuracy and log_loss (weighted means with sample_weight: None or one weight "
      "per row in X's dtype), best_index (by scoring: 'accuracy' or 'log_loss'), the refit Model "
      "at it (or None), and with keep_coefficients each fit's coefficients, shape (folds, Cs, K, "
      "n + 1), the intercept last (else None)");
  module.def(
      "stratified_folds",
      [](const py::array& labels, int k, std::uint64_t seed) {
        const std::vector<smk::Fold> folds =
            smk::stratified_folds(vector_view<std::int32_t>(labels, "labels"), k, seed);
        py::list out;
        for (const smk::Fold& fold : folds) out.append(py::make_tuple(fold.train, fold.test));
        return out;
      },
      py::arg("labels"), py::arg("k"), py::arg("seed"));

  py::class_<Model>(module, "Model")
      .def(py::init<>())
      .def("fit", &fit, py::arg("X"), py::arg("labels"), py::arg("sample_weight"),
           py::arg("options"), py::arg("on_iteration"),
           "Fit on X (float32/float64, contiguous rows), int32 labels and optional weights of "
           "X's dtype; options are FitOptions members by name. Returns the FitReport as a dict.")
      .def(
          "predict_proba",
          [](Model& self, const py::object& X, int threads) {
            return predict_rows(self, X, threads, false);
          },
          py::arg("X"), py::arg("threads"))
      .def("predict", &predict_labels, py::arg("X"), py::arg("threads"))
      .def(
          "predict_logits",
          [](Model& self, const py::object& X, int threads) {
            return predict_rows(self, X, threads, true);
          },
          py::arg("X"), py::arg("threads"))
      .def_readonly("last_report", &Model::last_report)
      .def_property_readonly("is_fitted", [](const Model& self) { return self.model.is_fitted(); })
      .def_property_readonly("num_classes",
                             [](const Model& self) { return self.model.num_classes(); })
      .def_property_readonly("num_features",
                             [](const Model& self) { return self.model.num_features(); })
      .def_property_readonly("class_labels",
                             [](const Model& self) {
                               const auto& labels = self.model.class_labels();
                               return copy_to_array(labels,
                                                    {static_cast<py::ssize_t>(labels.size())});
                             })
      .def_property_readonly("weights",
                             [](const Model& self) {
                               return copy_to_array(
                                   self.model.weights(),
                                   {static_cast<py::ssize_t>(self.model.num_classes()),
                                    static_cast<py::ssize_t>(self.model.num_features())});
                             })
      .def_property_readonly("intercept",
                             [](const Model& self) {
                               return copy_to_array(
                                   self.model.intercept(),
                                   {static_cast<py::ssize_t>(self.model.num_classes())});
                             })
      .def_property_readonly("fit_intercept",
                             [](const Model& self) { return self.model.options().fit_intercept; })
      .def_property_readonly("l1", [](const Model& self) { return self.model.options().l1; })
      .def_property_readonly("effective_l2",
                             [](const Model& self) { return self.model.effective_l2(); })
      .def_property_readonly("solver_used",
                             [](const Model& self) {
                               switch (self.model.solver_used()) {
                                 case smk::SolverKind::lbfgs:
                                   return "lbfgs";
                                 case smk::SolverKind::newton_cg:
                                   return "newton";
                                 case smk::SolverKind::structured:
                                   break;
                               }
                               return "structured";
                             })
      .def("save", [](const Model& self, const std::string& path) { self.model.save(path); })
      .def_static("load", [](const std::string& path) {
        Model loaded;
        loaded.model = smk::SoftmaxRegression::load(path);
        return loaded;
      });
}
