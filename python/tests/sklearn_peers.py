"""scikit-learn peers shared by the SoftmaxRegressionCV tests (test_cv.py, test_cv_sparse.py)."""

import warnings

from sklearn.linear_model import LogisticRegressionCV


def logistic_regression_cv(X, y, Cs, folds, scoring):
    """LogisticRegressionCV(Cs, cv=folds, lbfgs, tol=1e-10, multinomial) fitted on X, y."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its ConvergenceWarnings and multi_class deprecation
        return LogisticRegressionCV(
            Cs=Cs,
            cv=folds,
            scoring=scoring,
            solver="lbfgs",
            tol=1e-10,
            max_iter=10000,
            multi_class="multinomial",
        ).fit(X, y)
