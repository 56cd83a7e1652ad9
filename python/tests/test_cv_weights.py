"""SoftmaxRegressionCV with sample_weight and class_weight.

References: (1) the same search on rows repeated w times (integer weights must act as repeated
rows in the fits and in the held-out scores); (2) scikit-learn's LogisticRegressionCV fitted with
the same weights on the same folds, its per-(fold, C) coefficients (coefs_paths_) scored here in
numpy with weighted held-out means (scikit-learn 1.2 scores its folds unweighted, so its scores_
are not the reference). Also: CSR equals dense, float32, and the ValueErrors.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse
from scipy.special import softmax
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold

from softmaxkit import SoftmaxRegression, SoftmaxRegressionCV

CS = np.logspace(-2, 2, 5)


def weighted_iris(seed=0):
    X, y = load_iris(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    weights = np.random.default_rng(seed).integers(0, 4, size=y.size).astype(np.float64)
    folds = list(StratifiedKFold(5, shuffle=True, random_state=seed).split(X, y))
    return X, y, weights, folds


def tight(**params):
    return SoftmaxRegressionCV(**{"Cs": CS, "tol": 1e-10, "max_iter": 10000, **params})


def peer_cv(X, y, folds, sample_weight, Cs=CS, **params):
    """LogisticRegressionCV(Cs, cv=folds, lbfgs, tol=1e-10, multinomial, **params), weighted."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its ConvergenceWarnings and multi_class deprecation
        return LogisticRegressionCV(
            Cs=Cs, cv=folds, solver="lbfgs", tol=1e-10, max_iter=10000,
            multi_class="multinomial", **params,
        ).fit(X, y, sample_weight=sample_weight)


def repeated(indices, weights):
    return np.repeat(indices, weights[indices].astype(int))


@pytest.mark.parametrize("scoring", [None, "neg_log_loss"])
def test_integer_weights_act_as_repeated_rows(scoring):
    X, y, weights, folds = weighted_iris()
    ours = tight(cv=folds, scoring=scoring).fit(X, y, sample_weight=weights)
    repeated_folds = [(repeated(train, weights), repeated(test, weights)) for train, test in folds]
    reference = tight(cv=repeated_folds, scoring=scoring).fit(X, y)
    np.testing.assert_allclose(ours.log_loss_, reference.log_loss_, rtol=1e-7)
    np.testing.assert_allclose(ours.scores_[0], reference.scores_[0], rtol=1e-7, atol=1e-12)
    assert ours.C_[0] == reference.C_[0]
    # The refit weighs all rows: a plain fit on the rows repeated.
    rows = np.repeat(np.arange(y.size), weights.astype(int))
    direct = SoftmaxRegression(C=ours.C_[0], tol=1e-10, max_iter=10000).fit(X[rows], y[rows])
    np.testing.assert_allclose(ours.coef_, direct.coef_, rtol=1e-6, atol=1e-8)
    # And the weights matter here (else the comparison would prove little).
    unweighted = tight(cv=folds, scoring=scoring).fit(X, y)
    assert np.max(np.abs(unweighted.log_loss_ - ours.log_loss_)) > 1e-3


def weighted_scores(peer, X, y, weights, folds):
    """Weighted held-out accuracy and log-loss of scikit-learn's per-(fold, C) coefficients."""
    # Multinomial: coefs_paths_[k] is class k's (folds, Cs, features + 1).
    paths = np.stack([peer.coefs_paths_[k] for k in peer.classes_], axis=2)
    accuracy = np.empty(paths.shape[:2])
    log_loss = np.empty(paths.shape[:2])
    for f, (_, test) in enumerate(folds):
        w = weights[test]
        for c in range(paths.shape[1]):
            coef = paths[f, c]
            p = softmax(X[test] @ coef[:, :-1].T + coef[:, -1], axis=1)
            accuracy[f, c] = np.sum(w * (p.argmax(axis=1) == y[test])) / w.sum()
            log_loss[f, c] = -np.sum(w * np.log(p[np.arange(test.size), y[test]])) / w.sum()
    return accuracy, log_loss


@pytest.mark.parametrize(
    "sample_weighted, class_weight",
    [(True, None), (False, "balanced"), (True, "balanced"), (True, {0: 1.0, 1: 3.0, 2: 0.5})],
)
def test_weighted_fits_match_scikit_learn(sample_weighted, class_weight):
    X, y, weights, folds = weighted_iris(seed=1)
    sample_weight = weights if sample_weighted else None
    ours = tight(cv=folds, class_weight=class_weight).fit(X, y, sample_weight=sample_weight)
    peer = peer_cv(X, y, folds, sample_weight, class_weight=class_weight)
    # The held-out rows weigh their sample weight times their class weight, as in the fits.
    row_weights = np.ones(y.size) if sample_weight is None else sample_weight.copy()
    if class_weight is not None:
        from sklearn.utils.class_weight import compute_class_weight

        row_weights *= compute_class_weight(class_weight, classes=np.unique(y), y=y)[y]
    accuracy, log_loss = weighted_scores(peer, X, y, row_weights, folds)
    np.testing.assert_allclose(ours.log_loss_, log_loss, rtol=0, atol=1e-3)
    # An accuracy may differ by one held-out row whose two best classes nearly tie.
    largest_share = max(row_weights[test].max() / row_weights[test].sum() for _, test in folds)
    assert np.max(np.abs(ours.scores_[0] - accuracy)) <= largest_share + 1e-12
    # The refit at the same C against scikit-learn's LogisticRegression with the same weights.
    single = peer_cv(X, y, folds, sample_weight, Cs=[ours.C_[0]], class_weight=class_weight)
    np.testing.assert_allclose(ours.coef_, single.coef_, rtol=0, atol=2e-3)


