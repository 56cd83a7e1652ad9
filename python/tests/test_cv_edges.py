"""SoftmaxRegressionCV on adversarial parameters and folds: each bad one is a ValueError naming
the parameter (never a MemoryError, a TypeError from the binding, a numpy IndexError or a silently
truncated index), compared with scikit-learn's LogisticRegressionCV where it defines the case.
"""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.model_selection import StratifiedKFold

from sklearn_peers import logistic_regression_cv
from softmaxkit import SoftmaxRegressionCV


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


@pytest.mark.parametrize(
    "Cs", [0, -1, 1.5, [], [0], [-1.0], [float("nan")], [float("inf")], True, [[1, 2]], "abc"]
)
def test_bad_Cs(iris, Cs):
    with pytest.raises(ValueError, match="Cs must be"):
        SoftmaxRegressionCV(Cs=Cs).fit(*iris)


def test_a_huge_Cs_count_is_refused_before_allocating(iris):
    # It used to build numpy.logspace(-4, 4, 10**12): a MemoryError for 7 TiB.
    for Cs in (10**12, 10001):
        with pytest.raises(ValueError, match=r"Cs must be an int in \[1, 10000\]"):
            SoftmaxRegressionCV(Cs=Cs).fit(*iris)


@pytest.mark.parametrize("cv", [1, 0, -1])
def test_fewer_than_two_folds_names_cv(iris, cv):
    # scikit-learn's own message names n_splits; ours names the estimator's parameter.
    with pytest.raises(ValueError, match="cv must be"):
        SoftmaxRegressionCV(Cs=3, cv=cv).fit(*iris)


def test_bad_explicit_folds_name_the_fold(iris):
    X, y = iris
    everything = np.arange(150)
    cases = {
        "empty test": ([(everything[::2], np.array([], dtype=int))], "fold 0 test is empty"),
        "negative": ([(np.array([-1, 0, 1, 50, 51, 100, 101]), np.array([2]))], "index -1"),
        "out of range": ([(everything, np.array([150]))], "index 150, outside"),
        "float": ([(everything[::2] + 0.5, everything[1::2])], "integer indices"),
        "2-d": ([(everything.reshape(2, 75), everything[:3])], "1-d array"),
        "short mask": ([(np.ones(10, bool), everything[:3])], "boolean mask of length 10"),
        "no folds": ([], "no folds"),
    }
    for name, (folds, message) in cases.items():
        with pytest.raises(ValueError, match=message):
            SoftmaxRegressionCV(Cs=3, cv=folds).fit(X, y)


def test_boolean_masks_are_masks_as_in_scikit_learn(iris):
    # A mask used to become the indices 0 and 1 (numpy's int64 cast): a silently wrong search.
    X, y = iris
    folds = list(StratifiedKFold(3).split(X, y))
    masks = []
    for train, test in folds:
        train_mask, test_mask = np.zeros(150, bool), np.zeros(150, bool)
        train_mask[train], test_mask[test] = True, True
        masks.append((train_mask, test_mask))
    by_index = SoftmaxRegressionCV(Cs=[0.1, 1.0, 10.0], cv=folds).fit(X, y)
    by_mask = SoftmaxRegressionCV(Cs=[0.1, 1.0, 10.0], cv=masks).fit(X, y)
    np.testing.assert_array_equal(by_mask.scores_[0], by_index.scores_[0])
    np.testing.assert_array_equal(by_mask.coef_, by_index.coef_)


def test_overlapping_folds_are_used_as_given_like_scikit_learn(iris):
    # Neither library checks that train and test are disjoint: training on every row and
    # testing on every row is a (meaningless but defined) search; both choose the same C.
    X, y = iris
    folds = [(np.arange(150), np.arange(150))] * 2
    Cs = [1e-2, 1.0, 100.0]
    ours = SoftmaxRegressionCV(Cs=Cs, cv=folds, scoring="neg_log_loss", tol=1e-10).fit(X, y)
    peer = logistic_regression_cv(X, y, Cs, folds, "neg_log_loss")
    np.testing.assert_allclose(ours.scores_[0], peer.scores_[0], rtol=0, atol=1e-3)
    assert ours.C_[0] == peer.C_[0] == 100.0


@pytest.mark.parametrize("n_threads", [0, -1, 4097, 10**6, 2**70, 1.5])
def test_bad_n_threads(iris, n_threads):
    # 10**6 used to reach the core (named "threads"), 2**70 the binding (a RuntimeError).
    with pytest.raises(ValueError, match=r"n_threads must be None or an int in \[1, 4096\]"):
        SoftmaxRegressionCV(Cs=2, n_threads=n_threads).fit(*iris)


def test_scoring_labels_and_refit_false(iris):
    X, y = iris
    with pytest.raises(ValueError, match="scoring must be"):
        SoftmaxRegressionCV(Cs=2, scoring="roc_auc").fit(X, y)
    with pytest.raises(ValueError, match="at least 2 classes"):
        SoftmaxRegressionCV(Cs=2).fit(X, np.zeros(150, int))
    with pytest.raises(ValueError, match="Unknown label type"):  # as scikit-learn
        SoftmaxRegressionCV(Cs=2).fit(X, y + 0.5)
    # Integral floats are class labels, as in scikit-learn.
    model = SoftmaxRegressionCV(Cs=2, cv=3).fit(X, y.astype(float))
    np.testing.assert_array_equal(model.classes_, [0.0, 1.0, 2.0])
    # refit=False: predict uses the folds' averaged coefficients, as LogisticRegressionCV does.
    folds = list(StratifiedKFold(3).split(X, y))
    ours = SoftmaxRegressionCV(Cs=[0.1, 1.0], cv=folds, refit=False, tol=1e-10).fit(X, y)
    proba = ours.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert ours.score(X, y) > 0.9
    with pytest.raises(ValueError, match="refit=False"):
        ours.save("/nonexistent/never-written.skm")


@pytest.mark.parametrize("tol", [float("inf"), float("nan"), 0.0, -1.0])
def test_bad_tol(iris, tol):
    # inf used to reach the core, which named it "tolerance".
    with pytest.raises(ValueError, match="tol must be a finite number > 0"):
        SoftmaxRegressionCV(Cs=2, tol=tol).fit(*iris)


def test_a_lambda_beyond_float_is_named_and_float64_fits(iris):
    # float32 X computes in float: lambda = 1 / (1e-300 m) does not fit; float64 X does.
    X, y = iris
    with pytest.raises(ValueError, match=r"C = 1e-300 .*float64 X in Python"):
        SoftmaxRegressionCV(Cs=[1.0, 1e-300], cv=3).fit(X.astype(np.float32), y)
    model = SoftmaxRegressionCV(Cs=[1.0, 1e-300], cv=3).fit(X, y)
    assert model.C_[0] == 1.0
    assert np.all(np.isfinite(model.scores_[0]))
