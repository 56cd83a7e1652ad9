#!/usr/bin/python3
"""The cost of choosing C, in pass-equivalents and seconds (issue 18's speed targets).

    PYTHONPATH=build/release/python /usr/bin/python3 bench/c_path.py \
        [path] [cv] [large-k] [--threads 2] [--rows 20000] [--sklearn-max-iter 100]

path     Fashion-MNIST (60000 x 784 or the first --path-rows, pixels / 255, float32):
         softmaxkit's path over 20 values of C from 1e-4 to 1e2 (softmaxkit._core.fit_path,
         warm-started), against one cold fit at C = 100, in pass-equivalents
         (FitReport.pass_equivalents: data passes plus the structured metric's setup and work)
         and seconds. --cold-path: also the 20 fits as independent models.
cv       5-fold CV over Cs = 10 (numpy.logspace(-4, 4, 10)) on the first --rows rows:
         softmaxkit.SoftmaxRegressionCV(Cs=10, cv=folds) against
         LogisticRegressionCV(Cs=10, cv=folds) with its defaults (lbfgs, tol 1e-4, max_iter
         100), on the same StratifiedKFold folds and the same threads (threadpoolctl limits
         scikit-learn's BLAS; n_jobs=1). Then "matched objective": the smallest max_iter of
         MATCHED_BUDGETS (tol 1e-4) at which each of softmaxkit's 50 (fold, C) fits ends at an
         objective at least as low as scikit-learn's fit of that fold at that C (float64,
         computed here from both libraries' coefs_paths_) with the same best C, and its time.
large-k  Synthetic embeddings (a linear probe): --probe-rows x --probe-features (512),
         --probe-classes (1000) classes, a 10-value
         path (1e-3 .. 1e2) against LogisticRegression at the same Cs, each cold with
         scikit-learn's default tol and max_iter --sklearn-max-iter.

Timings are wall-clock on a shared machine: compare the ratios measured in one run.
"""

import argparse
import gzip
import os
import sys
import time
import warnings

import numpy as np
from openblas_kernels import run_on_suitable_kernels  # noqa: E402 (bench/ is sys.path[0])

FASHION = "/usr/share/datasets/fashion-mnist"