def test_csr_and_float32_agree_with_dense():
    X, y, weights, folds = weighted_iris(seed=2)
    dense = tight(cv=folds).fit(X, y, sample_weight=weights)
    sparse = tight(cv=folds).fit(scipy.sparse.csr_matrix(X), y, sample_weight=weights)
    np.testing.assert_allclose(sparse.log_loss_, dense.log_loss_, rtol=1e-9)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-7, atol=1e-9)
    single = SoftmaxRegressionCV(Cs=CS, cv=folds).fit(
        X.astype(np.float32), y, sample_weight=weights.astype(np.float32))
    np.testing.assert_allclose(single.log_loss_, dense.log_loss_, rtol=0, atol=1e-4)


def test_refit_false_averages_weighted_fold_fits():
    X, y, weights, folds = weighted_iris(seed=3)
    ours = tight(cv=folds, refit=False, Cs=[0.5]).fit(X, y, sample_weight=weights)
    fold_coefs = [
        SoftmaxRegression(C=0.5, tol=1e-10, max_iter=10000)
        .fit(X[train], y[train], sample_weight=weights[train]).coef_
        for train, _ in folds
    ]
    np.testing.assert_allclose(ours.coef_, np.mean(fold_coefs, axis=0), rtol=1e-6, atol=1e-8)


def weighted_objective(X, y, weights, coef, intercept, C):
    """scikit-learn's multinomial objective: sum w_i CE_i + ||W||^2 / (2C), in float64."""
    logits = X @ coef.T + intercept
    top = logits.max(axis=1, keepdims=True)
    lse = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
    return np.sum(weights * (lse - logits[np.arange(y.size), y])) + np.sum(coef ** 2) / (2 * C)


