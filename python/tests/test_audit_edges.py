"""Defects an outside-style audit found on 2026-12-04, each checked against what it must be:
malformed CSR arrays in every prediction method (a segmentation fault, reads past the arrays),
a prediction while another thread refits the same model (heap corruption), a fit whose objective
became NaN (returned normally), a refused warm-start fit (broke pickling), a callback whose result
has no truth value (SystemError), parameters the checks let through (RuntimeError, TypeError),
and a C search that never warned about unconverged fits."""

import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse
from sklearn.exceptions import ConvergenceWarning

from stand_ins import NanCore, dense_problem, errors_while
from softmaxkit import SoftmaxRegression, SoftmaxRegressionCV


def malformed_csr(kind, rows=20, features=4):
    """A CSR matrix whose arrays scipy accepts but that do not describe the shape."""
    X = scipy.sparse.csr_matrix(np.ones((rows, features)))
    if kind == "index":
        X.indices[1] = 100_000_000
    elif kind == "short data":
        X.data = X.data[:1]
    elif kind == "short indptr":
        X.indptr = X.indptr[:5]
    return X


FITTED = {
    "SoftmaxRegression": lambda X, y: SoftmaxRegression().fit(X, y),
    "CV refit": lambda X, y: SoftmaxRegressionCV(Cs=[1.0, 10.0], cv=2).fit(X, y),
    "CV refit=False": lambda X, y: SoftmaxRegressionCV(Cs=[1.0, 10.0], cv=2, refit=False).fit(X, y),
}


@pytest.mark.parametrize("estimator", FITTED)
@pytest.mark.parametrize("kind", ["index", "short data", "short indptr"])
@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "predict_log_proba", "decision_function"])
def test_malformed_csr_is_a_value_error_in_every_prediction_method(estimator, kind, method):
    X, y = dense_problem()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = FITTED[estimator](scipy.sparse.csr_matrix(X), y)
    bad = malformed_csr(kind)
    with pytest.raises(ValueError):
        getattr(model, method)(bad)


def test_prediction_while_another_thread_refits_the_same_model():
    # warm_start refits the estimator's own C++ model with the GIL released; predictions from
    # another thread meanwhile corrupted the heap (an abort within a few refits).
    rng = np.random.default_rng(2)
    X = rng.standard_normal((2000, 10))
    y3, y6 = rng.integers(0, 3, 2000), rng.integers(0, 6, 2000)
    model = SoftmaxRegression(warm_start=True, max_iter=5, n_threads=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y3)
        shapes = set()

        def refit():
            for i in range(12):
                model.fit(X, y6 if i % 2 else y3)

        errors = errors_while(lambda: shapes.add(model.predict_proba(X).shape), refit)
    assert errors == []
    assert shapes <= {(2000, 3), (2000, 6)}
    # Each prediction saw a whole model: probabilities of one fit or the other, never a mix.
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0, rtol=1e-12)


def test_a_refused_warm_start_fit_leaves_the_model_picklable_and_unchanged():
    X, y = dense_problem()
    model = SoftmaxRegression(warm_start=True).fit(X, y)
    before = model.predict_proba(X)
    model.set_params(fit_intercept=False, C=1e-320)
    with pytest.raises(ValueError, match="C = 1e-320"):
        model.fit(X, y)
    np.testing.assert_array_equal(model.predict_proba(X), before)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), before)


def test_a_fit_whose_objective_becomes_nan_raises_and_leaves_the_estimator_unfitted(monkeypatch):
    # The core ends such a fit with reason 'nan' and leaves its model unfitted (model.hpp); the
    # estimator returned normally with a (0, 0) coef_. No finite input reaches that end through
    # the checks today (overflowing weights are refused, see test_api_misuse.cpp), so a core
    # that reports it stands in for one.
    import softmaxkit._estimator as estimator_module

    X, y = dense_problem()
    model = SoftmaxRegression().fit(X, y)
    monkeypatch.setattr(estimator_module._core, "Model", NanCore)
    with pytest.raises(ValueError, match="NaN or infinite"):
        model.fit(X, y)
    assert not hasattr(model, "coef_")
    with pytest.raises(Exception, match="not fitted"):
        model.predict(X)


