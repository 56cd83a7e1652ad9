"""What an estimator holds after refused fits, concurrent use, re-entrant fits and interrupted
searches, and the defects the 2026-12-05 audit found there: a refused fit changed
n_features_in_ / feature_names_in_, pickles taken during a fit mixed two fits, a
SoftmaxRegressionCV under concurrent use raised, refit=False broke ties towards the larger C, the
CV refit accepted reason 'nan', Ctrl-C waited for the whole search, rows whose logits overflow
were predicted as the first class."""

import functools
import os
import pickle
import signal
import threading
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

import softmaxkit
from stand_ins import NanCore, dense_problem, errors_while
from softmaxkit import SoftmaxRegression, SoftmaxRegressionCV


problem = functools.partial(dense_problem, rows=120)


def separable(rows=60, seed=0):
    """Three far-apart blobs: every C of a moderate grid classifies every held-out row."""
    rng = np.random.default_rng(seed)
    y = np.arange(rows) % 3
    centres = np.array([[20.0, 0.0], [-20.0, 20.0], [0.0, -20.0]])
    return centres[y] + rng.standard_normal((rows, 2)), y


# ---------------------------------------------------------------- refused fits


REFUSALS = {
    # What the core (or the estimator after validation) refuses, on data of another shape and
    # with other column names than the first fit's.
    "one class": lambda X: dict(X=X, y=np.zeros(len(X), dtype=int)),
    "negative weight": lambda X: dict(
        X=X, y=np.arange(len(X)) % 3, sample_weight=-np.ones(len(X))),
}


@pytest.mark.parametrize("refusal", sorted(REFUSALS))
@pytest.mark.parametrize("make", [SoftmaxRegression, lambda: SoftmaxRegressionCV(Cs=2, cv=2)])
def test_a_refused_fit_keeps_the_feature_count_and_names(make, refusal):
    X, y = problem()
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model = make().fit(frame, y)
    before = model.predict_proba(frame)
    other = pd.DataFrame(np.ones((30, 6)), columns=list("uvwxyz"))
    arguments = REFUSALS[refusal](other)
    if isinstance(model, SoftmaxRegressionCV) and "sample_weight" in arguments:
        pytest.skip("SoftmaxRegressionCV.fit takes no sample_weight")
    with pytest.raises(ValueError):
        model.fit(**arguments)
    assert model.n_features_in_ == 4
    assert list(model.feature_names_in_) == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(model.predict_proba(frame), before)
    # Columns in another order are still named as not the fitted ones.
    with pytest.raises(ValueError, match="feature names"):
        model.predict(frame[["d", "c", "b", "a"]])


def test_a_refused_early_stopping_split_keeps_the_feature_count():
    X, y = problem()
    model = SoftmaxRegression().fit(X, y)
    before = model.predict_proba(X)
    # Three rows and a fraction of 1 %: the split holds out no row, which the core refuses.
    model.set_params(early_stopping=True, validation_fraction=0.01)
    with pytest.raises(ValueError):
        model.fit(np.ones((3, 7)), np.array([0, 1, 2]))
    assert model.n_features_in_ == 4
    np.testing.assert_array_equal(model.predict_proba(X), before)


def test_a_fit_without_names_after_one_with_names_drops_them():
    X, y = problem()
    model = SoftmaxRegression().fit(pd.DataFrame(X, columns=list("abcd")), y)
    model.fit(X, y)
    assert not hasattr(model, "feature_names_in_") and model.n_features_in_ == 4


# ---------------------------------------------------------------- threads


def test_pickles_taken_during_fits_hold_one_fit():
    # Every pickle must be one fit's attributes with that fit's C++ model: the copy of __dict__
    # was taken before the lock, so coef_ of one fit came with the model file of the next.
    rng = np.random.default_rng(3)
    X = rng.standard_normal((3000, 8))
    labels = [rng.integers(0, 3, 3000), rng.integers(0, 3, 3000)]
    model = SoftmaxRegression(warm_start=True, max_iter=3, n_threads=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, labels[0])
        pickles = []

        def refit():
            for i in range(30):
                model.fit(X, labels[i % 2])

        assert errors_while(lambda: pickles.append(pickle.dumps(model)), refit) == []
    assert len(pickles) > 0
    for data in pickles:
        restored = pickle.loads(data)
        np.testing.assert_array_equal(restored.coef_, restored._core.weights)
        np.testing.assert_array_equal(restored.intercept_, restored._core.intercept)


