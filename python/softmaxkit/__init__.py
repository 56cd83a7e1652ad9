"""softmaxkit: multinomial logistic regression on a multithreaded SIMD C++ core.

``SoftmaxRegression`` is a scikit-learn classifier (``ClassifierMixin``, ``BaseEstimator``);
``load`` reads the model files that ``SoftmaxRegression.save`` and the ``softmaxkit`` command
write.
"""

from softmaxkit import _core
from softmaxkit._estimator import FitReport, SoftmaxRegression, load
from softmaxkit._cv import SoftmaxRegressionCV

__all__ = ["FitReport", "SoftmaxRegression", "SoftmaxRegressionCV", "load"]
__version__ = getattr(_core, "__version__", "0")
