"""SoftmaxRegressionCV and the core's fit_path / cross_validate on scipy.sparse input: the same
choice and scores as on the dense copy (the dense search is itself checked against scikit-learn in
test_cv.py), and against scikit-learn's LogisticRegressionCV on the same sparse data and folds.

Data: random sparse rows with labels that depend on them (so C matters), every 11th row empty and
column 3 never stored.
"""

import numpy as np
import pytest
import scipy.sparse
from sklearn.model_selection import StratifiedKFold

from sklearn_peers import logistic_regression_cv
from softmaxkit import SoftmaxRegressionCV, _core

CS = np.logspace(-2, 2, 5)


def sparse_problem(rows, features, classes, density, dtype=np.float64, seed=0):
    rng = np.random.RandomState(seed)
    X = scipy.sparse.random(
        rows, features, density=density, format="lil", dtype=np.float64, random_state=rng
    )
    X[::11] = 0  # empty rows
    X[:, 3] = 0  # an empty column
    X = X.tocsr()
    X.eliminate_zeros()
    scores = X @ rng.normal(scale=3.0, size=(features, classes))
    scores += rng.normal(size=(rows, classes))
    y = np.argmax(scores, axis=1)
    return X.astype(dtype), y


def test_the_problem_has_empty_rows_and_an_empty_column():
    X, y = sparse_problem(240, 20, 3, 0.3)
    assert np.any(np.diff(X.indptr) == 0)
    assert 3 not in X.indices
    assert np.bincount(y).min() >= 10


@pytest.mark.parametrize("scoring", [None, "neg_log_loss"])
def test_sparse_equals_its_dense_copy(scoring):
    X, y = sparse_problem(240, 20, 3, 0.3)
    folds = list(StratifiedKFold(4).split(X, y))
    options = dict(Cs=CS, cv=folds, scoring=scoring, tol=1e-10, max_iter=10000)
    sparse = SoftmaxRegressionCV(**options).fit(X, y)
    dense = SoftmaxRegressionCV(**options).fit(X.toarray(), y)
    np.testing.assert_array_equal(sparse.C_, dense.C_)
    a, b = sparse.scores_[sparse.classes_[0]], dense.scores_[dense.classes_[0]]
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-8)
    np.testing.assert_allclose(sparse.log_loss_, dense.log_loss_, rtol=1e-8, atol=0)
    # The refit at the chosen C.
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=0, atol=1e-5)
    np.testing.assert_allclose(sparse.predict_proba(X), dense.predict_proba(X.toarray()), atol=1e-7)


def test_any_scipy_format_and_float32():
    X, y = sparse_problem(240, 20, 3, 0.3)
    reference = SoftmaxRegressionCV(Cs=CS, cv=3, tol=1e-8).fit(X, y)
    for other in (X.tocsc(), X.tocoo(), scipy.sparse.csr_array(X)):
        fitted = SoftmaxRegressionCV(Cs=CS, cv=3, tol=1e-8).fit(other, y)
        # Converted to the same canonical CSR arrays: the same bits.
        np.testing.assert_array_equal(fitted.log_loss_, reference.log_loss_)
        np.testing.assert_array_equal(fitted.coef_, reference.coef_)
    X32 = X.astype(np.float32)
    sparse = SoftmaxRegressionCV(Cs=CS, cv=3, tol=1e-6).fit(X32, y)
    dense = SoftmaxRegressionCV(Cs=CS, cv=3, tol=1e-6).fit(X32.toarray(), y)
    np.testing.assert_array_equal(sparse.C_, dense.C_)
    # Float fits stop within tol 1e-6 of the optimum, each path on its own rounding (CSR and dense
    # kernels sum differently); a held-out log-loss moves to first order with the parameters'
    # error, so 1e-4 here (seen: 1.4e-5 on one of 15).
    np.testing.assert_allclose(sparse.log_loss_, dense.log_loss_, rtol=1e-4)


def test_unsorted_indices_and_duplicates_are_made_canonical():
    X, y = sparse_problem(240, 20, 3, 0.3)
    reference = SoftmaxRegressionCV(Cs=[0.1, 10.0], cv=3, tol=1e-8).fit(X, y)
    # The same matrix with every stored value split in two halves, in reverse order per row.
    rows, cols = X.nonzero()
    values = np.asarray(X[rows, cols]).ravel()
    doubled = scipy.sparse.csr_matrix(
        (
            np.concatenate([values / 2, values / 2])[::-1],
            (np.concatenate([rows, rows])[::-1], np.concatenate([cols, cols])[::-1]),
        ),
        shape=X.shape,
    )
    doubled.has_canonical_format = False
    fitted = SoftmaxRegressionCV(Cs=[0.1, 10.0], cv=3, tol=1e-8).fit(doubled, y)
    np.testing.assert_array_equal(fitted.C_, reference.C_)
    np.testing.assert_allclose(fitted.log_loss_, reference.log_loss_, rtol=1e-12)


