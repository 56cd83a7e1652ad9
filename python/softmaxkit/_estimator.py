"""The scikit-learn estimator over softmaxkit._core (the C++ SoftmaxRegression)."""

import hashlib
import numbers
import os
import tempfile
import threading
import warnings
import weakref

import numpy as np
import scipy.sparse
from scipy.special import log_softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from softmaxkit import _core

_FLOAT_DTYPES = [np.float64, np.float32]
_INT32 = np.iinfo(np.int32)
_MAX_THREADS = 4096  # softmaxkit::max_threads


class FitReport:
    """What the last fit did: one attribute per field of the C++ ``softmaxkit::FitReport``.

    ``objective`` is softmaxkit's objective at the returned parameters,
    ``(1 / sum w) * sum_i w_i CE_i + (lambda / 2) ||W||^2`` (plus the L1 term), i.e. scikit-learn's
    ``sum_i w_i CE_i + ||W||^2 / (2 C)`` divided by the sum of the sample weights.
    ``reason`` (also ``stop_reason``) is the solver's stop reason as the C++ library spells it
    (``converged``, ``max_iterations``, ``callback_stopped``, ``early_stopped``, ...), or
    ``interrupted`` after a
    KeyboardInterrupt. Fields the C++ report gains later appear here without changes.
    """

    def __init__(self, **fields):
        self.__dict__.update(fields)

    @property
    def stop_reason(self):
        return self.reason

    def as_dict(self):
        return dict(self.__dict__)

    def __eq__(self, other):
        return isinstance(other, FitReport) and self.__dict__ == other.__dict__

    def __repr__(self):
        fields = ", ".join(f"{key}={value!r}" for key, value in self.__dict__.items())
        return f"FitReport({fields})"


def _check_sparse_structure(X):
    """ValueError naming the first bad offset or column index of a CSR matrix: scipy checks
    neither the column indices against shape[1] nor that indptr never decreases, and its own
    products then read outside the arrays."""
    indptr, indices = X.indptr, X.indices
    # Arrays of the wrong length (an indptr without rows + 1 entries, data shorter than indices)
    # made decision_function's product read outside them: garbage or NaN scores.
    if indptr.ndim != 1 or indptr.size != X.shape[0] + 1:
        raise ValueError(
            f"X.indptr has {indptr.size} entries but X has {X.shape[0]} rows (needs rows + 1)")
    if X.data.ndim != 1 or indices.ndim != 1 or X.data.size != indices.size:
        raise ValueError(
            f"X.data has {X.data.size} entries but X.indices has {indices.size}")
    if indptr[0] != 0 or indptr[-1] > indices.size or np.any(np.diff(indptr) < 0):
        raise ValueError(
            "X.indptr must start at 0, never decrease and end within X.indices "
            f"({indices.size} entries)")
    outside = np.flatnonzero((indices < 0) | (indices >= X.shape[1]))
    if outside.size:
        offset = int(outside[0])
        row = int(np.searchsorted(indptr, offset, side="right")) - 1
        raise ValueError(
            f"X: row {row}, entry {offset - int(indptr[row])} (offset {offset}): column "
            f"index {int(indices[offset])} is outside [0, {X.shape[1]})")


