"""softmaxkit: multinomial logistic regression on a multithreaded SIMD C++ core.

``SoftmaxRegression`` is a scikit-learn classifier (``ClassifierMixin``, ``BaseEstimator``);
``load`` reads the model files that ``SoftmaxRegression.save`` and the ``softmaxkit`` command
write.
"""

import os
import warnings

from softmaxkit import _core
from softmaxkit._estimator import FitReport, SoftmaxRegression, load
from softmaxkit._cv import SoftmaxRegressionCV


def _warn_if_openblas_kernels_are_old():
    """Debian's OpenBLAS picks its kernels when it is loaded and falls back to generic ones
    (Prescott) on CPUs it does not know: softmaxkit's solver products and numpy's run about 2x
    slower (README, "Loss, gradient and Hessian-vector product"). The variable is read only at
    load time, so the remedy is the user's; a value they set is their choice and is not warned
    about. Once per process: the flag lives in _core, which stays loaded when softmaxkit is
    imported again after del sys.modules["softmaxkit"]."""
    core = _core.openblas_core()
    if core["suits_cpu"] or "OPENBLAS_CORETYPE" in os.environ:
        return
    if getattr(_core, "_openblas_warning_given", False):
        return
    _core._openblas_warning_given = True
    warnings.warn(
        f"softmaxkit: OpenBLAS (numpy's and softmaxkit's) runs its {core['name']!r} kernels, "
        f"older than this CPU; matrix products run about 2x slower. Set "
        f"OPENBLAS_CORETYPE={core['remedy']} in the environment before starting Python.",
        RuntimeWarning,
        stacklevel=2,
    )


_warn_if_openblas_kernels_are_old()

__all__ = ["FitReport", "SoftmaxRegression", "SoftmaxRegressionCV", "load"]
__version__ = getattr(_core, "__version__", "0")
