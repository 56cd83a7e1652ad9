"""SoftmaxRegressionCV against scikit-learn's LogisticRegressionCV on the same folds, its estimator
checks, thread-count determinism and bad parameters.

The peer is LogisticRegressionCV(Cs=..., cv=folds, solver="lbfgs", tol=1e-10), multinomial. Its
lbfgs does not reach tol=1e-10 (scipy's line search ends it: on digits fold 1 at C=1e-3 it stops
with a gradient norm of 0.56 where softmaxkit reaches 6e-7), so a held-out row whose two most
probable classes are within about 1e-4 may be predicted differently: per (fold, C) the accuracies
may differ by one held-out row; the log-losses (continuous in the parameters) agree within 1e-3,
the mean accuracies within 1e-3 and the chosen C exactly.
"""

import unittest
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_peers import logistic_regression_cv
from softmaxkit import SoftmaxRegressionCV

CS = np.logspace(-3, 2, 6)
DATASETS = {
    "iris": lambda: load_iris(return_X_y=True),
    # Scaled to [0, 1]: on the raw 0..16 pixels scikit-learn's lbfgs stops far from the optimum
    # at C = 100 (log-loss 0.017 away), which would measure scikit-learn, not softmaxkit.
    "digits": lambda: (load_digits().data / 16.0, load_digits().target),
}


def both(name, scoring):
    X, y = DATASETS[name]()
    folds = list(StratifiedKFold(5).split(X, y))
    ours = SoftmaxRegressionCV(Cs=CS, cv=folds, scoring=scoring, tol=1e-10, max_iter=10000)
    ours.fit(X, y)
    peer = logistic_regression_cv(X, y, CS, folds, scoring)
    return X, y, folds, ours, peer


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_log_loss_scores_and_choice_match_scikit_learn(name):
    _, _, _, ours, peer = both(name, "neg_log_loss")
    np.testing.assert_array_equal(ours.Cs_, peer.Cs_)
    a = ours.scores_[ours.classes_[0]]
    b = peer.scores_[peer.classes_[0]]
    assert a.shape == b.shape == (5, CS.size)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-3)
    assert ours.C_[0] == peer.C_[0]
    np.testing.assert_array_equal(ours.C_, np.full(ours.classes_.size, ours.C_[0]))
    np.testing.assert_array_equal(-ours.log_loss_, a)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_accuracy_scores_and_choice_match_scikit_learn(name):
    X, y, folds, ours, peer = both(name, None)
    a = ours.scores_[ours.classes_[0]]
    b = peer.scores_[peer.classes_[0]]
    for fold, (_, test) in enumerate(folds):
        assert np.all(np.abs(a[fold] - b[fold]) <= 1.0 / len(test) + 1e-12)
    np.testing.assert_allclose(a.mean(axis=0), b.mean(axis=0), rtol=0, atol=1e-3)
    assert ours.C_[0] == peer.C_[0]
    # The refit is the fit on all rows at the chosen C.
    assert ours.fit_report_.reason == "converged"
    assert abs(ours.score(X, y) - peer.score(X, y)) <= 2.0 / len(y)


def test_ties_go_to_the_smaller_C_and_refit_false_averages():
    X, y = load_iris(return_X_y=True)
    model = SoftmaxRegressionCV(Cs=[1e3, 1e4, 1e2], cv=3).fit(X, y)
    scores = model.scores_[model.classes_[0]].mean(axis=0)
    best = [c for c, s in zip(model.Cs_, scores) if s == scores.max()]
    assert model.C_[0] == min(best)
    averaged = SoftmaxRegressionCV(Cs=[0.1, 1.0, 10.0], cv=3, refit=False).fit(X, y)
    per_fold = np.argmax(averaged.scores_[averaged.classes_[0]], axis=1)
    assert averaged.C_[0] == pytest.approx(np.mean(averaged.Cs_[per_fold]))
    assert averaged.fit_report_ is None
    p = averaged.predict_proba(X)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    assert averaged.score(X, y) > 0.9
    with pytest.raises(ValueError, match="refit=False"):
        averaged.save("/nonexistent/never-written.skm")


@pytest.mark.parametrize("scoring", [None, "neg_log_loss"])
def test_the_refit_is_the_fit_on_all_rows_at_the_chosen_C(scoring):
    # The library chooses C (the mean over the folds, ties to the smaller C) and refits, as the
    # command does; the model is SoftmaxRegression's on all rows at that C, bit for bit.
    from softmaxkit import SoftmaxRegression

    X, y = load_digits(return_X_y=True)
    X = (X[:600] / 16.0).astype(np.float32)
    y = y[:600]
    weights = np.random.default_rng(3).integers(1, 4, size=y.size).astype(np.float64)
    search = SoftmaxRegressionCV(Cs=[1e-2, 1e-1, 1.0, 10.0], cv=3, scoring=scoring, tol=1e-8)
    search.fit(X, y, sample_weight=weights)
    means = search.scores_[search.classes_[0]].mean(axis=0)
    assert search.best_index_ == int(np.flatnonzero(means == means.max())[0])
    assert search.C_[0] == search.Cs_[search.best_index_]
    single = SoftmaxRegression(C=search.C_[0], tol=1e-8).fit(X, y, sample_weight=weights)
    assert search.coef_.tobytes() == single.coef_.tobytes()
    assert search.intercept_.tobytes() == single.intercept_.tobytes()
    assert search.fit_report_.pass_equivalents == single.fit_report_.pass_equivalents


