#!/usr/bin/python3
"""Fashion-MNIST (60000 x 784, float64, C = 1), one thread each: how much sooner softmaxkit's
default fit reaches the objective scikit-learn's lbfgs ends at.

Runs softmaxkit.SoftmaxRegression(C=1, n_threads=1) (the structured solver, default tol 1e-6),
then LogisticRegression(C=1, solver="lbfgs", tol=1e-6, max_iter=--sklearn-max-iter), then
softmaxkit again (the two softmaxkit runs bracket scikit-learn's in time, so a load change shows).
The ratio is scikit-learn's total fit time over the time (since fit() was called, setup
included) at which softmaxkit's trace first reached scikit-learn's final objective, wall-clock
and in process CPU seconds (one thread each; the fairer clock on a shared machine).

--float32: both libraries get the same float32 array (Fashion-MNIST as the IDX reader loads it);
softmaxkit then computes in float (its default for float data), scikit-learn's lbfgs in float64
(it converts; it has no float32 path).

Usage: PYTHONPATH=build/release/python bench/sklearn_ratio.py [--sklearn-max-iter N] [--float32]
"""
import os

os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import argparse  # noqa: E402
import subprocess  # noqa: E402

import numpy as np  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from solver_plot import load, run_sklearn, run_softmaxkit  # noqa: E402
from openblas_kernels import run_on_suitable_kernels  # noqa: E402 (bench/ is sys.path[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sklearn-max-iter", type=int, default=100000)
    parser.add_argument("--data", default="fashion")
    parser.add_argument("--float32", action="store_true",
                        help="both get the data as float32 (what the IDX reader and scripts/run "
                        "give softmaxkit); scikit-learn's lbfgs converts it to float64 itself")
    options = parser.parse_args()
    run_on_suitable_kernels()
    title, x, y = load(options.data)
    if options.float32:
        x = x.astype(np.float32)
    print(title, f"| C = 1, {x.dtype}, one thread each")

    def uptime():
        print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
              flush=True)

    uptime()
    ours = []
    for run in range(2):
        if run == 1:
            theirs, status = run_sklearn(x, y, "lbfgs", options.sklearn_max_iter, 1e9)
            print(f"scikit-learn lbfgs: {status}, {theirs[-1][1]:.2f} s, "
                  f"{theirs[-1][3]:.2f} s CPU, {theirs[-1][0]} "
                  f"evaluations, J = {theirs[-1][2]:.10f}", flush=True)
            uptime()
        trace, status = run_softmaxkit(x, y, "structured", 1e-6, 100000, 1e9)
        ours.append(trace)
        print(f"softmaxkit (default, structured): {status}, {trace[-1][1]:.2f} s, "
              f"{trace[-1][3]:.2f} s CPU, "
              f"{trace[-1][0]:.1f} pass-equivalents, J = {trace[-1][2]:.10f}", flush=True)
        uptime()
    target = theirs[-1][2]
    for trace in ours:
        hit = next((t for t in trace if t[2] <= target), None)
        if hit is None:
            print("softmaxkit never reached scikit-learn's final objective")
            continue
        print(f"softmaxkit reached J <= {target:.10f} after {hit[1]:.2f} s, {hit[3]:.2f} s CPU "
              f"({hit[0]:.1f} pass-equivalents); scikit-learn took {theirs[-1][1]:.2f} s, "
              f"{theirs[-1][3]:.2f} s CPU: {theirs[-1][1] / hit[1]:.1f}x wall-clock, "
              f"{theirs[-1][3] / hit[3]:.1f}x CPU")


if __name__ == "__main__":
    sys.exit(main())