def fashion(rows=None):
    with gzip.open(f"{FASHION}/train-images-idx3-ubyte.gz") as file:
        X = np.frombuffer(file.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(f"{FASHION}/train-labels-idx1-ubyte.gz") as file:
        y = np.frombuffer(file.read(), np.uint8, offset=8).astype(np.int32)
    if rows is not None:
        X, y = X[:rows], y[:rows]
    return np.ascontiguousarray(X, dtype=np.float32) / np.float32(255), y


def options(threads, **extra):
    return dict({"threads": threads, "tolerance": 1e-6, "max_iterations": 10000}, **extra)


def bench_path(threads, cold_path, rows):
    from softmaxkit import _core

    X, y = fashion(rows)
    Cs = np.logspace(-4, 2, 20)
    start = time.perf_counter()
    path = _core.fit_path(X, y, Cs.tolist(), options(threads))
    path_seconds = time.perf_counter() - start
    cold = _core.Model()
    start = time.perf_counter()
    report = cold.fit(X, y, None, options(threads, C=100.0), None)
    cold_seconds = time.perf_counter() - start
    print(f"path: Fashion-MNIST {X.shape[0]} x {X.shape[1]}, 20 values of C in [1e-4, 1e2], "
          f"{threads} thread(s); passes (iterations) per point")
    independent = []
    if cold_path:
        for C in Cs:
            model = _core.Model()
            start = time.perf_counter()
            fit = model.fit(X, y, None, options(threads, C=float(C)), None)
            independent.append((fit, time.perf_counter() - start))
    print(f"{'C':>10} {'path (warm)':>16}" + (f" {'independent':>16}" if cold_path else ""))
    for index, point in enumerate(path):
        r = point["report"]
        line = f"{point['C']:>10.3g} {r['pass_equivalents']:>9.1f} ({r['iterations']:>4d})"
        if cold_path:
            fit = independent[index][0]
            line += f" {fit['pass_equivalents']:>9.1f} ({fit['iterations']:>4d})"
        print(line)
    print(f"one cold fit at C = 100: {report['pass_equivalents']:.1f} passes, "
          f"{cold_seconds:.1f} s, {report['iterations']} iterations, {report['reason']}")
    passes = sum(point["report"]["pass_equivalents"] for point in path)
    relative = (path[-1]["report"]["objective"] - report["objective"]) / report["objective"]
    print(f"path: {passes:.1f} passes, {path_seconds:.1f} s; ratio to the cold fit at C = 100: "
          f"{passes / report['pass_equivalents']:.2f} in passes, "
          f"{path_seconds / cold_seconds:.2f} in seconds; last point's objective "
          f"{relative:+.1e} relative to it")
    if cold_path:
        total_passes = sum(fit["pass_equivalents"] for fit, _ in independent)
        total_seconds = sum(seconds for _, seconds in independent)
        print(f"the same 20 fits independently (cold, no shared setup): {total_passes:.1f} "
              f"passes, {total_seconds:.1f} s")


# The budgets tried for the matched-objective comparison, smallest first (fixed before any run).
MATCHED_BUDGETS = (10, 15, 20, 30, 50, 100)
# "At least as good": softmaxkit's objective exceeds scikit-learn's by at most this, relative
# (far below either solver's tolerance; where both converge they agree to about 1e-9).
MATCHED_SLACK = 1e-8


def fold_objectives(X, y, folds, Cs, paths):
    """Sum of the cross-entropies on each fold's training rows plus |W|^2 / (2 C), in float64
    numpy from the coefficients alone (the objective both libraries minimise, up to a positive
    factor), for paths in scikit-learn's multinomial coefs_paths_ layout."""
    from scipy.special import logsumexp

    classes = sorted(paths)
    out = np.zeros((len(folds), len(Cs)))
    for f, (train, _) in enumerate(folds):
        Xf = X[train].astype(np.float64)
        yf = y[train]
        for c, C in enumerate(Cs):
            coef = np.stack([paths[k][f, c] for k in classes])
            W, b = coef[:, :-1], coef[:, -1]
            Z = Xf @ W.T + b
            cross_entropy = logsumexp(Z, axis=1) - Z[np.arange(len(yf)), yf]
            out[f, c] = cross_entropy.sum() + (W * W).sum() / (2 * C)
    return out


def bench_cv(threads, rows):
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    import softmaxkit

    X, y = fashion(rows)
    folds = list(StratifiedKFold(5).split(X, y))

    def ours(**budget):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning for budget runs
            model = softmaxkit.SoftmaxRegressionCV(Cs=10, cv=folds, n_threads=threads,
                                                   **budget).fit(X, y)
        return model, time.perf_counter() - start

    converged, ours_seconds = ours()
    # The same iteration budget as scikit-learn's defaults (max_iter 100; tol 1e-4 on our
    # relative gradient norm): scikit-learn stops at 100 iterations for most C.
    budget, budget_seconds = ours(tol=1e-4, max_iter=100)
    with threadpool_limits(threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter 100
        start = time.perf_counter()
        peer = LogisticRegressionCV(Cs=10, cv=folds, multi_class="multinomial", n_jobs=1).fit(X, y)
        peer_seconds = time.perf_counter() - start
    a = converged.scores_[converged.classes_[0]].mean(axis=0)
    b = peer.scores_[peer.classes_[0]].mean(axis=0)
    print(f"cv: Fashion-MNIST first {rows} rows, 5 stratified folds x 10 values of C "
          f"(1e-4 .. 1e4), {threads} thread(s)")
    print(f"{'C':>10} {'softmaxkit acc':>15} {'sklearn acc':>12} {'smk passes':>11} "
          f"{'sklearn iters':>14}")
    for index, C in enumerate(converged.Cs_):
        print(f"{C:>10.3g} {a[index]:>15.4f} {b[index]:>12.4f} "
              f"{converged.pass_equivalents_[:, index].sum():>11.1f} "
              f"{int(peer.n_iter_[0, :, index].sum()):>14d}")
    print(f"softmaxkit: {ours_seconds:.1f} s, best C {converged.C_[0]:.4g}; scikit-learn: "
          f"{peer_seconds:.1f} s, best C {peer.C_[0]:.4g}; speed-up "
          f"{peer_seconds / ours_seconds:.1f}x")
    c = budget.scores_[budget.classes_[0]].mean(axis=0)
    print(f"softmaxkit with scikit-learn's budget (tol 1e-4, max_iter 100): "
          f"{budget_seconds:.1f} s, best C {budget.C_[0]:.4g}, "
          f"{budget.pass_equivalents_.sum():.0f} passes, largest accuracy difference to the "
          f"converged CV {np.max(np.abs(c - a)):.4f}; speed-up {peer_seconds / budget_seconds:.1f}x")

    # Matched objective: the smallest budget of MATCHED_BUDGETS at which every one of the 50
    # (fold, C) fits ends at an objective at least as low as scikit-learn's own fit of that
    # fold at that C, and the best C is the same. Both objectives are computed here, in
    # float64, from the coefficients each library returns.
    theirs = fold_objectives(X, y, folds, peer.Cs_, peer.coefs_paths_)
    for max_iter in MATCHED_BUDGETS:
        if max_iter == 100:
            model, seconds = budget, budget_seconds
        else:
            model, seconds = ours(tol=1e-4, max_iter=max_iter)
        relative = (fold_objectives(X, y, folds, model.Cs_, model.coefs_paths_) - theirs) / theirs
        good = int(np.sum(relative <= MATCHED_SLACK))
        same_C = model.C_[0] == peer.C_[0]
        print(f"  max_iter {max_iter:>3}: {seconds:.1f} s, {good}/{relative.size} fits at least "
              f"as good as scikit-learn's, best C {model.C_[0]:.4g}, "
              f"{model.pass_equivalents_.sum():.0f} passes")
        if good == relative.size and same_C:
            d = model.scores_[model.classes_[0]].mean(axis=0)
            print(f"matched objective: max_iter {max_iter}, {seconds:.1f} s, speed-up "
                  f"{peer_seconds / seconds:.1f}x; objective relative to scikit-learn's per C "
                  f"(worst fold): " + " ".join(f"{v:.1e}" for v in relative.max(axis=0)))
            print("  mean accuracy per C, this budget against scikit-learn's: " +
                  " ".join(f"{u:.4f}/{v:.4f}" for u, v in zip(d, b)))
            break
    else:
        print("matched objective: not reached within max_iter 100")


def bench_large_k(threads, rows, features, classes, sklearn_max_iter):
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    from softmaxkit import _core

    rng = np.random.default_rng(0)
    centers = rng.normal(size=(classes, features)).astype(np.float32)
    y = (np.arange(rows) % classes).astype(np.int32)
    X = (centers[y] * 0.3 + rng.normal(size=(rows, features)).astype(np.float32))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    Cs = np.logspace(-3, 2, 10)
    start = time.perf_counter()
    path = _core.fit_path(X, y, Cs.tolist(), options(threads))
    ours_seconds = time.perf_counter() - start
    passes = sum(point["report"]["pass_equivalents"] for point in path)
    iterations = sum(point["report"]["iterations"] for point in path)
    print(f"large-k: synthetic embeddings {rows} x {features}, {classes} classes, 10 values of "
          f"C in [1e-3, 1e2], {threads} thread(s)")
    print(f"softmaxkit path: {iterations} iterations, {passes:.1f} passes, {ours_seconds:.1f} s")
    with threadpool_limits(threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        total_iterations = 0
        for C in Cs:
            model = LogisticRegression(C=C, max_iter=sklearn_max_iter).fit(X, y)
            total_iterations += int(model.n_iter_[0])
        peer_seconds = time.perf_counter() - start
    print(f"scikit-learn lbfgs (cold at each C, max_iter {sklearn_max_iter}): "
          f"{total_iterations} iterations, {peer_seconds:.1f} s; speed-up "
          f"{peer_seconds / ours_seconds:.1f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("parts", nargs="*", default=["path", "cv"],
                        choices=["path", "cv", "large-k"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rows", type=int, default=20000, help="cv: rows")
    parser.add_argument("--path-rows", type=int, default=None, help="path: rows (default all)")
    parser.add_argument("--probe-rows", type=int, default=20000)
    parser.add_argument("--probe-features", type=int, default=512)
    parser.add_argument("--probe-classes", type=int, default=1000)
    parser.add_argument("--sklearn-max-iter", type=int, default=100)
    parser.add_argument("--cold-path", action="store_true",
                        help="path: also run the 20 fits cold")
    args = parser.parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))
    run_on_suitable_kernels()
    for part in args.parts:
        if part == "path":
            bench_path(args.threads, args.cold_path, args.path_rows)
        elif part == "cv":
            bench_cv(args.threads, args.rows)
        else:
            bench_large_k(args.threads, args.probe_rows, args.probe_features, args.probe_classes,
                          args.sklearn_max_iter)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