def _native_byte_order(X):
    """A floating-point array or sparse matrix of the other byte order as the same type in this
    machine's order: scikit-learn's validation does not count '>f4' as float32 and converted it
    to float64, so big-endian float32 data trained in float64 (README: float32 stays float32)."""
    dtype = getattr(X, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind == "f" and not dtype.isnative:
        return X.astype(dtype.newbyteorder("="))
    return X


def _is_canonical(X):
    """Whether a CSR matrix's arrays are canonical (each row's indices strictly increasing), read
    from the arrays: scipy's has_canonical_format is a cached flag that a caller may set, or that
    outlives an edit of X.indices (fit and predict then refused the matrix while
    decision_function used it). Malformed arrays are not canonical (their check names them)."""
    indptr, indices = X.indptr, X.indices
    if indptr.size == 0 or indptr[0] != 0 or np.any(np.diff(indptr) < 0):
        return False
    nnz = int(indptr[-1])
    if nnz > indices.size:
        return False
    if nnz < 2:
        return True
    increasing = indices[1:nnz] > indices[:nnz - 1]  # a comparison: no int64 copy, no overflow
    starts = indptr[1:-1]
    starts = starts[(starts > 0) & (starts < nnz)]
    increasing[starts - 1] = True  # a row's first entry may be below the last row's last
    return bool(increasing.all())


def _core_features(X, for_prediction=False):
    """X as the C++ core takes it: a dense array as it is; a scipy.sparse CSR matrix (already
    validated and converted to CSR by _validate_data) as (rows, cols, indptr int64, indices
    int32, data), in canonical form (sorted indices, duplicates summed) on a copy if needed.
    for_prediction: float32 duplicates are summed in float64 (predictions compute in double)."""
    if not scipy.sparse.issparse(X):
        return X
    if X.shape[1] > 2**31:
        raise ValueError(f"X has {X.shape[1]} columns; sparse input allows at most 2**31")
    canonical = _is_canonical(X)
    if X.indices.dtype != np.int32 or not canonical:
        # The cast of int64 indices to int32 below would wrap 2**32 + j to column j and train on
        # the wrong data. Checked on the caller's arrays, before sum_duplicates reorders them, so
        # the row and entry named are theirs (canonical int32 arrays are checked by the core).
        _check_sparse_structure(X)
    if not canonical:
        # Two float32 duplicates of 3e38 summed in float32 are inf: predict_proba gave NaN where
        # decision_function and predict_log_proba, through scipy's float64 product, gave a class.
        # (Not X.astype: scipy's sums the duplicates in place first, in float32, on the caller's X.)
        if for_prediction and X.dtype == np.float32:
            X = scipy.sparse.csr_matrix(
                (X.data.astype(np.float64), X.indices.copy(), X.indptr.copy()), shape=X.shape)
        else:
            X = X.copy()
        X.has_canonical_format = False  # scipy's sum_duplicates trusts the flag
        X.sum_duplicates()
        if not for_prediction:
            _check_duplicate_sums(X)
    # scipy's nnz is indptr[-1]: entries of indices and data beyond it are not the matrix's (the
    # core refused them in predict while decision_function, through scipy, used the matrix).
    indices, data = X.indices, X.data
    end = int(X.indptr[-1]) if X.indptr.size else 0
    if 0 <= end < indices.size and data.size == indices.size:
        indices, data = indices[:end], data[:end]
    return (
        int(X.shape[0]),
        int(X.shape[1]),
        np.ascontiguousarray(X.indptr, dtype=np.int64),
        np.ascontiguousarray(indices, dtype=np.int32),
        np.ascontiguousarray(data),
    )


def _check_duplicate_sums(X):
    """ValueError naming the first entry whose duplicates summed beyond X's float range (the
    entries themselves are finite: _validate_data checked them), which the fit would otherwise
    report as an objective that became NaN."""
    end = int(X.indptr[-1])
    overflowed = np.flatnonzero(~np.isfinite(X.data[:end]))
    if overflowed.size:
        entry = int(overflowed[0])
        row = int(np.searchsorted(X.indptr, entry, side="right")) - 1
        raise ValueError(
            f"X's duplicate entries at row {row}, column {int(X.indices[entry])} sum to "
            f"{X.data[entry]} in {X.dtype} (beyond its range); sum them in float64 or rescale"
        )


_FEATURE_ATTRIBUTES = ("n_features_in_", "feature_names_in_")


def _validate_for_fit(estimator, X, y):
    """X and y validated as ``_validate_data(reset=True)`` does, and the n_features_in_ /
    feature_names_in_ that the fit will set, without touching the estimator: it used to set them
    before the core could refuse the fit (one class, a negative weight, an empty early-stopping
    split), so a refused fit changed a fitted model's feature count and names."""
    proxy = object.__new__(type(estimator))
    X, y = proxy._validate_data(
        _native_byte_order(X), y, accept_sparse="csr", dtype=_FLOAT_DTYPES, order="C",
        accept_large_sparse=True,
    )
    found = proxy.__dict__
    return X, y, {name: found[name] for name in _FEATURE_ATTRIBUTES if name in found}


def _set_feature_attributes(estimator, features):
    # As _validate_data(reset=True): a fit without feature names removes the previous ones.
    for name in _FEATURE_ATTRIBUTES:
        estimator.__dict__.pop(name, None)
    estimator.__dict__.update(features)


def _same_classes(previous, classes):
    """Whether a warm start's previous classes_ are these classes: the same values of the same
    kind (the integers 0, 1, 2 are not the strings '0', '1', '2')."""
    return (previous is not None and previous.shape == classes.shape
            and previous.dtype.kind == classes.dtype.kind and np.array_equal(previous, classes))


def _problem_fingerprint(X, y_index, weights):
    """What tells one fit's problem from another's for warm_start's stopping reference: the
    shape and dtype, digests of the labels and the weights, and of the values: a dense X by its
    product with fixed pseudo-random row weights (one pass, no copy: other data, the same
    rescaled, or its rows permuted, give another product; the sums of the values and of their
    squares did not tell a permuted 0/1 column apart, an audit), a CSR matrix by a digest of its
    stored entries (a product would be n long, and a CSR matrix can have 2**32 columns)."""
    digest = hashlib.blake2b(np.ascontiguousarray(y_index).tobytes(), digest_size=16)
    if weights is not None:
        digest.update(np.ascontiguousarray(weights).tobytes())
    if scipy.sparse.issparse(X):
        stored = int(X.indptr[-1]) if X.indptr.size else 0
        digest.update(np.ascontiguousarray(X.indptr).tobytes())
        digest.update(np.ascontiguousarray(X.indices[:stored]).tobytes())
        digest.update(np.ascontiguousarray(X.data[:stored]).tobytes())
    else:
        mix = np.random.default_rng(20261207).standard_normal(X.shape[0]).astype(X.dtype)
        digest.update(np.ascontiguousarray(mix @ X).tobytes())
    return (tuple(X.shape), str(X.dtype), digest.hexdigest())


def _unknown_rows(logits):
    """Rows whose probabilities are NaN (the core's softmax): a NaN logit, one that overflowed to
    +inf, or every logit -inf."""
    return (np.isnan(logits).any(axis=1) | np.isposinf(logits).any(axis=1)
            | np.isneginf(logits).all(axis=1))


def _check_predictable(logits, where):
    """ValueError naming the first row whose probabilities are NaN (_unknown_rows: its logits
    overflowed, features near float64's limits; or a NaN or infinite feature, which
    scikit-learn's assume_finite lets through), instead of predicting the first class for it."""
    _refuse_rows(_unknown_rows(logits), where)


def _refuse_rows(unknown, where):
    """ValueError naming the first row of the boolean mask ``unknown`` (rows whose class
    probabilities are NaN), if any."""
    bad = np.flatnonzero(unknown)
    if bad.size:
        raise ValueError(
            f"{where}: row {int(bad[0])} (of {bad.size} such rows) has NaN class probabilities: "
            "its logits overflow (features too large for float64, or NaN or infinite ones, which "
            "assume_finite lets through), so no class can be predicted")


# Estimators whose fit is running: a callback that fits the same estimator again (on the fitting
# thread, which holds the estimator's reentrant lock) refitted the C++ model inside its own fit.
_FITTING = weakref.WeakSet()


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _as_float(value):
    """A real parameter as the Python float the core is given, or None (not a real number, or a
    Python int beyond float64). Ranges are checked on this float: 10**400 passed ``0 < tol <
    inf`` then overflowed in float() (an OverflowError), and numpy.longdouble('1e-400') passed
    ``0 < x`` then became 0.0 (the core's 'tolerance' message, or no early stopping at all)."""
    if not _is_real(value):
        return None
    try:
        return float(value)
    except OverflowError:
        return None


# One lock per estimator, outside its __dict__ (so clone, pickle and scikit-learn's checks do not
# see it): a fit with warm_start refits the estimator's own C++ model with the GIL released, and
# a prediction, save or pickle of that model from another thread meanwhile corrupted the heap.
_LOCKS = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def _model_lock(estimator):
    with _LOCKS_GUARD:
        lock = _LOCKS.get(estimator)
        if lock is None:
            lock = _LOCKS[estimator] = threading.RLock()
        return lock


def _native_path(path):
    """The path as the file system's bytes: a str from os.listdir or pathlib holds a name that is
    not UTF-8 as surrogate escapes, which the core's std::string refused with a TypeError."""
    return os.fsencode(os.fspath(path))


def _core_to_bytes(core):
    # The model file is the one complete, bit-exact serialisation the C++ API offers.
    with tempfile.TemporaryDirectory(prefix="softmaxkit-") as directory:
        path = os.path.join(directory, "model.skm")
        core.save(path)
        with open(path, "rb") as file:
            return file.read()


def _core_from_bytes(data):
    with tempfile.TemporaryDirectory(prefix="softmaxkit-") as directory:
        path = os.path.join(directory, "model.skm")
        with open(path, "wb") as file:
            file.write(data)
        return _core.Model.load(path)


def _naming_class_weight(error, sample_weight, class_weight):
    """The core's ValueError, naming class_weight where it says sample_weight but the caller gave
    none: the rows' weights were then class_weight's alone (the core said "sample_weight: the
    weights sum to inf" for three classes weighted 1e308)."""
    message = str(error)
    if sample_weight is None and class_weight is not None and "sample_weight" in message:
        return ValueError(message.replace(
            "sample_weight", "class_weight (the rows' class weights; no sample_weight given)", 1))
    return error


def _row_weights(owner, X, y, classes, y_index, sample_weight, class_weight):
    """sample_weight times class_weight's factor for each row's class, C-contiguous in X's
    dtype, or None (every row weighs 1). 'balanced' counts the rows of y, as scikit-learn does.
    Checked in float64 first: on float32 X a weight beyond float32's range read as
    "Input sample_weight contains infinity", and weights all below its smallest as "all weights
    are zero", values the caller never gave."""
    if sample_weight is None and class_weight is None:
        return None
    weights = _check_sample_weight(sample_weight, X, dtype=np.float64, copy=True)
    # Named here: scikit-learn checks no finiteness for a scalar sample_weight, and a NaN class
    # weight made every later message wrong ("the sample weights leave only one class", or a
    # sample weight the caller never gave "times its class weight is nan; use smaller weights").
    bad = np.flatnonzero(~np.isfinite(weights))
    if bad.size:
        raise ValueError(f"{owner}: sample_weight[{int(bad[0])}] is {weights[bad[0]]!r} "
                         "(must be finite and >= 0)")
    what = "sample_weight[{}]"
    if class_weight is not None:
        per_class = compute_class_weight(class_weight, classes=classes, y=y)
        bad = np.flatnonzero(~(np.isfinite(per_class) & (per_class >= 0)))
        if bad.size:
            raise ValueError(f"{owner}: class_weight for class {classes[bad[0]]!r} is "
                             f"{per_class[bad[0]]!r} (must be finite and >= 0)")
        with np.errstate(over="ignore"):
            weights = weights * per_class[y_index]
        what = "sample_weight[{}] times its class weight"
        overflow = np.flatnonzero(~np.isfinite(weights))
        if overflow.size:
            raise ValueError(
                f"{owner}: {what.format(int(overflow[0]))} is {weights[overflow[0]]!r} in "
                "float64; use smaller weights")
    negative = np.flatnonzero(weights < 0)
    if negative.size:
        # Named before any per-class or per-fold check, which would otherwise call the class's
        # rows weightless (SoftmaxRegressionCV said "has sample weight 0" for a weight of -1).
        row = int(negative[0])
        raise ValueError(f"{owner}: {what.format(row)} is {weights[row]!r} "
                         "(must be finite and >= 0)")
    if X.dtype != np.float64:
        # The core takes the weights in X's dtype.
        info = np.finfo(X.dtype)
        beyond = np.flatnonzero(weights > info.max)
        if beyond.size:
            # The core named it "sample_weight[i] is inf", a value the caller never gave.
            row = int(beyond[0])
            raise ValueError(
                f"{owner}: {what.format(row)} is {weights[row]!r}, beyond {X.dtype}'s range "
                f"(the weights take X's dtype, {X.dtype}); use smaller weights (with C larger "
                "by the same factor, the same problem) or float64 X")
        narrow = weights.astype(X.dtype)
        positive = weights > 0
        if np.any(positive) and not np.any(narrow[positive] > 0):
            row = int(np.flatnonzero(positive)[0])
            raise ValueError(
                f"{owner}: {what.format(row)} is {weights[row]!r}, and every positive weight "
                f"rounds to 0 in {X.dtype} (the weights take X's dtype; its smallest is "
                f"{info.smallest_subnormal!r}); use larger weights (with C smaller by the same "
                "factor, the same problem) or float64 X")
        weights = narrow
    return np.ascontiguousarray(weights, dtype=X.dtype)


class SoftmaxRegression(ClassifierMixin, BaseEstimator):
    """Multinomial logistic regression (softmax regression) on softmaxkit's C++ core.

    Minimises scikit-learn's ``LogisticRegression(multi_class="multinomial")`` objective
    ``sum_i w_i CE_i + ||W||^2 / (2 C)`` (the intercept is not penalised; ``w_i`` are the sample
    weights times the class weights). The C++ core minimises the same objective divided by
    ``sum_i w_i``, so results do not depend on the scale of the weights once C is scaled the
    other way, exactly as in scikit-learn.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength, > 0; ``numpy.inf`` means no penalty.
    penalty : {'l2', 'l1', None}, default='l2'
        'l1' minimises ``sum_i w_i CE_i + ||W||_1 / C`` with OWL-QN (needs solver 'auto' or
        'lbfgs'). None fits without a penalty and ignores C (a UserWarning when C is not 1, as
        scikit-learn's).
    fit_intercept : bool, default=True
    solver : {'auto', 'structured', 'newton', 'lbfgs'}, default='auto'
        'structured' is L-BFGS with the library's Kronecker-factored metric (the default for
        'l2' and None), 'newton' is trust-region Newton-CG, 'lbfgs' is L-BFGS (OWL-QN for
        'l1'); 'auto' lets the library choose.
    tol : float, default=1e-6
        Stop when the gradient norm falls to ``tol`` times its initial value (at least 1).
    max_iter : int, default=1000
    class_weight : None, 'balanced' or dict, default=None
        Multiplies the sample weights, as in scikit-learn ('balanced': ``n_samples /
        (n_classes * count of the class)``).
    warm_start : bool, default=False
        Start from the previous solution when the classes and features are the same; with other
        classes or another feature count the fit starts from zero (without a warning). A warm
        fit's stopping rule keeps the reference of the first fit that started from zero (its
        initial gradient norm) while the problem is the same up to C (the same X in the same
        representation, dense or CSR, the same y and sample_weight, ``fit_intercept``, and
        whether the penalty is 'l1'): a loop of short warm
        fits stops where one long fit would, and a refit of a converged model on the same data
        stops at once. A warm fit on other data measures ``tol`` against its own start, and so
        do later warm fits of that chain.
    n_threads : int or None, default=None
        Threads for fit and prediction; None uses every core. Results are bitwise identical for
        any thread count.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows (a deterministic split), stop after
        ``n_iter_no_change`` iterations without a better validation accuracy (weighted by the
        held-out rows' ``sample_weight`` times ``class_weight``) and keep the best parameters. A split that holds out
        none of the rows, or every one, or held-out rows that all weigh 0, is a ValueError.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=10
    verbose : int, default=0
        > 0 prints one line per solver iteration (0 or less prints nothing).
    callback : callable or None, default=None
        Called after every solver iteration, on the thread that called ``fit``, with a dict
        (iteration, objective, gradient_norm, step, evaluations, pass_equivalents,
        elapsed_seconds); returning False stops the fit.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) for two classes, else (n_classes, n_features)
        For two classes, the log-odds weights ``W[1] - W[0]`` (so ``decision_function`` is the
        log-odds of ``classes_[1]``, as for scikit-learn's binary classifiers).
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str (only when fit on a DataFrame with string column names)
    n_iter_ : ndarray of shape (1,)
        Solver iterations.
    fit_report_ : FitReport
        Objective, gradient norm, evaluations, seconds, stop reason of the last fit. A fit that
        ends ``max_iterations``, ``line_search_failed`` or ``no_progress`` (tol not reached)
        issues a ``ConvergenceWarning``.

    Interrupting a fit
    ------------------
    The GIL is released while the C++ solver runs; after every iteration the solver thread takes
    it back to run Python's signal handlers and the callback. Ctrl-C (KeyboardInterrupt) therefore
    stops the fit within one solver iteration. The estimator is then left **fitted at the last
    complete iterate** (``fit_report_.reason == "interrupted"``; ``coef_``, ``predict`` etc. use
    those unconverged parameters), and the KeyboardInterrupt propagates. An exception raised by
    ``callback`` is handled the same way (reason ``callback_stopped``). A KeyboardInterrupt that
    arrives before the solver started (during input validation) leaves the estimator as it was.
    """

    def __init__(
        self,
        C=1.0,
        penalty="l2",
        fit_intercept=True,
        solver="auto",
        tol=1e-6,
        max_iter=1000,
        class_weight=None,
        warm_start=False,
        n_threads=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        verbose=0,
        callback=None,
    ):
        self.C = C
        self.penalty = penalty
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.n_threads = n_threads
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.verbose = verbose
        self.callback = callback

    # ------------------------------------------------------------------ parameters

    def _check_params(self):
        def fail(name, expected):
            value = getattr(self, name)
            raise ValueError(f"SoftmaxRegression: {name} must be {expected}, got {value!r}")

        # A Python int beyond float64 (10**400) or one numpy cannot take as a float (10**30 made
        # numpy.isfinite fail with a TypeError) is judged as the float it converts to.
        C = _as_float(self.C)
        if not (C is not None and C > 0):
            fail("C", "a number > 0 (numpy.inf for no penalty)")
        if self.penalty not in ("l2", "l1", None):
            fail("penalty", "'l2', 'l1' or None")
        if not isinstance(self.fit_intercept, (bool, np.bool_)):
            fail("fit_intercept", "a bool")
        if self.solver not in ("auto", "structured", "newton", "lbfgs"):
            fail("solver", "'auto', 'structured', 'newton' or 'lbfgs'")
        if self.penalty == "l1" and self.solver in ("newton", "structured"):
            fail("solver", "'auto' or 'lbfgs' with penalty='l1' (OWL-QN)")
        tol = _as_float(self.tol)
        if not (tol is not None and 0 < tol < np.inf):
            fail("tol", "a finite number > 0")
        if not (_is_int(self.max_iter) and 0 <= self.max_iter <= _INT32.max):
            fail("max_iter", "an int in [0, 2**31 - 1]")
        if not (
            self.class_weight is None
            or (isinstance(self.class_weight, str) and self.class_weight == "balanced")
            or isinstance(self.class_weight, dict)
        ):
            fail("class_weight", "None, 'balanced' or a dict")
        if not isinstance(self.warm_start, (bool, np.bool_)):
            fail("warm_start", "a bool")
        # At most softmaxkit::max_threads: above it the core refused the option as "threads", and
        # beyond 64 bits the binding's conversion failed with a RuntimeError.
        self._threads()
        if not isinstance(self.early_stopping, (bool, np.bool_)):
            fail("early_stopping", "a bool")
        fraction = _as_float(self.validation_fraction)
        if not (fraction is not None and 0 < fraction < 1):
            fail("validation_fraction", "a number in (0, 1)")
        if not (_is_int(self.n_iter_no_change) and 1 <= self.n_iter_no_change <= _INT32.max):
            fail("n_iter_no_change", "an int in [1, 2**31 - 1]")
        if not isinstance(self.verbose, (numbers.Integral, bool)):
            fail("verbose", "an int")
        if not (self.callback is None or callable(self.callback)):
            fail("callback", "None or a callable")

    def _threads(self):
        # At most softmaxkit::max_threads: above it the core refused the option as "threads", and
        # beyond 64 bits the binding's conversion failed. Checked here because predictions read
        # n_threads too (set_params after fit: 2.7 ran on 2 threads, 10**30 a TypeError).
        if self.n_threads is None:
            return 0
        if not (_is_int(self.n_threads) and 1 <= self.n_threads <= _MAX_THREADS):
            raise ValueError(
                f"{type(self).__name__}: n_threads must be None or an int in [1, {_MAX_THREADS}], "
                f"got {self.n_threads!r}")
        return int(self.n_threads)

    # ------------------------------------------------------------------ fit

    def fit(self, X, y, sample_weight=None):
        """Fit on X (n_samples, n_features) and labels y; returns self.

        C-contiguous float32 or float64 X is read in place by the C++ core (float32 stays
        float32); other layouts and dtypes are converted once. scipy.sparse input is trained
        as CSR without densifying (other sparse formats are converted to CSR once).
        """
        self._check_params()
        X, y, features = _validate_for_fit(self, X, y)
        check_classification_targets(y)
        classes, y_index = np.unique(y, return_inverse=True)
        if classes.size < 2:
            raise ValueError(
                "SoftmaxRegression needs samples of at least 2 classes in the data, but the "
                f"data contains only one class: {classes[0]!r}"
            )

        weights = _row_weights(
            "SoftmaxRegression", X, y, classes, y_index, sample_weight, self.class_weight)
        if weights is not None:
            class_totals = np.bincount(y_index, weights=weights, minlength=classes.size)
            if not np.any(class_totals > 0):
                # It said "the sample weights leave only one class" when they leave none.
                raise ValueError("SoftmaxRegression: sample_weight: all weights are zero "
                                 "(times class_weight, if given): nothing to fit")
            # One class with positive weight trains (to that class), as in scikit-learn, the
            # library and the command: refusing it broke BaggingClassifier, whose bootstrap
            # counts are sample weights, on data with a rare class.
        if weights is None:
            weight_total = float(X.shape[0])
        else:
            weight_total = float(np.sum(weights, dtype=np.float64))

        # The core keeps integer labels as they are (so model files carry them); other label
        # types go over as class indices.
        if classes.dtype.kind in "iu" and classes[0] >= _INT32.min and classes[-1] <= _INT32.max:
            labels = classes.astype(np.int32)[y_index]
        else:
            labels = y_index.astype(np.int32)

        options = {
            "fit_intercept": bool(self.fit_intercept),
            "solver": None if self.solver == "auto" else self.solver,
            "tolerance": float(self.tol),
            "max_iterations": int(self.max_iter),
            "warm_start": bool(self.warm_start),
            "threads": self._threads(),
        }
        C = float(self.C)
        if self.penalty == "l2" and np.isfinite(C):
            # scikit-learn: sum_i w_i CE_i + ||W||^2 / (2C); the core: the same divided by
            # sum_i w_i, i.e. lambda = 1 / (C * sum_i w_i), which FitOptions::C computes.
            options["C"] = C
        elif self.penalty == "l1":
            options["l2"] = 0.0
            # sum_i w_i CE_i + ||W||_1 / C, divided by sum_i w_i (all rows, also with early
            # stopping, where the core's mean runs over the training part only).
            if np.isfinite(C):
                l1 = 1.0 / (C * weight_total)
                if not np.isfinite(l1):
                    # The core would name its own option, l1, which this estimator does not have.
                    raise ValueError(
                        f"SoftmaxRegression: C={self.C!r} with penalty='l1' makes the penalty "
                        f"1 / (C * sum of weights) = {l1!r}, not finite; use a larger C")
                options["l1"] = l1
        else:
            options["l2"] = 0.0
            if self.penalty is None and C != 1.0:
                # scikit-learn's LogisticRegression warns the same way: C would silently do nothing.
                warnings.warn("Setting penalty=None will ignore the C parameter", UserWarning,
                              stacklevel=2)
        if self.early_stopping:
            options["validation_fraction"] = float(self.validation_fraction)
            options["patience"] = int(self.n_iter_no_change)

        with _model_lock(self):
            if self in _FITTING:
                raise RuntimeError(
                    "SoftmaxRegression.fit was called on an estimator that is fitting (from its "
                    "own callback); fit a clone instead")
            core = self.__dict__.get("_core") if self.warm_start else None
            if core is not None and not _same_classes(self.__dict__.get("classes_"), classes):
                # Labels that are not integers reach the core as class indices 0..K-1, so its
                # own check saw two string label sets of one size as the same classes and
                # started from the other fit's rows (README: other classes start from zero).
                core = None
            # A warm fit stops where the chain's first (cold) fit would: its initial gradient
            # norm is the reference of the stopping rule and of the structured solver's switch to
            # its second phase, as fit_path does. With the warm start's own small norm, a refit
            # of a converged model on the same data went on (6 more iterations on digits) or
            # warned line_search_failed in float32, and a loop of max_iter=5 warm fits ran 500
            # iterations without converging where one fit converged in 152.
            # The chain is the same problem up to C: the same data (_problem_fingerprint), labels,
            # weights, fit_intercept and L1-or-not. Keyed on the width alone, a warm fit on the
            # same features scaled by 1e-10 inherited a threshold 6e4 times too loose and stopped
            # 'converged' after one iteration at 4 times the optimum's objective (an audit).
            # Computed for every fit (one pass over the values; a fit takes tens): a cold fit
            # without warm_start starts a chain that set_params(warm_start=True) continues (only
            # with warm_start, such a loop took 15 fits and 71 iterations where 3 and 15 do).
            chain = (_problem_fingerprint(X, y_index, weights), bool(self.fit_intercept),
                     self.penalty == "l1")
            reference = None
            started_cold = core is None
            if core is not None:
                stored = self.__dict__.get("_reference_gradient_norm")
                if stored is not None and stored[1] == chain:
                    reference = stored[0]
                    options["reference_gradient_norm"] = reference
            else:
                core = _core.Model()
            on_iteration = self._iteration_hook()
            _FITTING.add(self)
            try:
                report = core.fit(_core_features(X), labels, weights, options, on_iteration)
            except BaseException as error:
                if core.last_report is not None:
                    # The solver stopped on an exception from the iteration hook
                    # (KeyboardInterrupt or the callback's, a ValueError too: it used to skip
                    # this, leaving a fresh estimator unfitted and a warm one's attributes from
                    # the previous fit over the refitted model): keep its last complete iterate,
                    # then re-raise.
                    report = dict(core.last_report)
                    if isinstance(error, KeyboardInterrupt):
                        report["reason"] = "interrupted"
                    self._set_fitted(core, classes, report, features)
                    self._set_reference(reference, report, chain, started_cold)
                    raise
                if isinstance(error, ValueError):  # the core refused the fit (model unchanged)
                    raise _naming_class_weight(error, sample_weight, self.class_weight) from None
                raise
            finally:
                _FITTING.discard(self)
            if report["reason"] == "nan":
                # The objective or its gradient became NaN or infinite on finite data: the C++
                # model is left unfitted (model.hpp), and so is the estimator (it used to return
                # normally with a (0, 0) coef_ and reason 'nan').
                for name in ("_core", "coef_", "intercept_", "classes_", "n_iter_",
                             "fit_report_", "_reference_gradient_norm") + _FEATURE_ATTRIBUTES:
                    self.__dict__.pop(name, None)
                raise ValueError(
                    "SoftmaxRegression: the objective or its gradient became NaN or infinite "
                    f"during the fit (objective {report['objective']!r}); the data or the sample "
                    "weights are too large for the computing type (try float64 data or smaller "
                    "C), and the estimator is left unfitted")
            self._set_fitted(core, classes, report, features)
            self._set_reference(reference, report, chain, started_cold)
        if report["reason"] == "max_iterations":
            warnings.warn(
                f"SoftmaxRegression did not converge in max_iter={self.max_iter} iterations "
                f"(gradient norm {report['gradient_norm']:.3g}); increase max_iter or tol",
                ConvergenceWarning,
            )
        elif report["reason"] in ("line_search_failed", "no_progress"):
            # As scikit-learn's lbfgs warns on an abnormal line-search end: tol was not reached.
            # In float32 usually because the objective's rounding is above it near the optimum;
            # in float64 the line search cannot see the objective decrease either, which takes a
            # far worse conditioned problem (the message used to blame float rounding there too).
            if X.dtype == np.float32:
                cause = ("the float32 objective's rounding is above the tolerance there; "
                         "increase tol or fit float64 data")
            else:
                cause = ("the objective's decrease fell below float64's rounding (a badly "
                         "conditioned problem: extreme C or feature scales); rescale the "
                         "features, increase tol" +
                         (" or try solver='newton'" if self.solver != "newton" else ""))
            warnings.warn(
                f"SoftmaxRegression stopped before reaching tol={self.tol} "
                f"({report['reason']}, gradient norm {report['gradient_norm']:.3g}): {cause}",
                ConvergenceWarning,
            )
        return self

    def _iteration_hook(self):
        verbose, callback = self.verbose, self.callback
        if not verbose and callback is None:
            return None

        def on_iteration(info):
            if verbose > 0:
                print(
                    f"iteration {info['iteration']:4d}  objective {info['objective']:.10g}  "
                    f"gradient norm {info['gradient_norm']:.3e}  evaluations "
                    f"{info['evaluations']}  {info['elapsed_seconds']:.3f} s",
                    flush=True,
                )
            if callback is not None:
                return callback(info)
            return True

        return on_iteration

    def _set_reference(self, reference, report, chain, started_cold):
        """Keeps the reference gradient norm for the next warm fit of this chain: the one this
        fit used, or, for a fit that started from zero, its own initial gradient norm. A warm fit
        of another chain has no cold fit's norm to keep (its own, a warm start's, was kept)."""
        if not reference and started_cold:
            reference = report.get("initial_gradient_norm")
        if reference and np.isfinite(reference) and reference > 0:
            self._reference_gradient_norm = (float(reference), chain)
        else:
            self.__dict__.pop("_reference_gradient_norm", None)

    def _set_fitted(self, core, classes, report, features=None):
        weights, intercept = core.weights, core.intercept
        if features is not None:
            _set_feature_attributes(self, features)
        self._core = core
        self.classes_ = classes
        if classes.size == 2:
            self.coef_ = (weights[1] - weights[0])[np.newaxis, :]
            self.intercept_ = np.array([intercept[1] - intercept[0]])
        else:
            self.coef_ = weights
            self.intercept_ = intercept
        self.n_iter_ = np.array([0 if report is None else report["iterations"]], dtype=np.int32)
        self.fit_report_ = None if report is None else FitReport(**report)

    # ------------------------------------------------------------------ prediction

    def _prepare(self, X):
        check_is_fitted(self, "coef_")
        return self._validate_data(
            _native_byte_order(X), accept_sparse="csr", dtype=_FLOAT_DTYPES, order="C", reset=False,
            accept_large_sparse=True,
        )

    # Every prediction reads the fitted attributes under the estimator's lock, all of them from
    # one fit: a fit in another thread replaces them (classes_ used to be read outside the lock).

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes), computed by the C++ core."""
        with _model_lock(self):
            X = self._prepare(X)
            return self._core.predict_proba(_core_features(X, for_prediction=True), self._threads())

    def predict(self, X):
        """The most probable class of each row. A row whose probabilities are NaN (its logits
        overflow float64) is a ValueError naming it."""
        return self._predict(X, f"{type(self).__name__}.predict")

    def _logits(self, X):
        """Every class's logits W x + b, shape (n_samples, n_classes), float64: the core's, whose
        softmax predict_proba returns (the averaged coefficients' with refit=False)."""
        X = self._prepare(X)  # NotFittedError first, as predict_proba
        threads = self._threads()  # checked by every prediction (set_params can change it)
        core = getattr(self, "_core", None)
        if core is not None:
            return core.predict_logits(_core_features(X, for_prediction=True), threads)
        if scipy.sparse.issparse(X):
            _check_sparse_structure(X)  # scipy's product would read outside the arrays
            if not X.has_canonical_format:
                # Duplicates summed first, as the core's path does: the product in the caller's
                # entry order gave other logits than the same matrix's canonical form (3.6e-15,
                # and another class on boundary rows).
                X = X.copy()
                X.sum_duplicates()
        weights, intercept = self._class_weights()
        with np.errstate(over="ignore", invalid="ignore"):  # overflow: NaN rows, as the core's
            return np.asarray(X @ weights.T + intercept)

    def _predict(self, X, where):
        # The largest logit, the first class on an exact tie: predict == classes_[argmax of
        # decision_function] (for two classes, decision_function > 0), as in scikit-learn. It was
        # the argmax of the rounded probabilities, which can tie where the logits do not (0.5
        # and 0.5 + 2**-53) and then named the first class.
        with _model_lock(self):
            core = getattr(self, "_core", None)
            if core is None:  # SoftmaxRegressionCV(refit=False): its averaged coefficients
                logits = self._logits(X)
                _check_predictable(logits, where)
                return self.classes_.take(np.argmax(logits, axis=1))
            # The core's labels, the same argmax of the same logits made a block at a time: the
            # logits of every row (n_samples x n_classes doubles, 800 MB for 100,000 rows of
            # 1000 classes) are built only to name the rows when some cannot be predicted.
            X = self._prepare(X)
            threads = self._threads()
            features = _core_features(X, for_prediction=True)
            try:
                labels = core.predict(features, threads)
            except ValueError as error:
                if "NaN class probabilities" not in str(error):
                    raise
                _check_predictable(core.predict_logits(features, threads), where)
                raise
            return self.classes_.take(np.searchsorted(core.class_labels, labels))

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on (X, y), weighted by ``sample_weight``, as scikit-learn's
        ``ClassifierMixin.score``; a row whose probabilities are NaN is a ValueError naming
        ``score`` (it named ``predict``, which the caller never called)."""
        return accuracy_score(y, self._predict(X, f"{type(self).__name__}.score"),
                              sample_weight=sample_weight)

    def decision_function(self, X):
        """Logits X W' + b (the core's, whose softmax predict_proba gives); for two classes, the
        log-odds of classes_[1] (shape (n_samples,)). predict is their argmax (two classes:
        > 0). A row whose probabilities are NaN (logits that overflow, or a NaN or infinite
        feature) is NaN here, and predict refuses it."""
        with _model_lock(self):
            logits = self._logits(X)
            # A row whose probabilities are NaN (predict refuses it) has no decision either: NaN,
            # not a confident +-inf (for two classes the difference of +inf and -inf logits).
            logits[_unknown_rows(logits)] = np.nan
            # Two classes: the difference of their logits, whose sign is exactly which is larger
            # (it was X @ coef_.T + intercept_, the difference rounded before the sum, whose sign
            # could disagree with predict near the boundary: 79 of 20000 rows in an audit).
            return logits[:, 1] - logits[:, 0] if self.classes_.size == 2 else logits

    def _class_weights(self):
        """Every class's softmax row and intercept (for two classes both rows, where coef_ is
        their difference)."""
        core = getattr(self, "_core", None)
        if core is not None:
            return core.weights, core.intercept
        return self._weights, self._intercept  # SoftmaxRegressionCV(refit=False)

    def predict_log_proba(self, X):
        """Log of the class probabilities, from every class's logits (no underflow to -inf). A row
        whose logits overflow float64 gets NaN, as in predict_proba (for two classes too: from
        the difference of the logits alone it was a confident [-inf, 0])."""
        with _model_lock(self):
            logits = self._logits(X)
            with np.errstate(all="ignore"):  # the rows it overflows in are set to NaN below
                result = log_softmax(logits, axis=1)
            # As the core's softmax: a logit that overflowed to +inf (or a NaN) has no known
            # value, so the whole row is NaN (log_softmax made some entries -inf).
            result[_unknown_rows(logits)] = np.nan
            return result

    # ------------------------------------------------------------------ files, pickle

    def save(self, path):
        """Write the model file that the softmaxkit command and softmaxkit.load read.

        The file stores int32 class labels, so the classes must be integers.
        """
        with _model_lock(self):
            check_is_fitted(self, "coef_")
            labels = self._core.class_labels
            if self.classes_.dtype.kind not in "iu" or not np.array_equal(labels, self.classes_):
                raise ValueError(
                    "SoftmaxRegression.save: model files store int32 class labels, but this "
                    f"model's classes are {self.classes_!r}"
                )
            self._core.save(_native_path(path))

    def __getstate__(self):
        # The attributes and the model file from one fit: the copy of __dict__ used to be taken
        # before the lock, so a pickle taken during a warm_start fit mixed two fits.
        with _model_lock(self):
            state = dict(super().__getstate__())
            core = state.pop("_core", None)
            if core is not None:
                state["_core_file"] = _core_to_bytes(core)
        return state

    def __setstate__(self, state):
        state = dict(state)
        data = state.pop("_core_file", None)
        if data is not None:
            state["_core"] = _core_from_bytes(data)
        super().__setstate__(state)


def load(path):
    """Read a model file written by SoftmaxRegression.save or the softmaxkit command.

    Returns a fitted SoftmaxRegression (fit_intercept and penalty from the file, other
    parameters at their defaults; fit_report_ is None). Saving it again writes the same bytes.
    """
    core = _core.Model.load(_native_path(path))
    if core.l1 > 0:
        penalty = "l1"
    elif core.effective_l2 > 0:
        penalty = "l2"
    else:
        penalty = None  # fit with penalty=None or C=inf (it used to read back as 'l2')
    estimator = SoftmaxRegression(fit_intercept=bool(core.fit_intercept), penalty=penalty)
    estimator._set_fitted(core, core.class_labels, None)
    estimator.n_features_in_ = int(core.num_features)
    return estimator
