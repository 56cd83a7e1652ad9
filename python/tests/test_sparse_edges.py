"""scipy.sparse input at its edges (issue 13): int64 indices, every scipy format, non-canonical
CSR, unusual dtypes, NaN/inf, mixing sparse and dense between fit and predict. References: the
same estimator on the densified data, and scikit-learn's LogisticRegression as a peer."""

import warnings

import numpy as np
import pytest
import scipy.sparse
from sklearn.linear_model import LogisticRegression

from softmaxkit import SoftmaxRegression


def problem(rows=120, features=15, classes=3, density=0.3, dtype=np.float64, seed=0):
    rng = np.random.RandomState(seed)
    X = scipy.sparse.random(rows, features, density=density, format="csr", dtype=dtype,
                            random_state=rng)
    scores = X @ rng.normal(size=(features, classes)) * 3 + rng.normal(size=(rows, classes))
    y = np.argmax(scores, axis=1)
    y[:classes] = np.arange(classes)  # every class present
    return X, y


def with_index_dtype(X, dtype):
    out = X.copy()
    # Assigned after construction: scipy's constructor would narrow them back to int32.
    out.indices = X.indices.astype(dtype)
    out.indptr = X.indptr.astype(dtype)
    assert out.indices.dtype == dtype
    return out


def sklearn_objective(model, X, y, C):
    """sum_i CE_i + ||W||^2 / (2C) at the model's parameters (scikit-learn's convention; for two
    classes the symmetric K = 2 parametrisation is not unique, so use K >= 3)."""
    scores = np.asarray(X @ model.coef_.T) + model.intercept_
    top = scores.max(axis=1, keepdims=True)
    log_total = top[:, 0] + np.log(np.exp(scores - top).sum(axis=1))
    return float(np.sum(log_total - scores[np.arange(len(y)), y])
                 + np.sum(model.coef_ ** 2) / (2 * C))


def coefficients(model):
    return np.concatenate([model.coef_.ravel(), model.intercept_.ravel()])


def test_int64_indices_within_int32_train_the_int32_model_bitwise():
    X, y = problem()
    reference = SoftmaxRegression().fit(X, y)
    X64 = with_index_dtype(X, np.int64)
    model = SoftmaxRegression().fit(X64, y)
    np.testing.assert_array_equal(coefficients(model), coefficients(reference))
    np.testing.assert_array_equal(model.predict_proba(X64), reference.predict_proba(X))


@pytest.mark.parametrize("index", [2**31 - 1 + 2, 2**32 + 1, -1, 15])
def test_int64_index_outside_the_columns_is_a_value_error_naming_it(index):
    # scipy does not check int64 indices against the shape; 2**32 + 1 would wrap to column 1.
    X, y = problem()
    model = SoftmaxRegression().fit(X, y)
    bad = with_index_dtype(X, np.int64)
    offset = int(bad.indptr[7])
    assert bad.indptr[8] > offset
    bad.indices[offset] = index
    with pytest.raises(ValueError, match=rf"row 7, entry 0 .*column index {index} is outside"):
        SoftmaxRegression().fit(bad, y)
    with pytest.raises(ValueError, match=rf"row 7, entry 0 .*column index {index} is outside"):
        model.predict(bad)


@pytest.mark.parametrize("columns", [2**31 + 1, 2**32 + 7])
def test_a_shape_beyond_int32_columns_is_a_value_error_naming_it(columns):
    X = scipy.sparse.csr_matrix(
        (np.array([1.0, 2.0]), np.array([0, 5], np.int64), np.array([0, 1, 2], np.int64)),
        shape=(2, columns))
    with pytest.raises(ValueError, match=f"{columns} columns"):
        SoftmaxRegression().fit(X, [0, 1])


def test_2_to_the_31_columns_is_legal_and_refused_only_for_memory():
    # Column indices are int32, so 2**31 columns is the largest legal shape; the solver would
    # need terabytes, which fit refuses before allocating.
    X = scipy.sparse.csr_matrix(
        (np.array([1.0, 2.0]), np.array([0, 2**31 - 1], np.int64),
         np.array([0, 1, 2], np.int64)), shape=(2, 2**31))
    with pytest.raises(ValueError, match="GiB of memory"):
        SoftmaxRegression().fit(X, [0, 1])


@pytest.mark.filterwarnings("ignore::scipy.sparse.SparseEfficiencyWarning")  # DIA of a random X
@pytest.mark.parametrize("fmt", ["csc", "coo", "dok", "lil", "bsr", "dia", "csr_array"])
def test_every_scipy_format_trains_and_predicts_the_csr_model(fmt):
    X, y = problem(seed=1)
    reference = SoftmaxRegression().fit(X, y)
    converted = scipy.sparse.csr_array(X) if fmt == "csr_array" else X.asformat(fmt)
    model = SoftmaxRegression().fit(converted, y)
    np.testing.assert_array_equal(coefficients(model), coefficients(reference))
    np.testing.assert_array_equal(model.predict_proba(converted), reference.predict_proba(X))
    assert model.score(converted, y) == reference.score(X, y)


