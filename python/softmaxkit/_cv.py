"""SoftmaxRegressionCV: C chosen by cross-validation, in scikit-learn's LogisticRegressionCV terms."""

import warnings

import numpy as np
from scipy.special import softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import get_scorer
from sklearn.model_selection import check_cv
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from softmaxkit import _core
from softmaxkit._estimator import (
    _INT32,
    SoftmaxRegression,
    _as_float,
    _core_features,
    _is_int,
    _model_lock,
    _row_weights,
    _naming_class_weight,
    _refuse_rows,
    _set_feature_attributes,
    _validate_for_fit,
)

_SCORINGS = (None, "accuracy", "neg_log_loss")


class _KnownProbabilities:
    """What a scikit-learn probability scorer reads of a classifier (classes_, predict_proba),
    answering with probabilities already computed."""

    def __init__(self, classes, probabilities):
        self.classes_ = classes
        self._probabilities = probabilities

    def predict_proba(self, X):
        return self._probabilities
_MAX_CS = 10000  # as the command's --C-grid count


def _fold_part(part, n_samples, fold, name):
    """One train or test part of a fold as int64 indices, or ValueError.

    Integer indices in [0, n_samples) or a boolean mask of length n_samples (what scikit-learn's
    own indexing accepts); float, negative (numpy would wrap them) or out-of-range indices are
    refused instead of being truncated, wrapped or failing deep in the core.
    """
    where = f"SoftmaxRegressionCV: cv fold {fold} {name}"
    values = np.asarray(part)
    if values.ndim != 1:
        raise ValueError(f"{where} must be a 1-d array of indices, got shape {values.shape}")
    if values.dtype == np.bool_:
        if values.size != n_samples:
            raise ValueError(
                f"{where} is a boolean mask of length {values.size}, expected {n_samples}"
            )
        values = np.flatnonzero(values)
    elif values.size and values.dtype.kind not in "iu":
        raise ValueError(f"{where} must hold integer indices, got dtype {values.dtype}")
    if values.size == 0:
        raise ValueError(f"{where} is empty")
    low, high = values.min(), values.max()
    if low < 0 or high >= n_samples:
        bad = low if low < 0 else high
        raise ValueError(f"{where} holds index {bad}, outside [0, {n_samples})")
    return values.astype(np.int64)


def _best_index(scores, Cs):
    """The index of the best score; an exact tie goes to the smaller C, then the earlier one."""
    scores = np.asarray(scores)
    return int(min(np.flatnonzero(scores == scores.max()), key=lambda index: (Cs[index], index)))


def _checked_fit(core, features, labels, weights, options, what, tol):
    """core.fit, with the checks SoftmaxRegression.fit makes of its report: reason 'nan' is a
    ValueError (the core's model is unfitted then), other ends short of tol a warning."""
    report = core.fit(features, labels, weights, options, None)
    if report["reason"] == "nan":
        raise ValueError(
            f"SoftmaxRegressionCV: the objective or its gradient became NaN or infinite in "
            f"{what} (objective {report['objective']!r}); the data are too large for the "
            "computing type (try float64 data or smaller Cs); the estimator is left as it was")
    if report["reason"] != "converged":
        warnings.warn(
            f"SoftmaxRegressionCV: {what} did not reach tol={tol} ({report['reason']}); "
            "increase max_iter or tol",
            ConvergenceWarning,
        )
    return report


