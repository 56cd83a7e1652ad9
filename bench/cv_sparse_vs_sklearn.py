#!/usr/bin/python3
"""Choosing C on CSR data: SoftmaxRegressionCV against scikit-learn's LogisticRegressionCV on the
same sparse matrix and folds, in one run.

Usage: bench/cv_sparse_vs_sklearn.py BUILD_DIR [--shape rcv1|news20] [--rows N] [--Cs LOW:HIGH:N]
                                     [--folds K] [--threads T] [--tol TOL] [--max-iter N]

Writes the synthetic bag-of-words set with BUILD_DIR/tools/bag_of_words/softmaxkit-bag-of-words,
loads it with scikit-learn's load_svmlight_file (float64 CSR; both search on it as CSR), makes
StratifiedKFold(K) folds, and runs SoftmaxRegressionCV(Cs, cv=folds, tol, max_iter, n_threads=T)
and LogisticRegressionCV(Cs, cv=folds, solver="lbfgs", multinomial, tol, max_iter, n_jobs=T:
scikit-learn runs folds in parallel, softmaxkit every fit on T threads). Prints the mean held-out
accuracy and log-loss per C for both, the chosen C, the times and their ratio. Timings on a shared
machine move between runs: read the ratio from one run.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from openblas_kernels import run_on_suitable_kernels  # noqa: E402 (bench/ is sys.path[0])

SHAPES = {"rcv1": (20000, 47236, 53), "news20": (15935, 62061, 20)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build_dir")
    parser.add_argument("--shape", default="rcv1", choices=sorted(SHAPES))
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--Cs", default="0.1:100:4")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tol", type=float, default=1e-6)
    parser.add_argument("--max-iter", type=int, default=1000)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sys.path.insert(0, os.path.join(args.build_dir, "python"))
    run_on_suitable_kernels()
    import numpy as np
    from sklearn.datasets import load_svmlight_file
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold

    import softmaxkit

    generator = os.path.join(args.build_dir, "tools", "bag_of_words", "softmaxkit-bag-of-words")
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "data.svm")
        command = [generator, "--shape", args.shape, "--rows", str(args.rows), path]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        X, y = load_svmlight_file(path, n_features=SHAPES[args.shape][1], dtype=np.float64)
    y = y.astype(np.int64)
    low, high, count = args.Cs.split(":")
    Cs = np.logspace(np.log10(float(low)), np.log10(float(high)), int(count))
    folds = list(StratifiedKFold(args.folds).split(X, y))
    print(f"{args.shape}-shaped: {X.shape[0]} x {X.shape[1]}, {np.unique(y).size} classes, "
          f"{X.nnz} stored values; {len(folds)} folds x {Cs.size} values of C; tol {args.tol}, "
          f"max_iter {args.max_iter}, {args.threads} threads; load {os.getloadavg()[0]:.1f}")

    results = {}
    for name in ("softmaxkit", "scikit-learn"):
        start = time.perf_counter()
        if name == "softmaxkit":
            model = softmaxkit.SoftmaxRegressionCV(
                Cs=Cs, cv=folds, tol=args.tol, max_iter=args.max_iter, n_threads=args.threads)
            model.fit(X, y)
            log_loss = model.log_loss_.mean(axis=0)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # ConvergenceWarnings, multi_class deprecation
                model = LogisticRegressionCV(
                    Cs=Cs, cv=folds, solver="lbfgs", tol=args.tol, max_iter=args.max_iter,
                    multi_class="multinomial", n_jobs=args.threads)
                model.fit(X, y)
        seconds = time.perf_counter() - start
        results[name] = (model.scores_[model.classes_[0]].mean(axis=0), model.C_[0], seconds)
        print(f"  {name}: {seconds:.1f} s (search and refit), C = {model.C_[0]:.4g}", flush=True)
    ours, peer = results["softmaxkit"], results["scikit-learn"]
    print(f"{'C':>10}  {'accuracy: softmaxkit':>20}  {'scikit-learn':>12}  "
          f"{'softmaxkit log-loss':>19}")
    for i, C in enumerate(Cs):
        print(f"{C:10.4g}  {ours[0][i]:20.4f}  {peer[0][i]:12.4f}  {log_loss[i]:19.4f}")
    print(f"chosen C: softmaxkit {ours[1]:.4g}, scikit-learn {peer[1]:.4g}; time: softmaxkit "
          f"{ours[2]:.1f} s, scikit-learn {peer[2]:.1f} s, ratio {peer[2] / ours[2]:.2f}x")


if __name__ == "__main__":
    main()
