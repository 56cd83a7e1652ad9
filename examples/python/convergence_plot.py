#!/usr/bin/python3
"""softmaxkit against scikit-learn on Fashion-MNIST: objective against seconds, as a PNG.

    /usr/bin/python3 examples/python/convergence_plot.py [--out fashion_mnist_convergence.png]

Both minimise scikit-learn's objective sum_i CE_i + ||W||^2 / (2C) on the 60000 training
images (pixels / 255, float32), C = 1: softmaxkit.SoftmaxRegression(C=1, n_threads=...) and
LogisticRegression(C=1, solver="lbfgs", tol=1e-6, max_iter=...), each from zero. The plot shows
(objective - best objective reached by either) / number of rows against wall-clock seconds since
fit() was called. The printed ratio is the time scikit-learn needs to reach the objective
softmaxkit ends at, over the time softmaxkit needs (a lower bound, marked ">=", when
scikit-learn does not get there within max_iter).

LogisticRegression has no per-iteration callback; its own scipy L-BFGS-B run is observed by
wrapping scipy.optimize.minimize as scikit-learn calls it (the objective values are the ones
scikit-learn's solver computes, the time is measured when each iteration ends).
"""

import argparse
import gzip
import struct
import time
import warnings

import numpy as np

DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path, "rb") as file:
        data = file.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4 : 4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def run_softmaxkit(X, y, C, threads):
    import softmaxkit

    trace = []
    start = time.perf_counter()

    def record(info):
        trace.append((time.perf_counter() - start, info["objective"]))

    model = softmaxkit.SoftmaxRegression(C=C, n_threads=threads, callback=record).fit(X, y)
    return model, np.array(trace), time.perf_counter() - start


def run_scikit_learn(X, y, C, max_iter):
    import scipy.optimize
    from sklearn.linear_model import LogisticRegression
    from sklearn.linear_model import _logistic

    trace = []
    rows = X.shape[0]
    original = _logistic.optimize

    class Observed:  # scipy.optimize as scikit-learn sees it, with minimize observed
        def __getattr__(self, name):
            return getattr(scipy.optimize, name)

        @staticmethod
        def minimize(fun, x0, *args, **kwargs):
            last = {}

            def fun_recorded(w, *fun_args):
                value, gradient = fun(w, *fun_args)
                last["value"] = value
                return value, gradient

            def callback(_):
                # scikit-learn's objective is a sum over rows; softmaxkit reports the mean.
                trace.append((time.perf_counter() - start, last["value"] / rows))

            return scipy.optimize.minimize(fun_recorded, x0, *args, callback=callback, **kwargs)

    _logistic.optimize = Observed()
    try:
        model = LogisticRegression(C=C, solver="lbfgs", tol=1e-6, max_iter=max_iter,
                                   multi_class="multinomial")
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y)
        seconds = time.perf_counter() - start
    finally:
        _logistic.optimize = original
    return model, np.array(trace), seconds


def time_to_reach(trace, target):
    reached = np.nonzero(trace[:, 1] <= target)[0]
    return trace[reached[0], 0] if reached.size else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="fashion_mnist_convergence.png")
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=2, help="softmaxkit threads")
    parser.add_argument("--sklearn-max-iter", type=int, default=5000)
    arguments = parser.parse_args()

    images = read_idx(f"{DATA}/train-images-idx3-ubyte.gz").reshape(60000, -1)
    X = (images / 255.0).astype(np.float32)
    y = read_idx(f"{DATA}/train-labels-idx1-ubyte.gz").astype(np.int64)

    ours, our_trace, our_seconds = run_softmaxkit(X, y, arguments.C, arguments.threads)
    print(f"softmaxkit:   {our_seconds:8.2f} s, {ours.n_iter_[0]} iterations, objective "
          f"{ours.fit_report_.objective:.10f} ({ours.fit_report_.reason})")
    theirs, their_trace, their_seconds = run_scikit_learn(X, y, arguments.C,
                                                          arguments.sklearn_max_iter)
    print(f"scikit-learn: {their_seconds:8.2f} s, {theirs.n_iter_[0]} iterations, objective "
          f"{their_trace[-1, 1]:.10f}")

    target = max(our_trace[-1, 1], their_trace[-1, 1])  # both reach it
    ours_at, theirs_at = time_to_reach(our_trace, target), time_to_reach(their_trace, target)
    bound = "" if their_trace[-1, 1] <= our_trace[-1, 1] else ">= "
    print(f"time to objective {target:.10f}: softmaxkit {ours_at:.2f} s, scikit-learn "
          f"{theirs_at:.2f} s, ratio {bound}{theirs_at / ours_at:.1f}x")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    best = min(our_trace[:, 1].min(), their_trace[:, 1].min())
    floor = 1e-12
    figure, axes = plt.subplots(figsize=(7, 4.5))
    axes.semilogy(our_trace[:, 0], np.maximum(our_trace[:, 1] - best, floor), "o-", ms=3,
                  label=f"softmaxkit ({arguments.threads} threads)")
    axes.semilogy(their_trace[:, 0], np.maximum(their_trace[:, 1] - best, floor), "-",
                  label="scikit-learn LogisticRegression (lbfgs)")
    axes.set_xscale("symlog", linthresh=1.0)
    axes.set_xlabel("seconds since fit() was called")
    axes.set_ylabel("objective - best (mean cross-entropy + L2)")
    axes.set_title(f"Fashion-MNIST, 60000 x 784, float32, C = {arguments.C:g}")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(arguments.out, dpi=120)
    print("wrote", arguments.out)


if __name__ == "__main__":
    main()