def test_a_callback_result_without_a_truth_value_is_the_callbacks_error():
    class NoTruth:
        def __bool__(self):
            raise RuntimeError("bool boom")

    X, y = dense_problem()
    model = SoftmaxRegression(callback=lambda info: NoTruth())
    with pytest.raises(RuntimeError, match="bool boom"):
        model.fit(X, y)
    assert model.fit_report_.reason == "callback_stopped"


def test_parameters_the_checks_used_to_let_through():
    X, y = dense_problem()
    with pytest.raises(ValueError, match="n_iter_no_change"):
        SoftmaxRegression(early_stopping=True, n_iter_no_change=2**31).fit(X, y)
    for penalty in ("l2", "l1"):  # a Python int beyond what numpy's isfinite takes
        big = SoftmaxRegression(C=10**30, penalty=penalty).fit(X, y)
        same = SoftmaxRegression(C=1e30, penalty=penalty).fit(X, y)
        np.testing.assert_array_equal(big.coef_, same.coef_)
    with pytest.raises(ValueError, match="C"):
        SoftmaxRegression(C=10**400).fit(X, y)
    with pytest.raises(ValueError, match="penalty='l1'"):
        SoftmaxRegression(C=1e-320, penalty="l1").fit(X, y)


def test_the_c_search_warns_about_fits_that_did_not_converge():
    X, y = dense_problem(rows=90)
    with pytest.warns(ConvergenceWarning, match="did not reach tol"):
        SoftmaxRegressionCV(Cs=[0.1, 100.0], cv=3, max_iter=1).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        SoftmaxRegressionCV(Cs=[0.1, 1.0], cv=3).fit(X, y)


@pytest.mark.parametrize("estimator", [SoftmaxRegression, SoftmaxRegressionCV])
def test_big_endian_float32_trains_as_float32(estimator):
    X, y = dense_problem()
    X32 = X.astype(np.float32)
    kwargs = {"Cs": [1.0], "cv": 2} if estimator is SoftmaxRegressionCV else {}
    native = estimator(**kwargs).fit(X32, y)
    swapped = estimator(**kwargs).fit(X32.astype(">f4"), y)
    in_double = estimator(**kwargs).fit(X32.astype(np.float64), y)
    np.testing.assert_array_equal(swapped.coef_, native.coef_)
    assert not np.array_equal(in_double.coef_, native.coef_)  # the comparison can tell
    np.testing.assert_array_equal(swapped.predict_proba(X32.astype(">f4")),
                                  native.predict_proba(X32))
    sparse = scipy.sparse.csr_matrix(X32.astype(">f4"))
    np.testing.assert_array_equal(estimator(**kwargs).fit(sparse, y).coef_,
                                  estimator(**kwargs).fit(scipy.sparse.csr_matrix(X32), y).coef_)


# ---- 2026-12-07's audit of the estimators' inputs ----

@pytest.mark.parametrize("estimator", ["SoftmaxRegression", "CV refit"])  # refit=False: numpy
@pytest.mark.parametrize("threads", [10**30, -1, 0, 10**6, "abc", 2.7])
@pytest.mark.parametrize("method", ["predict", "predict_proba", "score"])
def test_n_threads_set_after_fit_is_checked_by_predictions(estimator, threads, method):
    # fit checked n_threads; predictions passed int(n_threads) to the core: 2.7 ran on 2 threads,
    # 10**30 was a TypeError printing X, -1 and 10**6 named the core's "threads".
    X, y = dense_problem()
    model = FITTED[estimator](X, y)
    model.set_params(n_threads=threads)
    args = (X, y) if method == "score" else (X,)
    with pytest.raises(ValueError, match=r"n_threads must be None or an int in \[1, 4096\]"):
        getattr(model, method)(*args)
    model.set_params(n_threads=4096)
    getattr(model, method)(*args)