class SoftmaxRegressionCV(SoftmaxRegression):
    """Softmax regression with C chosen by cross-validation (like ``LogisticRegressionCV``).

    For every fold, the C++ core fits a warm-started path over ``Cs`` (smallest C first, each
    fit starting from the solutions before it, extrapolated in log C, stopping where a cold fit
    would, and reusing the solver's setup), scores the held-out
    rows, and picks the C with the best mean score over the folds (an exact tie goes to the
    smaller, more regularised C). With ``refit=True`` the model is then fit on all rows at that C.
    Results are bitwise identical for any ``n_threads``. scipy.sparse input (CSR, CSC, COO, ...)
    is converted to canonical CSR once, as ``SoftmaxRegression.fit`` does, and searched as CSR
    (never densified: the folds copy only their rows' stored entries).

    Parameters
    ----------
    Cs : int or array-like of float, default=10
        An int n (1 to 10000) means ``numpy.logspace(-4, 4, n)`` (as scikit-learn); otherwise the values of
        C, each finite and > 0.
    cv : int, cross-validation generator or iterable, default=None
        As in scikit-learn (``check_cv``): None is 5 folds, an int k is ``StratifiedKFold(k)``
        (no shuffling), a splitter or an iterable of (train, test) index arrays is used as
        given. Every class must occur in every training part.
    scoring : {None, 'accuracy', 'neg_log_loss'}, default=None
        None is accuracy (scikit-learn's default for classifiers). Both are computed by the core
        on the held-out rows.
    refit : bool, default=True
        True: fit all rows at the best C. False: average the folds' coefficients at each fold's
        best C, as scikit-learn does (prediction then runs in numpy, and ``save`` is refused).
    fit_intercept, solver, tol, max_iter, n_threads : as in ``SoftmaxRegression``.
    class_weight : None, 'balanced' or dict, default=None
        Multiplies the sample weights, as in ``SoftmaxRegression`` ('balanced' counts the rows of
        all of y, as scikit-learn's ``LogisticRegressionCV`` does).

    Sample weights (``fit(X, y, sample_weight)``, times the class weights) weight every fold's
    fits (C applies to the weighted sum of losses, as in ``SoftmaxRegression``), the refit, and
    the held-out scores: accuracy and log-loss are weighted means over each fold's test rows, so
    integer weights act as repeated rows. scikit-learn 1.2's ``LogisticRegressionCV`` scores its
    folds unweighted (later versions weight them, scikit-learn pull request 29419). The folds do
    not depend on the weights. A fold whose test rows all weigh 0 is a ValueError; a fold whose
    training rows of some class all weigh 0 trains that class as absent, as a single fit and
    ``LogisticRegressionCV`` do.

    Attributes
    ----------
    Cs_ : ndarray of shape (n_Cs,)
    C_ : ndarray of shape (n_classes,)
        The chosen C, repeated per class (scikit-learn's multinomial layout). With
        ``refit=False`` it is the mean of each fold's best C (ties: the smaller C), as in
        scikit-learn, so it can differ from ``Cs_[best_index_]``.
    best_index_ : int
        Index into ``Cs_`` of the best mean score (ties: the smaller C).
    scores_ : dict
        For every class, the same array of shape (n_folds, n_Cs) of held-out scores (accuracy,
        or minus the mean log-loss).
    log_loss_ : ndarray of shape (n_folds, n_Cs)
        Mean held-out log-loss (whatever ``scoring`` is).
    coefs_paths_ : dict
        For every class, an array of shape (n_folds, n_Cs, n_features + 1) (without
        ``fit_intercept``: n_features): that class's softmax row of each fold's fit at each C, the
        intercept last, as scikit-learn's multinomial ``coefs_paths_`` (also for two classes:
        both rows, where ``coef_`` is their difference). Memory: n_folds x n_Cs x n_classes x
        (n_features + 1) float64.
    pass_equivalents_ : ndarray of shape (n_folds, n_Cs)
        The work of every fold's fit at every C, in passes over that fold's training rows.
    n_iter_ : ndarray of shape (1, n_folds, n_Cs)
        Solver iterations of each path fit.
    classes_, coef_, intercept_, n_features_in_ : as in ``SoftmaxRegression``.
    fit_report_ : FitReport or None
        The refit's report (None with ``refit=False``).
    """

    def __init__(
        self,
        Cs=10,
        cv=None,
        scoring=None,
        refit=True,
        fit_intercept=True,
        solver="auto",
        tol=1e-6,
        max_iter=1000,
        n_threads=None,
        class_weight=None,
    ):
        self.Cs = Cs
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.n_threads = n_threads
        self.class_weight = class_weight

    def _check_params(self):
        def fail(name, expected):
            value = getattr(self, name)
            raise ValueError(f"SoftmaxRegressionCV: {name} must be {expected}, got {value!r}")

        if _is_int(self.Cs):
            # Bounded as the command's --C-grid count: a huge int would allocate its grid first.
            if not 1 <= self.Cs <= _MAX_CS:
                fail("Cs", f"an int in [1, {_MAX_CS}] or a list of numbers > 0")
        else:
            try:
                values = np.asarray(self.Cs, dtype=np.float64)
            except (TypeError, ValueError, OverflowError):  # OverflowError: a Python int > 1e308
                fail("Cs", "an int >= 1 or a list of numbers > 0")
            if values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)):
                fail("Cs", "an int >= 1 or a non-empty list of finite numbers > 0")
            if not np.all(values > 0):
                fail("Cs", "an int >= 1 or a list of numbers > 0")
        if not (self.scoring is None or isinstance(self.scoring, str)) or (
            self.scoring not in _SCORINGS
        ):
            fail("scoring", "None, 'accuracy' or 'neg_log_loss'")
        if not isinstance(self.refit, (bool, np.bool_)):
            fail("refit", "a bool")
        if not isinstance(self.fit_intercept, (bool, np.bool_)):
            fail("fit_intercept", "a bool")
        if self.solver not in ("auto", "structured", "newton", "lbfgs"):
            fail("solver", "'auto', 'structured', 'newton' or 'lbfgs'")
        tol = _as_float(self.tol)
        if not (tol is not None and 0 < tol < np.inf):
            fail("tol", "a finite number > 0")
        if not (_is_int(self.max_iter) and 0 <= self.max_iter <= _INT32.max):
            fail("max_iter", "an int in [0, 2**31 - 1]")
        self._threads()  # SoftmaxRegression's check, which predictions make too
        if not (
            self.class_weight is None
            or (isinstance(self.class_weight, str) and self.class_weight == "balanced")
            or isinstance(self.class_weight, dict)
        ):
            fail("class_weight", "None, 'balanced' or a dict")
        if _is_int(self.cv) and self.cv < 2:
            fail("cv", "None, an int >= 2, a splitter or an iterable of (train, test) arrays")

    def _options(self):
        return {
            "fit_intercept": bool(self.fit_intercept),
            "solver": None if self.solver == "auto" else self.solver,
            "tolerance": float(self.tol),
            "max_iterations": int(self.max_iter),
            "threads": self._threads(),
        }

    def fit(self, X, y, sample_weight=None):
        """Cross-validate every C of ``Cs``, choose one, and (with ``refit``) fit all rows.

        ``sample_weight`` (None: every row weighs 1) weights the fits and the held-out scores.

        A refused fit (ValueError) leaves the estimator as it was. Ctrl-C stops the search within
        one solver iteration (KeyboardInterrupt; the estimator is left as it was).
        """
        self._check_params()
        X, y, feature_attributes = _validate_for_fit(self, X, y)
        features = _core_features(X)
        check_classification_targets(y)
        classes, y_index = np.unique(y, return_inverse=True)
        if classes.size < 2:
            raise ValueError(
                "SoftmaxRegressionCV needs samples of at least 2 classes in the data, but the "
                f"data contains only one class: {classes[0]!r}"
            )
        if _is_int(self.Cs):
            Cs = np.logspace(-4, 4, int(self.Cs))
        else:
            Cs = np.asarray(self.Cs, dtype=np.float64)
        row_weights = _row_weights(
            "SoftmaxRegressionCV", X, y, classes, y_index, sample_weight, self.class_weight)
        folds = self._folds(X, y)
        if classes.dtype.kind in "iu" and classes[0] >= _INT32.min and classes[-1] <= _INT32.max:
            labels = classes.astype(np.int32)[y_index]
        else:
            labels = y_index.astype(np.int32)
        labels = np.ascontiguousarray(labels)
        n_samples = X.shape[0]
        train = [_fold_part(fold[0], n_samples, i, "train") for i, fold in enumerate(folds)]
        test = [_fold_part(fold[1], n_samples, i, "test") for i, fold in enumerate(folds)]
        for index, part in enumerate(train):
            missing = np.setdiff1d(np.arange(classes.size), np.unique(y_index[part]))
            if missing.size:
                raise ValueError(
                    f"SoftmaxRegressionCV: class {classes[missing[0]]!r} is absent from the "
                    f"training part of fold {index}; every fold must train on every class "
                    "(use fewer folds)"
                )
            # A class whose training rows here all weigh 0 trains as absent (as in a single fit
            # and LogisticRegressionCV; it was a ValueError).
            if row_weights is not None:
                if not np.sum(row_weights[test[index]], dtype=np.float64) > 0:
                    raise ValueError(
                        f"SoftmaxRegressionCV: sample_weight: every row of the test part of fold "
                        f"{index} weighs 0 (nothing to score)")
        options = self._options()
        # Under the estimator's lock, as SoftmaxRegression.fit: predictions, save and pickles
        # from other threads wait, and see the attributes of one fit (they read a half-assigned
        # search before).
        with _model_lock(self):
            # The core chooses C and refits, as the command does: the same choice (its mean, its
            # tie rule) and the same model bytes, and the refit's weight sum checked before the
            # search, by the library's own rule.
            try:
                result = _core.cross_validate(
                    features, labels, Cs.tolist(), train, test, options, bool(self.refit),
                    row_weights, True, "log_loss" if self.scoring == "neg_log_loss" else "accuracy")
            except ValueError as error:
                raise _naming_class_weight(error, sample_weight, self.class_weight) from None
            if self.scoring == "neg_log_loss":
                scores = -result["log_loss"]
            else:
                scores = result["accuracy"]
            best = result["best_index"]
            # As SoftmaxRegression (and LogisticRegressionCV) warns: fits that did not converge.
            reasons = [reason for row in result["reasons"] for reason in row]
            unconverged = [r for r in reasons if r not in ("converged",)]
            if unconverged:
                counts = {r: unconverged.count(r) for r in sorted(set(unconverged))}
                warnings.warn(
                    f"SoftmaxRegressionCV: {len(unconverged)} of {len(reasons)} fits of the "
                    f"search did not reach tol={self.tol} ({counts}); increase max_iter or tol",
                    ConvergenceWarning,
                )
            fitted = {
                "Cs_": Cs,
                "scores_": {cls: scores for cls in classes},
                "log_loss_": result["log_loss"],
                "pass_equivalents_": result["pass_equivalents"],
                "classes_": classes,
                "best_index_": int(best),
                # scikit-learn's multinomial layout: per class, (folds, Cs, n_features + 1),
                # the intercept last (without fit_intercept, (folds, Cs, n_features)).
                "coefs_paths_": {
                    cls: result["coefficients"][:, :, k, :]
                    if self.fit_intercept
                    else result["coefficients"][:, :, k, :-1]
                    for k, cls in enumerate(classes)
                },
            }
            n_iter = result["iterations"][np.newaxis, :, :]
            if self.refit:
                best_C = float(Cs[best])
                core = result["model"]
                report = core.last_report
                # A NaN refit is the core's ValueError (the estimator is left as it was).
                if report["reason"] != "converged":
                    warnings.warn(
                        f"SoftmaxRegressionCV: the refit at C={best_C!r} did not reach "
                        f"tol={self.tol} ({report['reason']}); increase max_iter or tol",
                        ConvergenceWarning,
                    )
                self._set_fitted(core, classes, report, feature_attributes)
                for name in ("_weights", "_intercept"):
                    self.__dict__.pop(name, None)
            else:
                # scikit-learn's refit=False: each fold's best C (ties as for the mean: the
                # smaller C), the folds' coefficients averaged.
                per_fold = [_best_index(fold_scores, Cs) for fold_scores in scores]
                weights, intercepts = [], []
                for fold, index in enumerate(per_fold):
                    core = _core.Model()
                    _checked_fit(
                        core,
                        _core_features(X[train[fold]]),
                        np.ascontiguousarray(labels[train[fold]]),
                        None if row_weights is None else np.ascontiguousarray(row_weights[train[fold]]),
                        dict(options, C=float(Cs[index])),
                        f"fold {fold}'s fit at C={float(Cs[index])!r}",
                        self.tol,
                    )
                    weights.append(core.weights)
                    intercepts.append(core.intercept)
                with np.errstate(over="ignore"):
                    best_C = float(np.mean(Cs[per_fold]))
                if not np.isfinite(best_C):  # the folds' sum overflowed (Cs near 1.8e308)
                    best_C = float(np.sum(Cs[per_fold] / len(per_fold)))
                _set_feature_attributes(self, feature_attributes)
                self._core = None
                self._weights = np.mean(weights, axis=0)
                self._intercept = np.mean(intercepts, axis=0)
                if classes.size == 2:
                    self.coef_ = (self._weights[1] - self._weights[0])[np.newaxis, :]
                    self.intercept_ = np.array([self._intercept[1] - self._intercept[0]])
                else:
                    self.coef_ = self._weights
                    self.intercept_ = self._intercept
                self.fit_report_ = None
            self.__dict__.update(fitted)
            self.n_iter_ = n_iter
            self.C_ = np.full(classes.size, best_C)
        return self

    def _more_tags(self):
        # scikit-learn's check that a weight of 0 equals removing the row cannot hold for
        # refit=False: removing rows changes the folds, and the model is the folds' average.
        # With refit=True the model is the weighted refit, which passes the check.
        # (LogisticRegressionCV declares the same expected failure for every setting.)
        if getattr(self, "refit", True):  # _validate_for_fit's proxy has no parameters
            return {}
        return {
            "_xfail_checks": {
                "check_sample_weights_invariance": (
                    "with refit=False the model averages the folds' fits, and a row removed "
                    "changes the folds; a zero weight does not"
                )
            }
        }

    def _folds(self, X, y):
        """The (train, test) pairs of ``cv``; ValueError naming cv for anything else."""
        try:
            folds = list(check_cv(self.cv, y, classifier=True).split(X, y))
        except (TypeError, ValueError) as error:
            if isinstance(error, ValueError) and str(error).startswith("SoftmaxRegressionCV"):
                raise
            raise ValueError(
                f"SoftmaxRegressionCV: cv must be None, an int >= 2, a splitter or an iterable of "
                f"(train, test) index arrays; using {self.cv!r} failed: {error}"
            ) from error
        if not folds:
            raise ValueError("SoftmaxRegressionCV: cv produced no folds")
        for index, fold in enumerate(folds):
            if not (isinstance(fold, (tuple, list)) and len(fold) == 2):
                raise ValueError(
                    f"SoftmaxRegressionCV: cv fold {index} must be a (train, test) pair of index "
                    f"arrays, got {fold!r}"
                )
        return folds

    def score(self, X, y, sample_weight=None):
        """The ``scoring`` metric on (X, y): accuracy (None, 'accuracy') or minus the mean
        log-loss ('neg_log_loss'), weighted by ``sample_weight``, as
        ``LogisticRegressionCV.score`` (it returned accuracy whatever ``scoring`` said). A row
        whose probabilities are NaN (its logits overflow) is a ValueError naming ``score`` and
        the row (scikit-learn's scorers named ``predict`` or only "Input contains NaN")."""
        if self.scoring != "neg_log_loss":
            return super().score(X, y, sample_weight=sample_weight)
        with _model_lock(self):
            probabilities = self.predict_proba(X)
            _refuse_rows(np.isnan(probabilities).any(axis=1), f"{type(self).__name__}.score")
            # scikit-learn's own scorer on these probabilities, so the value keeps its bits (with
            # two classes it scores the positive column alone; log_loss on both columns differed
            # by an ulp).
            return get_scorer("neg_log_loss")(_KnownProbabilities(self.classes_, probabilities),
                                              X, y, sample_weight=sample_weight)

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes)."""
        with _model_lock(self):
            check_is_fitted(self, "coef_")
            if getattr(self, "_core", None) is not None:
                return super().predict_proba(X)
            # The logits predict takes the argmax of (a non-canonical CSR matrix's duplicates
            # summed first: its own entry order gave other products), quietly NaN where they
            # overflow, as the C++ core's (numpy warned).
            logits = self._logits(X)
            with np.errstate(over="ignore", invalid="ignore"):
                return softmax(logits, axis=1)

    def save(self, path):
        """As ``SoftmaxRegression.save``; needs ``refit=True`` (a fitted C++ model)."""
        with _model_lock(self):
            check_is_fitted(self, "coef_")
            if getattr(self, "_core", None) is None:
                raise ValueError(
                    "SoftmaxRegressionCV.save: with refit=False the averaged coefficients are "
                    "not a fitted C++ model; fit with refit=True to save"
                )
            super().save(path)