def test_bitwise_identical_for_1_2_3_threads():
    X, y = load_digits(return_X_y=True)
    X = (X[:900] / 16.0).astype(np.float32)
    y = y[:900]
    fits = [SoftmaxRegressionCV(Cs=4, cv=3, n_threads=t).fit(X, y) for t in (1, 2, 3)]
    for other in fits[1:]:
        assert other.coef_.tobytes() == fits[0].coef_.tobytes()
        assert other.intercept_.tobytes() == fits[0].intercept_.tobytes()
        assert other.log_loss_.tobytes() == fits[0].log_loss_.tobytes()
        assert other.C_[0] == fits[0].C_[0]
        np.testing.assert_array_equal(other.n_iter_, fits[0].n_iter_)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"Cs": []}, "Cs"),
        ({"Cs": 0}, "Cs"),
        ({"Cs": [1.0, 0.0]}, "Cs"),
        ({"Cs": [1.0, -2.0]}, "Cs"),
        ({"Cs": [np.nan]}, "Cs"),
        ({"Cs": [1.0, np.inf]}, "Cs"),
        ({"Cs": [[1.0]]}, "Cs"),
        ({"Cs": "many"}, "Cs"),
        ({"scoring": "f1"}, "scoring"),
        ({"refit": 1}, "refit"),
        ({"tol": 0}, "tol"),
        ({"n_threads": 0}, "n_threads"),
        ({"cv": 1}, "n_splits|cv"),
        ({"cv": 51}, "n_splits|members|cv"),
    ],
)
def test_bad_parameters(params, match):
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=match):
            SoftmaxRegressionCV(**params).fit(X, y)


def test_a_class_absent_from_a_training_fold_is_refused():
    X, y = load_iris(return_X_y=True)
    train = np.flatnonzero(y != 2)
    folds = [(train, np.flatnonzero(y == 2)), (np.arange(100, 150), np.arange(100))]
    with pytest.raises(ValueError, match="class 2 is absent from the training part of fold 0"):
        SoftmaxRegressionCV(Cs=[1.0], cv=folds).fit(X, y)


@parametrize_with_checks(
    [
        SoftmaxRegressionCV(Cs=3),
        SoftmaxRegressionCV(Cs=[0.1, 10.0], cv=3, refit=False, scoring="neg_log_loss"),
    ]
)
def test_sklearn_estimator_check(estimator, check):
    try:
        check(estimator)
    except unittest.SkipTest as skip:  # a skipped check is a failure, as for SoftmaxRegression
        pytest.fail(f"scikit-learn skipped this check: {skip}")


@pytest.mark.parametrize("refit", [True, False])
def test_score_follows_scoring_as_logistic_regression_cv(refit):
    # SoftmaxRegressionCV inherited ClassifierMixin.score (accuracy) whatever scoring said;
    # LogisticRegressionCV.score uses get_scorer(scoring).
    from sklearn.metrics import accuracy_score, log_loss

    X, y = load_iris(return_X_y=True)
    folds = list(StratifiedKFold(3).split(X, y))
    weights = np.arange(len(y)) % 3 + 1.0
    for scoring in (None, "accuracy", "neg_log_loss"):
        model = SoftmaxRegressionCV(Cs=[0.1, 1.0], cv=folds, scoring=scoring, refit=refit)
        model.fit(X, y)
        probabilities = model.predict_proba(X)
        if scoring == "neg_log_loss":
            expected = -log_loss(y, probabilities, sample_weight=weights, labels=model.classes_)
        else:
            expected = accuracy_score(y, model.predict(X), sample_weight=weights)
        assert model.score(X, y, sample_weight=weights) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("refit", [True, False])
def test_score_is_scikit_learns_scorer_bit_for_bit_with_two_classes(refit):
    # With two classes scikit-learn's log-loss scorer scores the positive column alone; the
    # score's own log_loss on both columns differed from it by an ulp (an audit, boolean labels).
    from sklearn.metrics import get_scorer

    rng = np.random.default_rng(0)
    X, Xt = rng.normal(size=(120, 4)), rng.normal(size=(15, 4))
    y = np.arange(120) % 2 == 0
    for scoring in ("neg_log_loss", "accuracy"):
        model = SoftmaxRegressionCV(Cs=[0.1, 10], cv=3, scoring=scoring, refit=refit,
                                    max_iter=20).fit(X, y)
        weights = np.arange(15) % 3 + 0.5
        for w in (None, weights):
            assert model.score(Xt, y[:15], sample_weight=w) == \
                get_scorer(scoring)(model, Xt, y[:15], sample_weight=w)