@pytest.mark.parametrize("estimator", [SoftmaxRegression, SoftmaxRegressionCV])
def test_class_weights_alone_that_overflow_name_class_weight(estimator):
    # Three rows' class weights of 1e308 sum beyond float64: the core's message named
    # sample_weight, which the caller never gave.
    X, y = dense_problem(rows=30)
    kwargs = {"Cs": [1.0], "cv": 2} if estimator is SoftmaxRegressionCV else {}
    huge = {0: 1e308, 1: 1e308, 2: 1e308}
    with pytest.raises(ValueError, match=r"class_weight \(the rows' class weights; no "
                                         r"sample_weight given\): the weights sum to inf"):
        estimator(class_weight=huge, **kwargs).fit(X, y)
    # With sample weights given the message names them, as before.
    with pytest.raises(ValueError, match=r"sample_weight: the weights sum to inf"):
        estimator(class_weight=huge, **kwargs).fit(X, y, np.ones(30))


@pytest.mark.parametrize("estimator", FITTED)
@pytest.mark.parametrize("classes", [2, 3])
def test_predict_log_proba_is_nan_where_predict_proba_is(estimator, classes):
    # Two classes: the log-probabilities came from the difference of the logits alone, a
    # confident [-inf, 0] for a row whose logits overflow, where predict_proba gives NaN (and
    # predict raises); three classes gave NaN already.
    X, y = dense_problem(classes=classes)
    X[np.arange(len(y)), y] += 3.0  # separated classes: coefficients of a few units
    model = FITTED[estimator](X, y)
    weights, _ = model._class_weights()
    k = int(np.argmax(np.abs(weights).sum(axis=1)))
    assert np.abs(weights[k]).sum() > 1.1  # so the row below overflows class k's logit
    Z = np.vstack([X[:5], 1.7e308 * np.sign(weights[k])])
    probabilities = model.predict_proba(Z)
    logs = model.predict_log_proba(Z)
    assert logs.shape == (6, classes)
    assert np.all(np.isnan(probabilities[5])) and np.all(np.isnan(logs[5]))
    # Elsewhere the log of the probabilities, to rounding.
    np.testing.assert_allclose(logs[:5], np.log(probabilities[:5]), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("stale", ["has_canonical_format", "has_sorted_indices"])
def test_a_stale_canonical_flag_is_not_trusted(stale):
    # scipy caches whether a CSR matrix is canonical; a flag set by hand (or left from before an
    # edit of indices) made fit and predict refuse the matrix as unsorted while
    # decision_function used it. The arrays decide now: every method sees the same matrix.
    X, y = dense_problem(rows=40, features=4)
    model = SoftmaxRegression().fit(X, y)
    M = scipy.sparse.csr_matrix(X)
    M.indices[[0, 1]] = M.indices[[1, 0]]  # row 0's first two entries swapped, with their data
    M.data[[0, 1]] = M.data[[1, 0]]
    setattr(M, stale, True)
    before = (M.indptr.copy(), M.indices.copy(), M.data.copy())
    np.testing.assert_allclose(model.predict_proba(M), model.predict_proba(X), rtol=1e-12)
    np.testing.assert_array_equal(model.predict(M), model.predict(X))
    np.testing.assert_allclose(model.decision_function(M), model.decision_function(X), rtol=1e-12)
    refit = SoftmaxRegression().fit(M, y)
    np.testing.assert_allclose(refit.coef_, model.coef_, rtol=1e-9, atol=1e-12)
    for a, b in zip(before, (M.indptr, M.indices, M.data)):
        np.testing.assert_array_equal(a, b)  # the caller's matrix is not changed


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("stale", ["has_canonical_format", "has_sorted_indices"])
def test_a_stale_canonical_flag_does_not_hide_malformed_arrays(index_dtype, stale):
    # A flag that says "canonical" over arrays that are not even a matrix: a column index past
    # the columns (2**32 + 1 would wrap to column 1 in an int32 cast) or an indptr that
    # decreases. Every method refuses with a ValueError naming the defect, whatever the flag.
    X, y = dense_problem(rows=40, features=4)
    model = SoftmaxRegression().fit(X, y)
    outside = 2**32 + 1 if index_dtype == np.int64 else 9
    M = scipy.sparse.csr_matrix(X)
    M.indices = M.indices.astype(index_dtype)
    offset = int(M.indptr[3])
    M.indices[offset] = outside
    setattr(M, stale, True)
    pattern = rf"row 3, entry 0 .*column index {outside} is outside \[0, 4\)"
    for method in (model.predict, model.predict_proba, model.decision_function):
        with pytest.raises(ValueError, match=pattern):
            method(M)
    with pytest.raises(ValueError, match=pattern):
        SoftmaxRegression().fit(M, y)
    D = scipy.sparse.csr_matrix(X)
    D.indices = D.indices.astype(index_dtype)
    D.indptr = D.indptr.astype(index_dtype)
    D.indptr[5] = D.indptr[4] - 1  # row 4 ends before it starts
    setattr(D, stale, True)
    for method in (model.predict, model.predict_proba, model.decision_function):
        with pytest.raises(ValueError, match=r"indptr must start at 0, never decrease"):
            method(D)
    with pytest.raises(ValueError, match=r"indptr must start at 0, never decrease"):
        SoftmaxRegression().fit(D, y)


@pytest.mark.parametrize("Estimator", [SoftmaxRegression, SoftmaxRegressionCV])
@pytest.mark.parametrize("tol", [10**400, np.longdouble("1e-400")])
def test_a_tol_that_is_no_positive_float64_is_a_value_error_naming_tol(Estimator, tol):
    # 10**400 passed the range check and overflowed in float() (OverflowError); a longdouble
    # below float64's range became 0.0 and was refused by the core as "tolerance".
    X, y = dense_problem(rows=30, features=3)
    with pytest.raises(ValueError, match=rf"{Estimator.__name__}: tol must be a finite number > 0"):
        Estimator(tol=tol).fit(X, y)


def test_a_validation_fraction_that_rounds_to_zero_is_refused_not_ignored():
    # np.longdouble("1e-400") passed 0 < v < 1, then float() made it 0.0, which the core takes as
    # "no validation split": the fit ran without early stopping and raised nothing.
    X, y = dense_problem(rows=40, features=3)
    with pytest.raises(ValueError, match=r"validation_fraction must be a number in \(0, 1\)"):
        SoftmaxRegression(early_stopping=True,
                          validation_fraction=np.longdouble("1e-400")).fit(X, y)
    # Its smallest positive float64 neighbour reaches the core, which names the empty split.
    with pytest.raises(ValueError, match=r"validation_fraction = .* holds out none of the 40"):
        SoftmaxRegression(early_stopping=True, validation_fraction=5e-324).fit(X, y)


@pytest.mark.parametrize("make", [
    lambda: SoftmaxRegression(),
    lambda: SoftmaxRegressionCV(Cs=2, cv=2, refit=True),
    lambda: SoftmaxRegressionCV(Cs=2, cv=2, refit=False),
], ids=["SoftmaxRegression", "CV refit", "CV refit=False"])
@pytest.mark.parametrize("n_threads", [0, -5, 2.5])
def test_every_prediction_checks_n_threads_set_after_the_fit(make, n_threads):
    # decision_function, predict_log_proba and SoftmaxRegressionCV(refit=False)'s methods (numpy
    # products) accepted any n_threads while predict and predict_proba refused it.
    X, y = dense_problem(rows=40, features=3)
    model = make().fit(X, y)
    model.set_params(n_threads=n_threads)
    for method in ("predict", "predict_proba", "predict_log_proba", "decision_function"):
        with pytest.raises(ValueError, match=r"n_threads must be None or an int in \[1, "):
            getattr(model, method)(X)
    model.set_params(n_threads=None)
    assert model.predict(X).shape == (40,)


def test_refit_false_C_is_the_folds_mean_even_near_float64s_largest():
    # np.mean of three 1e308 overflowed: C_ was [inf inf inf] (with a RuntimeWarning only).
    X, y = dense_problem(rows=45, features=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("error", RuntimeWarning)  # numpy's overflow warning included
        model = SoftmaxRegressionCV(Cs=[1e308], cv=3, refit=False, max_iter=5).fit(X, y)
    np.testing.assert_allclose(model.C_, 1e308, rtol=1e-15)


def test_a_nan_feature_under_assume_finite_is_named_as_one_in_predict():
    """sklearn.config_context(assume_finite=True) skips the finiteness check: a NaN feature then
    reaches the core, and predict's error blamed features too large for float64 alone."""
    import sklearn

    X, y = dense_problem()
    model = SoftmaxRegression().fit(X, y)
    bad = np.array(X[:5], dtype=np.float64)
    bad[3, 0] = np.nan
    with sklearn.config_context(assume_finite=True):
        with pytest.raises(ValueError, match=r"row 3 \(of 1 such rows\).*NaN or infinite ones"):
            model.predict(bad)


_MEMORY_LIMIT_SCRIPT = r"""
import resource, sys, warnings
import numpy as np, softmaxkit
warnings.simplefilter("ignore")
extra = int(sys.argv[1])
rng = np.random.default_rng(0)
X = rng.normal(size=(3000, 1000)).astype(np.float32)
y = rng.integers(0, 3, 3000)
softmaxkit.SoftmaxRegression(max_iter=1).fit(X[:50, :5], y[:50])  # OpenBLAS's buffers mapped
pages = int(open("/proc/self/statm").read().split()[0])
resource.setrlimit(resource.RLIMIT_AS, (pages * 4096 + extra * 2**20, resource.RLIM_INFINITY))
try:
    softmaxkit.SoftmaxRegression(max_iter=2, n_threads=1).fit(X, y)
    sys.stdout.write("fitted\n")
except MemoryError:
    sys.stdout.write("MemoryError\n")
"""


def test_a_fit_out_of_memory_prints_nothing_on_stdout():
    # The structured solver's eigendecomposition of G (1000 x 1000 here) went through LAPACKE's
    # own allocations, which print "Not enough memory to allocate work array in LAPACKE_dsyevd"
    # on standard output when they fail (an audit under RLIMIT_AS; this sweep saw it at 20 and
    # 30 MiB of room). The library never prints: the fit raises MemoryError and stdout holds
    # only the script's own line. The sweep must cross from MemoryError to fitted, or it tested
    # nothing.
    outcomes = []
    for extra in range(8, 68, 4):
        result = subprocess.run([sys.executable, "-c", _MEMORY_LIMIT_SCRIPT, str(extra)],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stdout in ("fitted\n", "MemoryError\n"), (extra, result.stdout)
        outcomes.append(result.stdout)
    assert "MemoryError\n" in outcomes and "fitted\n" in outcomes


_PREDICT_MEMORY_SCRIPT = r"""
import resource, sys, warnings
import numpy as np, scipy.sparse, softmaxkit
warnings.simplefilter("ignore")
rng = np.random.default_rng(0)
y = np.arange(2000) % 1000
model = softmaxkit.SoftmaxRegression(max_iter=2).fit(rng.normal(size=(2000, 2)), y)
X = rng.normal(size=(200000, 2))
if sys.argv[1] == "csr":
    X = scipy.sparse.csr_matrix(X)
# OpenBLAS's buffers, the worker threads and their malloc arenas (64 MiB of address space
# each) mapped before the limit.
model.predict(X[:20000])
pages = int(open("/proc/self/statm").read().split()[0])
# 300 MiB of room: the labels need 200,000 x 8 bytes; all logits would need 1.6 GB.
resource.setrlimit(resource.RLIMIT_AS, (pages * 4096 + 300 * 2**20, resource.RLIM_INFINITY))
labels = model.predict(X)
score = model.score(X, labels)
sys.stdout.write(f"{len(labels)} {score}\n")
"""


@pytest.mark.parametrize("layout", ["dense", "csr"])
def test_predict_and_score_do_not_hold_every_rows_logits(layout):
    # predict took the argmax of the core's logits for every row at once: n_samples x n_classes
    # doubles (1.6 GB for 200,000 rows of a 1000-class model) for labels that take 8 bytes a
    # row (an audit). The core now makes the logits a block at a time.
    result = subprocess.run([sys.executable, "-c", _PREDICT_MEMORY_SCRIPT, layout],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout == "200000 1.0\n"