def test_refit_false_on_sparse_averages_the_folds():
    X, y = sparse_problem(240, 20, 3, 0.3)
    folds = list(StratifiedKFold(3).split(X, y))
    sparse = SoftmaxRegressionCV(Cs=CS, cv=folds, refit=False, tol=1e-10).fit(X, y)
    dense = SoftmaxRegressionCV(Cs=CS, cv=folds, refit=False, tol=1e-10).fit(X.toarray(), y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, atol=1e-5)
    np.testing.assert_allclose(sparse.predict_proba(X), dense.predict_proba(X.toarray()), atol=1e-7)


def test_core_fit_path_and_cross_validate_take_the_csr_tuple():
    X, y = sparse_problem(240, 20, 3, 0.3)
    labels = np.ascontiguousarray(y.astype(np.int32))
    csr = (X.shape[0], X.shape[1], X.indptr.astype(np.int64), X.indices.astype(np.int32), X.data)
    options = {"tolerance": 1e-10, "max_iterations": 10000, "threads": 2}
    sparse = _core.fit_path(csr, labels, list(CS), options)
    dense = _core.fit_path(X.toarray(), labels, list(CS), options)
    for s, d in zip(sparse, dense):
        assert s["C"] == d["C"]
        assert s["report"]["objective"] == pytest.approx(d["report"]["objective"], rel=1e-9)
        np.testing.assert_allclose(s["weights"], d["weights"], atol=1e-5)
    folds = list(StratifiedKFold(3).split(X, y))
    train = [f[0].astype(np.int64) for f in folds]
    test = [f[1].astype(np.int64) for f in folds]
    a = _core.cross_validate(csr, labels, list(CS), train, test, options, True)
    b = _core.cross_validate(X.toarray(), labels, list(CS), train, test, options, True)
    np.testing.assert_allclose(a["log_loss"], b["log_loss"], rtol=1e-8)
    assert a["best_index"] == b["best_index"]
    # scoring picks the best C by the mean of that score (log-loss: the smallest; ties to the
    # smaller C, and CS ascends); another name is refused.
    c = _core.cross_validate(csr, labels, list(CS), train, test, options, False,
                             scoring="log_loss")
    means = c["log_loss"].mean(axis=0)
    assert c["best_index"] == int(np.flatnonzero(means == means.min())[0])
    assert c["model"] is None
    with pytest.raises(ValueError, match="scoring must be 'accuracy' or 'log_loss', got 'f1'"):
        _core.cross_validate(csr, labels, list(CS), train, test, options, False, scoring="f1")
    # A malformed tuple is refused by the core's CSR validation, naming the entry.
    bad = (X.shape[0], X.shape[1], csr[2], np.full_like(csr[3], 99), csr[4])
    with pytest.raises(ValueError, match="column index 99"):
        _core.cross_validate(bad, labels, list(CS), train, test, options, False)


@pytest.mark.parametrize("scoring", ["neg_log_loss", None])
def test_sparse_against_scikit_learn_on_the_same_folds(scoring):
    X, y = sparse_problem(300, 20, 3, 0.3, seed=1)
    folds = list(StratifiedKFold(5).split(X, y))
    ours = SoftmaxRegressionCV(Cs=CS, cv=folds, scoring=scoring, tol=1e-10, max_iter=10000)
    ours.fit(X, y)
    peer = logistic_regression_cv(X, y, CS, folds, scoring)
    a = ours.scores_[ours.classes_[0]]
    b = peer.scores_[peer.classes_[0]]
    assert a.shape == b.shape == (5, CS.size)
    if scoring is None:
        # A held-out row near a tie may go either way (see test_cv.py): one row per fold.
        for fold, (_, test) in enumerate(folds):
            assert np.all(np.abs(a[fold] - b[fold]) <= 1.0 / len(test) + 1e-12)
        np.testing.assert_allclose(a.mean(axis=0), b.mean(axis=0), rtol=0, atol=1e-3)
    else:
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-3)
    assert ours.C_[0] == peer.C_[0]