def test_a_fold_whose_training_rows_of_a_class_all_weigh_0_trains_as_scikit_learn_does():
    # As LogisticRegressionCV (and a single fit, which allows a class weighing 0): the fold's
    # model keeps the class and learns it is absent (it was a ValueError, "every fold must train
    # on every class"). Its fits reach scikit-learn's optimum on the fold's weighted rows.
    X, y, weights, folds = weighted_iris(seed=4)
    no_class = weights.copy()
    train, test = folds[2]
    no_class[train[y[train] == 1]] = 0
    ours = tight(cv=folds, refit=False).fit(X, y, sample_weight=no_class)
    assert np.all(np.isfinite(ours.log_loss_)) and 0 < ours.C_[0]
    paths = np.stack([ours.coefs_paths_[k] for k in ours.classes_], axis=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for c, C in enumerate(CS):
            peer = LogisticRegression(C=C, solver="lbfgs", tol=1e-12, max_iter=100000,
                                      multi_class="multinomial")
            peer.fit(X[train], y[train], sample_weight=no_class[train])
            assert list(peer.classes_) == [0, 1, 2]  # the class's rows are there, weighing 0
            coef = paths[2, c]
            mine = weighted_objective(X[train], y[train], no_class[train], coef[:, :-1],
                                      coef[:, -1], C)
            theirs = weighted_objective(X[train], y[train], no_class[train], peer.coef_,
                                        peer.intercept_, C)
            assert mine <= theirs * (1 + 1e-7), (C, mine, theirs)
            # The fold's model gives the absent class almost no probability.
            p = softmax(X[train] @ coef[:, :-1].T + coef[:, -1], axis=1)
            assert p[:, 1].max() < 1e-3


def test_weightless_folds_and_bad_weights_are_value_errors():
    X, y, weights, folds = weighted_iris(seed=4)
    no_test = weights.copy()
    no_test[folds[3][1]] = 0
    with pytest.raises(ValueError, match="sample_weight: every row of the test part of fold 3 "
                                         "weighs 0"):
        tight(cv=folds).fit(X, y, sample_weight=no_test)
    negative = weights.copy()
    negative[17] = -1
    with pytest.raises(ValueError, match=r"sample_weight\[17\] is -1"):
        tight(cv=folds).fit(X, y, sample_weight=negative)
    nan = weights.copy()
    nan[5] = np.nan
    with pytest.raises(ValueError):
        tight(cv=folds).fit(X, y, sample_weight=nan)
    with pytest.raises(ValueError, match="sample_weight"):
        tight(cv=folds).fit(X, y, sample_weight=weights[:-1])
    with pytest.raises(ValueError, match="class_weight must be None, 'balanced' or a dict"):
        tight(cv=folds, class_weight="even").fit(X, y)
    # A negative, NaN or missing (None) class weight is named as such before the folds are
    # checked (which called the class's rows weightless, or named a sample weight the caller
    # never gave), for both estimators and refit=False.
    for bad, shown in ((-0.5, "-0.5"), (np.nan, "nan"), (None, "nan")):
        pattern = rf"class_weight for class 1 is {shown} \(must be finite and >= 0\)"
        for estimator in (tight(cv=folds, class_weight={1: bad}),
                          tight(cv=folds, class_weight={1: bad}, refit=False),
                          SoftmaxRegression(class_weight={1: bad})):
            with pytest.raises(ValueError, match=pattern):
                estimator.fit(X, y)
    # A scalar NaN sample weight (scikit-learn's _check_sample_weight does not check a scalar's
    # finiteness) is named, not reported as leaving one class or none weighted.
    for estimator in (tight(cv=folds), tight(cv=folds, refit=False), SoftmaxRegression()):
        with pytest.raises(ValueError, match=r"sample_weight\[0\] is nan \(must be finite"):
            estimator.fit(X, y, sample_weight=np.nan)

    # Finite weights whose sum over a fold's test rows is outside what a mean can divide by:
    # 1e307 overflowed to NaN scores (then "min() arg is an empty sequence"), and 5e-324 gave
    # a log-loss of 0.033 for 0.103 (equal test weights must give the unweighted mean).
    train, test = folds[0]
    # (1e307 overflows the whole's sum first, which is checked before the folds.)
    for tiny, named in ((1e307, r"sample_weight: the weights sum to inf"),
                        (5e-324, r"folds\[0\]\.test: sample_weight: the weights sum to 1\.48")):
        extreme = np.ones(len(y))
        extreme[test] = tiny
        with pytest.raises(ValueError, match=named + r".*rescale them"):
            tight(cv=[(train, test)]).fit(X, y, sample_weight=extreme)


def test_a_held_out_row_with_nan_probabilities_is_named():
    # A held-out row whose logits overflow has NaN probabilities: the search scored it as
    # classes_[0] (accuracy) or made the best C undefined (log-loss, "min() arg is an empty
    # sequence"); predict and score name such a row, and so does the search now.
    X, y = load_iris(return_X_y=True)
    X = X.copy()
    X[149] = [1e308, -1e308, 1e308, -1e308]
    train, test = np.arange(0, 140), np.arange(140, 150)
    for scoring in ("accuracy", "neg_log_loss"):
        estimator = SoftmaxRegressionCV(Cs=[10.0], cv=[(train, test)], scoring=scoring)
        with pytest.raises(ValueError, match=r"folds\[0\]\.test\[9\] \(row 149\) has NaN "
                                             r"class probabilities at C = 10"):
            estimator.fit(X, y)
        assert not hasattr(estimator, "coef_")


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_coefs_paths_are_each_folds_fit_in_scikit_learns_layout(fit_intercept):
    X, y, weights, folds = weighted_iris(seed=5)
    ours = tight(cv=folds, fit_intercept=fit_intercept).fit(X, y, sample_weight=weights)
    peer = peer_cv(X, y, folds, weights, fit_intercept=fit_intercept)
    assert sorted(ours.coefs_paths_) == sorted(peer.coefs_paths_)
    for cls in peer.coefs_paths_:
        assert ours.coefs_paths_[cls].shape == peer.coefs_paths_[cls].shape
    # Each (fold, C) entry is the fit on that fold's training rows at that C.
    for f, (train, _) in enumerate(folds):
        for c, C in enumerate(CS):
            single = SoftmaxRegression(C=C, tol=1e-10, max_iter=10000,
                                       fit_intercept=fit_intercept)
            single.fit(X[train], y[train], sample_weight=weights[train])
            got = np.stack([ours.coefs_paths_[k][f, c] for k in ours.classes_])
            np.testing.assert_allclose(got[:, :X.shape[1]], single._core.weights,
                                       rtol=1e-5, atol=1e-6)
            if fit_intercept:
                np.testing.assert_allclose(got[:, -1], single._core.intercept,
                                           rtol=1e-5, atol=1e-6)
    # And scikit-learn's weights (the penalised part, which has one gauge) agree.
    got = np.stack([ours.coefs_paths_[k] for k in ours.classes_])[..., :X.shape[1]]
    want = np.stack([peer.coefs_paths_[k] for k in peer.classes_])[..., :X.shape[1]]
    np.testing.assert_allclose(got, want, rtol=0, atol=5e-3 * max(1.0, np.abs(want).max()))