def messy_copy(X, seed=0):
    """The same matrix with every entry split in two halves, shuffled within the arrays:
    unsorted indices and duplicates, which scipy reads as their sums."""
    coo = X.tocoo()
    half = coo.data / 2
    order = np.random.RandomState(seed).permutation(2 * coo.nnz)
    rows = np.concatenate([coo.row, coo.row])[order]
    cols = np.concatenate([coo.col, coo.col])[order]
    data = np.concatenate([half, coo.data - half])[order]
    # Build CSR arrays directly (no sorting): row-grouped, unsorted within rows, duplicated.
    by_row = np.argsort(rows, kind="stable")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=X.shape[0]))])
    messy = scipy.sparse.csr_matrix((data[by_row], cols[by_row], indptr), shape=X.shape)
    assert not messy.has_canonical_format
    return messy


def test_non_canonical_csr_means_the_sum_of_duplicates_as_in_scikit_learn():
    X, y = problem(seed=2)
    messy = messy_copy(X)
    indices_before = messy.indices.copy()
    ours = SoftmaxRegression(C=1.0, tol=1e-10).fit(messy, y)
    canonical = SoftmaxRegression(C=1.0, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(coefficients(ours), coefficients(canonical), atol=1e-9)
    np.testing.assert_array_equal(messy.indices, indices_before)  # the caller's X is not sorted
    np.testing.assert_allclose(ours.predict_proba(messy), canonical.predict_proba(X), atol=1e-12)
    # scikit-learn reads the same matrix the same way: its model is ours to its tolerance.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = LogisticRegression(C=1.0, tol=1e-10, max_iter=10000).fit(messy, y)
    # Same objective (the optimum is flat: coefficients agree to about 1e-4 only).
    ours_value = sklearn_objective(ours, X, y, 1.0)
    assert ours_value <= sklearn_objective(peer, X, y, 1.0) * (1 + 1e-9)
    assert ours_value == pytest.approx(sklearn_objective(peer, X, y, 1.0), rel=1e-7)
    np.testing.assert_allclose(ours.coef_, peer.coef_, atol=1e-3)
    np.testing.assert_array_equal(ours.predict(messy), peer.predict(messy))


def test_duplicates_that_cancel_and_stored_zeros_are_zeros():
    X, y = problem(seed=3)
    reference = SoftmaxRegression(tol=1e-10).fit(X, y)
    coo = X.tocoo()
    # Every entry plus a +5/-5 pair at column 0 of its row, and an explicit zero at the last one.
    rows = np.concatenate([coo.row, np.arange(X.shape[0]), np.arange(X.shape[0]),
                           np.arange(X.shape[0])])
    cols = np.concatenate([coo.col, np.zeros(X.shape[0], int), np.zeros(X.shape[0], int),
                           np.full(X.shape[0], X.shape[1] - 1)])
    data = np.concatenate([coo.data, np.full(X.shape[0], 5.0), np.full(X.shape[0], -5.0),
                           np.zeros(X.shape[0])])
    odd = scipy.sparse.csr_matrix((data, (rows, cols)), shape=X.shape)
    odd.has_canonical_format = False  # keep whatever scipy's constructor left
    model = SoftmaxRegression(tol=1e-10).fit(odd, y)
    np.testing.assert_allclose(coefficients(model), coefficients(reference), atol=1e-7)


def float32_duplicates_beyond_its_range():
    """One row whose two stored entries at column 0 (3e38 each) sum beyond float32's range."""
    return scipy.sparse.csr_matrix(
        (np.float32([3e38, 3e38]), np.int32([0, 0]), np.int64([0, 2])), shape=(1, 3))


def test_float32_duplicates_beyond_its_range_predict_as_their_float64_sum():
    model = SoftmaxRegression().fit(np.eye(3, dtype=np.float32), [0, 1, 2])
    X = float32_duplicates_beyond_its_range()
    exact = scipy.sparse.csr_matrix(np.float64([[2 * np.float64(np.float32(3e38)), 0, 0]]))
    # Every method reads the row as the float64 sum (scipy's product does): before, predict_proba
    # summed in float32 to inf and gave NaN, predict raised, decision_function gave class 0.
    np.testing.assert_array_equal(model.predict_proba(X), model.predict_proba(exact))
    assert np.isfinite(model.predict_proba(X)).all()
    np.testing.assert_array_equal(model.predict(X), model.predict(exact))
    assert model.predict(X)[0] == np.argmax(model.decision_function(X)[0])
    np.testing.assert_array_equal(model.predict_log_proba(X), model.predict_log_proba(exact))
    assert model.score(X, [0]) == 1.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_duplicates_summing_beyond_the_range_are_a_value_error_in_fit(dtype):
    big = 3e38 if dtype == np.float32 else 1e308
    # Row 1's column 2 holds two entries whose sum overflows; the other rows are ordinary.
    X = scipy.sparse.csr_matrix(
        (np.array([1, big, big, 1], dtype=dtype), np.int32([0, 2, 2, 1]), np.int64([0, 1, 3, 4])),
        shape=(3, 3))
    with pytest.raises(ValueError, match=r"row 1, column 2 sum to inf in " + np.dtype(dtype).name):
        SoftmaxRegression().fit(X, [0, 1, 2])


@pytest.mark.parametrize("dtype", [np.float16, np.int32, np.int64, np.uint8, bool])
def test_other_sparse_dtypes_train_as_their_dense_copies(dtype):
    X, y = problem(seed=4)
    X = (X * 4).astype(dtype) if dtype is not bool else X > 0.5
    # scipy cannot densify float16 directly; every value is exact in float64.
    dense_X = X.astype(np.float64).toarray().astype(X.dtype)
    dense = SoftmaxRegression(tol=1e-10).fit(dense_X, y)
    sparse = SoftmaxRegression(tol=1e-10).fit(X, y)
    # Both are converted to float64 (scikit-learn's validation), so only the product paths
    # differ.
    assert sparse.fit_report_.objective == pytest.approx(dense.fit_report_.objective, rel=1e-9)
    np.testing.assert_allclose(coefficients(sparse), coefficients(dense), atol=1e-5)
    as_float = SoftmaxRegression(tol=1e-10).fit(X.astype(np.float64), y)
    np.testing.assert_array_equal(coefficients(sparse), coefficients(as_float))


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_sparse_values_are_value_errors_like_dense(value):
    X, y = problem(seed=5)
    bad = X.copy()
    bad.data[bad.nnz // 2] = value
    word = "NaN" if np.isnan(value) else "infinity"
    for data in (bad, bad.toarray()):
        with pytest.raises(ValueError, match=word):
            SoftmaxRegression().fit(data, y)
    fitted = SoftmaxRegression().fit(X, y)
    for data in (bad, bad.toarray()):
        with pytest.raises(ValueError, match=word):
            fitted.predict(data)
        with pytest.raises(ValueError, match=word):
            fitted.predict_proba(data)
    with pytest.raises(ValueError, match=word):
        LogisticRegression().fit(bad, y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_predict_sparse_after_dense_fit_and_the_other_way_round(dtype):
    X, y = problem(dtype=dtype, seed=6)
    dense_X = X.toarray()
    from_dense = SoftmaxRegression().fit(dense_X, y)
    from_sparse = SoftmaxRegression().fit(X, y)
    for model in (from_dense, from_sparse):
        np.testing.assert_allclose(model.predict_proba(X), model.predict_proba(dense_X),
                                   atol=1e-12)
        np.testing.assert_array_equal(model.predict(X), model.predict(dense_X))
        assert model.score(X, y) == model.score(dense_X, y)
        np.testing.assert_allclose(model.decision_function(X), model.decision_function(dense_X),
                                   atol=1e-12)


def test_warm_start_across_sparse_and_dense():
    X, y = problem(seed=7)
    reference = SoftmaxRegression(tol=1e-10).fit(X.toarray(), y)
    for first, second in ((X, X.toarray()), (X.toarray(), X)):
        model = SoftmaxRegression(tol=1e-10, warm_start=True).fit(first, y)
        model.fit(second, y)
        assert model.fit_report_.iterations <= 1
        np.testing.assert_allclose(coefficients(model), coefficients(reference), atol=1e-6)


def test_sparse_sample_weights_equal_repeated_rows():
    X, y = problem(seed=8)
    counts = np.arange(X.shape[0]) % 3 + 1
    repeated = scipy.sparse.vstack([X[i] for i in range(X.shape[0]) for _ in range(counts[i])])
    weighted = SoftmaxRegression(C=2.0, tol=1e-10).fit(X, y, sample_weight=counts)
    expanded = SoftmaxRegression(C=2.0, tol=1e-10).fit(repeated.tocsr(), np.repeat(y, counts))
    np.testing.assert_allclose(coefficients(weighted), coefficients(expanded), atol=1e-6)
    zeroed = counts.astype(float)
    zeroed[::4] = 0
    kept = zeroed > 0
    a = SoftmaxRegression(C=2.0, tol=1e-10).fit(X, y, sample_weight=zeroed)
    b = SoftmaxRegression(C=2.0, tol=1e-10).fit(X[kept], y[kept], sample_weight=zeroed[kept])
    np.testing.assert_allclose(coefficients(a), coefficients(b), atol=1e-6)


def test_empty_sparse_shapes_are_value_errors_like_dense():
    model = SoftmaxRegression().fit(*problem(seed=9))
    for shape in ((0, 15), (3, 0)):
        sparse = scipy.sparse.csr_matrix(shape)
        with pytest.raises(ValueError) as sparse_error:
            SoftmaxRegression().fit(sparse, np.arange(shape[0]) % 2)
        with pytest.raises(ValueError) as dense_error:
            SoftmaxRegression().fit(np.zeros(shape), np.arange(shape[0]) % 2)
        assert str(sparse_error.value) == str(dense_error.value)
    with pytest.raises(ValueError, match="0 sample"):
        model.predict(scipy.sparse.csr_matrix((0, 15)))


@pytest.mark.parametrize(
    "index_dtype, index",
    [(np.int32, -3), (np.int32, 15), (np.int32, 1000), (np.int64, -3), (np.int64, 1000),
     (np.int64, 10**12)])
def test_every_prediction_method_refuses_an_index_outside_the_columns(index_dtype, index):
    # scipy's own product (decision_function, predict_log_proba) would read outside the arrays:
    # garbage for 1000, a segmentation fault for 10**12.
    X, y = problem(seed=10)
    model = SoftmaxRegression().fit(X, y)
    bad = with_index_dtype(X, index_dtype)
    offset = int(bad.indptr[3]) + 1
    assert bad.indptr[4] > offset
    bad.indices[offset] = index
    for method in (model.predict, model.predict_proba, model.decision_function,
                   model.predict_log_proba, lambda data: model.score(data, y)):
        with pytest.raises(ValueError, match=rf"row 3, entry 1 .*column index {index} is outside"):
            method(bad)


def test_every_prediction_method_refuses_decreasing_offsets():
    X, y = problem(seed=11)
    model = SoftmaxRegression().fit(X, y)
    bad = X.copy()
    bad.indptr = bad.indptr.copy()
    bad.indptr[5] = bad.indptr[6] + 1
    for method in (model.predict, model.predict_proba, model.decision_function,
                   model.predict_log_proba):
        with pytest.raises(ValueError, match="indptr|row_offsets"):
            method(bad)
    with pytest.raises(ValueError, match="indptr|row_offsets"):
        SoftmaxRegression().fit(bad, y)


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_entries_beyond_the_last_offset_are_not_the_matrix(index_dtype):
    # scipy's nnz is indptr[-1]; indices and data may be longer. predict, predict_proba, score
    # and fit refused such a matrix (the core's "row_offsets[rows] is ... but column_indices has
    # ...") while decision_function and predict_log_proba, through scipy, used it.
    X, y = problem(seed=12)
    model = SoftmaxRegression().fit(X, y)
    longer = with_index_dtype(X, index_dtype)
    longer.indices = np.append(longer.indices, [0, 1]).astype(index_dtype)
    longer.data = np.append(longer.data, [7.0, -3.0])
    assert longer.nnz == X.nnz < longer.indices.size
    for method in ("predict", "predict_proba", "decision_function", "predict_log_proba"):
        np.testing.assert_array_equal(getattr(model, method)(longer), getattr(model, method)(X))
    assert model.score(longer, y) == model.score(X, y)
    np.testing.assert_array_equal(SoftmaxRegression().fit(longer, y).coef_, model.coef_)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_hashed_columns_train_the_compact_model_bitwise_and_zero_elsewhere(dtype):
    """Columns without entries are left out of the solve (README "Columns without entries"): the
    compact matrix's columns spread over 2^20 (as HashingVectorizer's) give its coefficients bit
    for bit, every other coefficient 0, and the same predictions."""
    X, y = problem(rows=200, features=40, classes=4, density=0.25, dtype=dtype, seed=3)
    assert np.all(np.diff(X.tocsc().indptr) > 0)  # every compact column used
    width = 1 << 20
    spots = np.sort(np.random.RandomState(5).choice(width, 40, replace=False))
    wide = scipy.sparse.csr_matrix((X.data, spots[X.indices], X.indptr), shape=(200, width))
    compact = SoftmaxRegression(C=1.0).fit(X, y)
    spread = SoftmaxRegression(C=1.0).fit(wide, y)
    assert spread.n_iter_ == compact.n_iter_
    assert np.array_equal(spread.coef_[:, spots], compact.coef_)
    assert np.array_equal(spread.intercept_, compact.intercept_)
    rest = np.ones(width, dtype=bool)
    rest[spots] = False
    assert not np.any(spread.coef_[:, rest])
    assert np.array_equal(spread.predict_proba(wide), compact.predict_proba(X))