@pytest.mark.parametrize("refit", [True, False])
def test_predictions_during_cv_fits_see_whole_fits(refit):
    X, y = problem(rows=600, features=6, classes=4, seed=5)
    model = SoftmaxRegressionCV(Cs=[0.01, 1.0], cv=3, refit=refit, n_threads=1).fit(X, y)
    y_two = (y > 1).astype(int)  # another class count: a half-assigned model fails to predict

    def predict():
        probabilities = model.predict_proba(X)
        assert probabilities.shape[1] == model.classes_.size
        model.predict(X)

    def refit():
        for i in range(6):
            model.fit(X, y_two if i % 2 else y)

    assert errors_while(predict, refit) == []


def test_a_callback_that_refits_the_same_estimator_is_refused():
    X, y = problem()
    calls = []

    def refit(info):
        calls.append(info["iteration"])
        model.fit(X, y)

    model = SoftmaxRegression(callback=refit)
    with pytest.raises(RuntimeError, match="is fitting"):
        model.fit(X, y)
    assert calls == [1]
    # The outer fit is left at its first iterate, as for any exception from the callback.
    assert model.fit_report_.reason == "callback_stopped" and model.n_iter_[0] == 1
    model.set_params(callback=None).fit(X, y)
    assert model.fit_report_.reason == "converged"


# ---------------------------------------------------------------- the C search


def test_refit_false_ties_go_to_the_smaller_c_in_every_fold():
    X, y = separable()
    model = SoftmaxRegressionCV(Cs=[1000.0, 100.0], cv=3, refit=False).fit(X, y)
    assert np.all(model.scores_[0] == 1.0)  # every fold ties at both C
    assert model.best_index_ == 1
    np.testing.assert_array_equal(model.C_, [100.0] * 3)
    reference = SoftmaxRegressionCV(Cs=[100.0], cv=3, refit=False).fit(X, y)
    np.testing.assert_array_equal(model.coef_, reference.coef_)


def test_a_cv_refit_whose_objective_becomes_nan_raises_and_keeps_the_estimator(monkeypatch):
    import softmaxkit._estimator as estimator_module

    real = estimator_module._core.Model

    import softmaxkit._cv as cv_module

    real_search = cv_module._core.cross_validate

    def nan_refit(*args, **kwargs):
        # The core's refit ending 'nan' is its ValueError, raised after every fold's fits ran.
        real_search(*args, **kwargs)
        raise ValueError("cross_validate: the refit at C = 1 produced non-finite values (NaN or "
                         "inf in the features?)")

    X, y = problem()
    for refit in (True, False):
        model = SoftmaxRegressionCV(Cs=[0.1, 1.0], cv=2, refit=refit).fit(X, y)
        before = model.predict_proba(X)
        # refit=True: the core refits; refit=False: each fold's fit runs in a _core.Model.
        if refit:
            monkeypatch.setattr(cv_module._core, "cross_validate", nan_refit)
        else:
            monkeypatch.setattr(estimator_module._core, "Model", NanCore)
        with pytest.raises(ValueError, match="non-finite values" if refit else "NaN or infinite"):
            model.fit(X[:, :3], y)
        monkeypatch.setattr(estimator_module._core, "Model", real)
        monkeypatch.setattr(cv_module._core, "cross_validate", real_search)
        assert model.n_features_in_ == 4
        np.testing.assert_array_equal(model.predict_proba(X), before)


