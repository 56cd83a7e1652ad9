#!/usr/bin/python3
"""Loss and gradient on CSR data: softmaxkit against scikit-learn, in one run.

Usage: bench/sparse_vs_sklearn.py BUILD_DIR [--shape rcv1|news20] [--repeats N]

Writes the synthetic data set with BUILD_DIR/tools/bag_of_words/softmaxkit-bag-of-words (the
generator softmaxkit_bench uses in-process, so both see the same matrix), loads it with
scikit-learn's load_svmlight_file as float32 CSR, and times scikit-learn 1.2's own multinomial
loss and gradient (LinearModelLoss with HalfMultinomialLoss, as its lbfgs solver calls it) with
n_threads 1 and 2; then runs softmaxkit_bench's loss_grad_csr and csr_read entries for the same
shape and prints one table of times and ratios. softmaxkit is timed in both weight layouts:
K x n ("simd", its default) and n x K ("simd_features_by_classes", WeightLayout::
features_by_classes), the layout scikit-learn is given here (coef.ravel(order="F")). Timings on a shared machine move between runs:
read the ratios, which come from this one run.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn._loss.loss import HalfMultinomialLoss
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model._linear_loss import LinearModelLoss
from openblas_kernels import run_on_suitable_kernels  # noqa: E402 (bench/ is sys.path[0])

SHAPES = {"rcv1": (20000, 47236, 53), "news20": (15935, 62061, 20)}


def sklearn_seconds(X, y, classes, threads, repeats):
    loss = LinearModelLoss(base_loss=HalfMultinomialLoss(n_classes=classes), fit_intercept=True)
    rng = np.random.default_rng(7)
    coef = (0.1 * (rng.random((classes, X.shape[1] + 1)) - 0.5)).astype(X.dtype)
    l2 = 1.0 / X.shape[0]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        value, gradient = loss.loss_gradient(coef.ravel(order="F"), X, y, None, l2, threads)
        times.append(time.perf_counter() - start)
    assert np.isfinite(value) and np.all(np.isfinite(gradient))
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build")
    parser.add_argument("--shape", default="rcv1", choices=SHAPES)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    run_on_suitable_kernels(args.build)
    rows, features, classes = SHAPES[args.shape]
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, f"{args.shape}.svm")
        subprocess.run([os.path.join(args.build, "tools/bag_of_words/softmaxkit-bag-of-words"),
                        "--shape", args.shape, path], check=True)
        X, y = load_svmlight_file(path, n_features=features, dtype=np.float32)
    X = X.tocsr()
    y = y.astype(np.float32)
    assert X.shape == (rows, features)
    name = f"{rows}x{features}x{classes}"
    print(f"{args.shape}-shaped: {rows} x {features}, {classes} classes, nnz {X.nnz} "
          f"({100.0 * X.nnz / (rows * features):.3f} %)")
    results = {}
    for threads in (1, 2):
        results[f"scikit-learn/{threads}"] = sklearn_seconds(X, y, classes, threads, args.repeats)
    bench = os.path.join(args.build, "bench/softmaxkit_bench")
    out = subprocess.run([bench, "--benchmark_filter=^(loss_grad_csr/(simd|simd_features_by_classes)"
                          f"|csr_read)/{name}/",
                          "--benchmark_format=json", "--benchmark_min_time=0.5"],
                         check=True, capture_output=True, text=True).stdout
    for entry in json.loads(out)["benchmarks"]:
        if "error_occurred" in entry:
            sys.exit(f"{entry['name']}: {entry.get('error_message')}")
        if entry["name"].startswith("loss_grad_csr/simd_features_by_classes/"):
            kind = "softmaxkit n x K"
        elif entry["name"].startswith("loss_grad_csr/simd/"):
            kind = "softmaxkit"
        else:
            kind = "csr read"
        threads = entry["name"].split("tbb_threads:")[1].split("/")[0]
        results[f"{kind}/{threads}"] = entry["real_time"] / 1e3  # ms -> s
    print(f"{'threads':>8} {'scikit-learn':>14} {'softmaxkit':>12} {'(n x K)':>10} "
          f"{'one CSR read':>14} {'sklearn / skm':>14} {'(n x K)':>8} {'skm / read':>11}")
    for threads in (1, 2):
        sk, skm, skm_t, read = (results[f"{k}/{threads}"] for k in
                                ("scikit-learn", "softmaxkit", "softmaxkit n x K", "csr read"))
        print(f"{threads:>8} {sk * 1e3:>11.1f} ms {skm * 1e3:>9.1f} ms {skm_t * 1e3:>7.1f} ms "
              f"{read * 1e3:>11.2f} ms {sk / skm:>13.1f}x {sk / skm_t:>7.1f}x "
              f"{skm / read:>10.1f}x")


if __name__ == "__main__":
    main()
