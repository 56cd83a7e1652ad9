#!/usr/bin/python3
"""Training on CSR data: softmaxkit against scikit-learn's LogisticRegression, in one run.

Usage: bench/sparse_fit_vs_sklearn.py BUILD_DIR [--shape rcv1|news20] [--rows N] [--threads T]
                                      [--skip-sklearn] [--float32] [--solvers auto,newton,lbfgs]
                                      [--spread-columns W]

Writes the synthetic bag-of-words set with BUILD_DIR/tools/bag_of_words/softmaxkit-bag-of-words,
loads it with scikit-learn's load_svmlight_file (float64 CSR, the format both then train on),
fits scikit-learn 1.2's LogisticRegression(C=1, solver="lbfgs", tol=1e-6, max_iter=10000)
and softmaxkit.SoftmaxRegression(C=1) with each of its solvers, on T threads each
(OMP_NUM_THREADS / n_threads), and scores every solution with one independent float64 evaluation
of scikit-learn's objective (sum of cross-entropies + ||W||^2 / (2C), divided by m). Prints time,
evaluations, the objective's relative distance to the best one found, and time ratios to
scikit-learn. Timings on a shared machine move between runs: read the ratios from one run.
--float32: softmaxkit trains on a float32 copy of the CSR values (what the command's LibSVM reader
gives); scikit-learn still gets the float64 matrix (it converts float32 to float64 anyway), and
every objective is evaluated in float64 on the float64 matrix.
--spread-columns W: the shape's columns mapped at random (seed 5) into W columns, most of them
then empty, as hashed features are (scikit-learn's HashingVectorizer declares 2^20).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from openblas_kernels import run_on_suitable_kernels  # noqa: E402 (bench/ is sys.path[0])

SHAPES = {"rcv1": (20000, 47236, 53), "news20": (15935, 62061, 20)}


def objective(coef, intercept, X, y, C):
    import numpy as np
    from scipy.special import logsumexp

    z = X @ coef.T + intercept
    ce = logsumexp(z, axis=1) - z[np.arange(X.shape[0]), y]
    return (ce.sum() + 0.5 * np.sum(coef * coef) / C) / X.shape[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build_dir")
    parser.add_argument("--shape", default="rcv1", choices=sorted(SHAPES))
    parser.add_argument("--rows", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--skip-sklearn", action="store_true")
    parser.add_argument("--float32", action="store_true")
    parser.add_argument("--solvers", default="auto,newton,lbfgs")
    parser.add_argument("--spread-columns", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))
    sys.path.insert(0, os.path.join(args.build_dir, "python"))
    run_on_suitable_kernels()
    import numpy as np
    from sklearn.datasets import load_svmlight_file
    from sklearn.linear_model import LogisticRegression

    import softmaxkit

    generator = os.path.join(args.build_dir, "tools", "bag_of_words", "softmaxkit-bag-of-words")
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "data.svm")
        command = [generator, "--shape", args.shape, path]
        if args.rows:
            command[3:3] = ["--rows", str(args.rows)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        X, y = load_svmlight_file(path, n_features=SHAPES[args.shape][1], dtype=np.float64)
    y = y.astype(np.int64)
    if args.spread_columns:
        import scipy.sparse
        spots = np.random.default_rng(5).choice(args.spread_columns, X.shape[1], replace=False)
        X = scipy.sparse.csr_matrix((X.data, spots[X.indices], X.indptr),
                                    shape=(X.shape[0], args.spread_columns))
        X.sort_indices()
        used = np.count_nonzero(np.diff(X.tocsc().indptr))
        print(f"columns spread over {args.spread_columns}, {used} of them used")
    print(f"{args.shape}: {X.shape[0]} x {X.shape[1]}, {np.unique(y).size} classes, "
          f"{X.nnz / X.shape[0] / X.shape[1]:.3%} non-zero; threads {args.threads}; "
          f"softmaxkit on {'float32' if args.float32 else 'float64'}; "
          f"load {os.getloadavg()[0]:.1f}")
    X_ours = X.astype(np.float32) if args.float32 else X

    rows = []
    for solver in args.solvers.split(","):
        model = softmaxkit.SoftmaxRegression(C=1.0, solver=solver, tol=1e-6, max_iter=10000,
                                             n_threads=args.threads)
        start = time.perf_counter()
        model.fit(X_ours, y)
        seconds = time.perf_counter() - start
        report = model.fit_report_
        value = objective(model.coef_, model.intercept_, X, y, 1.0)
        rows.append((f"softmaxkit {solver}", seconds, report.evaluations + report.hessian_products,
                     report.pass_equivalents, value))
    if not args.skip_sklearn:
        reference = LogisticRegression(C=1.0, solver="lbfgs", tol=1e-6, max_iter=10000)
        start = time.perf_counter()
        reference.fit(X, y)
        seconds = time.perf_counter() - start
        value = objective(reference.coef_, reference.intercept_, X, y, 1.0)
        rows.append(("scikit-learn lbfgs", seconds, int(reference.n_iter_[0]), float("nan"),
                     value))
    best = min(row[4] for row in rows)
    sklearn_seconds = rows[-1][1] if not args.skip_sklearn else float("nan")
    print(f"{'solver':22s} {'seconds':>9s} {'passes':>8s} {'pass-eq':>8s} {'J - J_best':>11s} "
          f"{'speed-up':>9s}")
    for name, seconds, passes, equivalents, value in rows:
        print(f"{name:22s} {seconds:9.2f} {passes:8d} {equivalents:8.1f} "
              f"{(value - best) / best:11.2e} {sklearn_seconds / seconds:8.1f}x")
    print("(scikit-learn's 'passes' column is its iteration count n_iter_; J relative to the "
          "lowest objective of the table)")


if __name__ == "__main__":
    main()