def test_ctrl_c_stops_a_search_within_one_fit():
    """SIGINT while the search runs: KeyboardInterrupt from the fit in progress, the estimator as
    it was. Without the per-iteration signal check it came after the whole search (50 L-BFGS fits
    of up to 5000 iterations here: many minutes)."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((20000, 200)) * np.logspace(-3, 3, 200)
    y = rng.integers(0, 10, 20000)
    model = SoftmaxRegressionCV(Cs=10, cv=5, solver="lbfgs", tol=1e-14, max_iter=5000,
                                n_threads=1)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        try:
            timer.start()
            model.fit(X, y)
        finally:
            timer.cancel()
            timer.join()
    # A liveness bound, not a speed target: the whole search takes far longer than this.
    assert time.monotonic() - start < 120
    assert not hasattr(model, "coef_") and not hasattr(model, "Cs_")


def test_malformed_explicit_folds_name_cv():
    X, y = problem()
    half = np.arange(60)
    for cv in ([5], [(half,)], [(half, half, half)], "five"):
        with pytest.raises(ValueError, match="cv"):
            SoftmaxRegressionCV(Cs=2, cv=cv).fit(X, y)


def test_an_int_c_beyond_float64_names_cs():
    X, y = problem()
    with pytest.raises(ValueError, match="Cs"):
        SoftmaxRegressionCV(Cs=[1.0, 10**400]).fit(X, y)


# ---------------------------------------------------------------- predictions, files, options


def test_rows_whose_logits_overflow_are_refused_by_predict():
    X, y = problem()
    X *= 1e-3  # weights of order 100, so that features of 1e308 overflow the logits
    model = SoftmaxRegression(C=1e6).fit(X, y)
    # A row of +-1e308 whose logits are +inf in two classes: softmax's inf - inf is NaN.
    signs = np.array(np.meshgrid(*[[-1.0, 1.0]] * 4)).reshape(4, -1).T
    logits = signs @ model.coef_.T
    row = signs[np.flatnonzero((logits > 0).sum(axis=1) >= 2)[0]] * 1e308
    huge = np.vstack([X[:3], row])
    probabilities = model.predict_proba(huge)
    assert np.isnan(probabilities[3]).all() and not np.isnan(probabilities[:3]).any()
    with pytest.raises(ValueError, match=r"^SoftmaxRegression\.predict: row 3"):
        model.predict(huge)
    # score names itself (it said "SoftmaxRegression.predict", which the caller never called)
    with pytest.raises(ValueError, match=r"^SoftmaxRegression\.score: row 3"):
        model.score(huge, np.zeros(4, dtype=int))
    # and is otherwise scikit-learn's weighted accuracy
    weights = np.array([1.0, 2.0, 0.5])
    expected = np.average(model.predict(X[:3]) == y[:3], weights=weights)
    assert model.score(X[:3], y[:3], sample_weight=weights) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("refit", [True, False])
@pytest.mark.parametrize("scoring", [None, "accuracy", "neg_log_loss"])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_cv_score_names_itself_for_rows_whose_logits_overflow(refit, scoring):
    # SoftmaxRegressionCV.score went through scikit-learn's scorer: it named
    # "SoftmaxRegressionCV.predict" (accuracy) or said only "Input contains NaN." (log-loss).
    X, y = problem()
    X *= 1e-3
    model = SoftmaxRegressionCV(Cs=[1e6], cv=3, scoring=scoring, refit=refit).fit(X, y)
    huge = np.vstack([X[:3], np.full(X.shape[1], 1.7e308), X[3:5]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # refit=False's numpy product warned
        assert np.isnan(model.predict_proba(huge)[3]).all()
        with pytest.raises(ValueError,
                           match=r"^SoftmaxRegressionCV\.score: row 3 \(of 1 such rows\)"):
            model.score(huge, y[:6])


def test_load_reads_back_penalty_none(tmp_path):
    X, y = problem()
    for penalty, C in ((None, 1.0), ("l2", np.inf), ("l2", 1.0), ("l1", 1.0)):
        path = tmp_path / "model.skm"
        SoftmaxRegression(penalty=penalty, C=C).fit(X, y).save(path)
        expected = None if C == np.inf else penalty
        assert softmaxkit.load(path).penalty == expected


def test_negative_verbose_prints_nothing(capsys):
    X, y = problem()
    SoftmaxRegression(verbose=-1).fit(X, y)
    assert capsys.readouterr().out == ""
    SoftmaxRegression(verbose=1, max_iter=2).fit(X, y)
    assert capsys.readouterr().out.count("iteration") == 2


def test_weights_times_class_weights_beyond_float32_name_both():
    X, y = problem()
    weights = np.full(len(y), 1e37)
    with pytest.raises(ValueError, match=r"sample_weight\[\d+\] times its class weight"):
        SoftmaxRegression(class_weight={0: 100.0, 1: 1.0, 2: 1.0}).fit(
            X.astype(np.float32), y, sample_weight=weights)


def test_the_convergence_warning_names_the_cause_for_the_dtype():
    # Plain L-BFGS at C = 1e-30 (lambda = 1e28 on 120 rows) cannot see its steps in a float64
    # objective: the warning used to blame float32 rounding there too.
    X, y = problem()
    with pytest.warns(ConvergenceWarning, match="below float64's rounding") as record:
        SoftmaxRegression(C=1e-30, solver="lbfgs").fit(X, y)
    assert all("float32" not in str(w.message) for w in record)
    # Iris in float32 with plain L-BFGS ends on the float32 objective's rounding.
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    with pytest.warns(ConvergenceWarning, match="float32 objective's rounding"):
        SoftmaxRegression(solver="lbfgs").fit(X.astype(np.float32), y)


@pytest.mark.parametrize("first, second", [
    (np.array(["a", "b", "c"]), np.array(["x", "y", "z"])),
    (np.array(["a", "b", "c"]), np.array([0, 1, 2])),
    (np.array([0, 1, 2]), np.array(["0", "1", "2"])),
    (np.array([5, 6, 7]), np.array([1, 2, 3])),
])
@pytest.mark.parametrize("max_iter", [0, 3])
def test_warm_start_with_other_classes_starts_from_zero_whatever_their_type(first, second,
                                                                           max_iter):
    # String labels reach the core as indices 0..K-1, so two string label sets of one size
    # looked like the same classes to it: the warm fit started from the other fit's rows.
    X, y = problem()
    warm = SoftmaxRegression(warm_start=True, max_iter=50).fit(X, first[y])
    warm.set_params(max_iter=max_iter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm.fit(X, second[(y + 1) % 3])
        cold = SoftmaxRegression(max_iter=max_iter).fit(X, second[(y + 1) % 3])
    np.testing.assert_array_equal(warm.classes_, cold.classes_)
    np.testing.assert_array_equal(warm.coef_, cold.coef_)
    np.testing.assert_array_equal(warm.intercept_, cold.intercept_)


def test_warm_start_with_the_same_string_classes_continues():
    X, y = problem()
    labels = np.array(["a", "b", "c"])[y]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm = SoftmaxRegression(warm_start=True, max_iter=2).fit(X, labels)
        warm.set_params(max_iter=0)
        before = warm.coef_.copy()
        warm.fit(X, labels)
    np.testing.assert_array_equal(warm.coef_, before)  # max_iter 0 from the previous point


def test_float32_weights_beyond_float32_are_named_as_given():
    # On float32 X the weights were cast to float32 before any check: 1e39 read as
    # "Input sample_weight contains infinity", 1e-46 everywhere as "all weights are zero".
    X, y = problem()
    X32 = X.astype(np.float32)
    for estimator in (SoftmaxRegression(), SoftmaxRegressionCV(Cs=2, cv=2)):
        name = type(estimator).__name__
        with pytest.raises(ValueError, match=rf"^{name}: sample_weight\[0\] is 1e\+39, beyond "
                                             r"float32's range"):
            clone(estimator).fit(X32, y, sample_weight=np.full(len(y), 1e39))
        with pytest.raises(ValueError, match=rf"^{name}: sample_weight\[0\] is 1e-46, and every "
                                             r"positive weight rounds to 0 in float32"):
            clone(estimator).fit(X32, y, sample_weight=np.full(len(y), 1e-46))
    # The same weights fit float64 X, and scaled into float32's range by a power of two (C the
    # other way: the same problem) they fit float32 X to that model within float32's rounding.
    weights = np.full(len(y), 2.0 ** 130)
    wide = SoftmaxRegression(C=2.0 ** -130).fit(X, y, sample_weight=weights)
    narrow = SoftmaxRegression(C=1.0).fit(X32, y, sample_weight=weights / 2.0 ** 130)
    np.testing.assert_allclose(narrow.coef_, wide.coef_, rtol=1e-3, atol=1e-4)
    # A weight within float32 keeps its value: one row of 1e30 among ones fits.
    heavy = np.ones(len(y))
    heavy[3] = 1e30
    SoftmaxRegression().fit(X32, y, sample_weight=heavy)


def test_file_names_that_are_not_utf8_save_load_and_appear_in_errors(tmp_path):
    # os.listdir and pathlib give such names as surrogate escapes, which the core's std::string
    # refused with a TypeError; an error naming such a file was a UnicodeDecodeError.
    X, y = problem()
    model = SoftmaxRegression().fit(X, y)
    name = tmp_path / os.fsdecode(b"model\xff\xfe.skm")
    model.save(name)
    assert os.listdir(tmp_path) == [os.fsdecode(b"model\xff\xfe.skm")]
    assert softmaxkit.load(name).predict_proba(X).tobytes() == model.predict_proba(X).tobytes()
    assert softmaxkit.load(str(name)).coef_.tobytes() == model.coef_.tobytes()
    absent = os.fsdecode(b"absent\xff.skm")
    with pytest.raises(ValueError, match="absent\udcff.skm': No such file"):
        softmaxkit.load(tmp_path / absent)
