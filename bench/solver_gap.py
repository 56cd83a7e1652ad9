#!/usr/bin/python3
"""Pass-equivalents and seconds to the objective target, per solver, beside scikit-learn's lbfgs.

Runs the `softmaxkit train` command once per solver (structured, newton, lbfgs) at a tight
tolerance, reads its per-iteration progress lines (objective, evaluations, pass-equivalents,
seconds), and reports when each first reached J <= J* (1 + 1e-6), J* being the lowest objective
any run reached. scikit-learn's LogisticRegression(solver="lbfgs", C=1, tol=1e-6) runs once for
its time and final gap; it has no per-iteration hook, so only its end point is shown. Times are wall-clock on whatever else the machine runs:
read them as ratios within one run.

Usage: bench/solver_gap.py BUILD_DIR [digits|fashion|fashion10k ...] [--threads N]
Needs python3-numpy and python3-sklearn (Debian); Fashion-MNIST from dataset-fashion-mnist.
"""
import argparse
import gzip
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
from openblas_kernels import run_on_suitable_kernels  # noqa: E402 (bench/ is sys.path[0])

FASHION = "/usr/share/datasets/fashion-mnist"
LINE = re.compile(r"iteration\s+(\d+)\s+objective\s+(\S+)\s+gradient norm\s+(\S+)\s+"
                  r"evaluations\s+(\d+)\s+passes\s+(\S+)\s+(\S+) s")


def read_idx(images, labels):
    with gzip.open(images) as f:
        data = f.read()
    rows, height, width = (int.from_bytes(data[i:i + 4], "big") for i in (4, 8, 12))
    x = np.frombuffer(data, np.uint8, offset=16).reshape(rows, height * width) / 255.0
    with gzip.open(labels) as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    return x, y


def load(name):
    if name == "digits":
        from sklearn.datasets import load_digits
        d = load_digits()
        return d.data.astype(np.float64), d.target.astype(np.int64)
    x, y = read_idx(f"{FASHION}/train-images-idx3-ubyte.gz",
                    f"{FASHION}/train-labels-idx1-ubyte.gz")
    if name == "fashion10k":
        return x[:10000], y[:10000]
    return x, y


def objective(x, y, coef, intercept, C):
    z = x @ coef.T + intercept
    z -= z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(y)), y].mean() + 0.5 / (C * len(y)) * (coef ** 2).sum()


def run_cli(command, csv, solver, threads, tol):
    args = [command, "train", "--format", "csv", "--train", csv, "--label-column", "0",
            "--C", "1", "--double", "--solver", solver, "--tol", str(tol),
            "--max-iter", "100000", "--threads", str(threads)]
    # Progress lines go to stderr (one per iteration when stderr is not a terminal).
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    trace = [(float(m[2]), int(m[4]), float(m[5]), float(m[6]))
             for m in LINE.finditer(done.stderr)]
    return trace, done.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("data", nargs="*", default=["digits"],
                        choices=["digits", "fashion", "fashion10k"])
    parser.add_argument("--threads", type=int, default=1)
    options = parser.parse_args()
    command = os.path.join(options.build, "tools/softmaxkit/softmaxkit")
    os.environ["OMP_NUM_THREADS"] = str(options.threads)
    os.environ["OPENBLAS_NUM_THREADS"] = str(options.threads)
    run_on_suitable_kernels(options.build)
    for name in options.data:
        report(command, name, options.threads)


def report(command, name, threads):
    x, y = load(name)

    with tempfile.TemporaryDirectory() as work:
        csv = os.path.join(work, "train.csv")
        np.savetxt(csv, np.column_stack([y, x]), fmt="%.9g", delimiter=",")
        traces = {}
        for solver, tol in (("structured", 1e-8), ("newton", 1e-8), ("lbfgs", 1e-8)):
            traces[solver], _ = run_cli(command, csv, solver, threads, tol)

    from sklearn.linear_model import LogisticRegression
    start = time.perf_counter()
    model = LogisticRegression(C=1.0, solver="lbfgs", tol=1e-6, max_iter=100000).fit(x, y)
    sklearn_seconds = time.perf_counter() - start
    sklearn_objective = objective(x, y, model.coef_, model.intercept_, 1.0)

    best = min([sklearn_objective] + [t[0] for trace in traces.values() for t in trace])
    target = best * (1 + 1e-6)
    print(f"{name}: {x.shape[0]} x {x.shape[1]}, C = 1, {threads} thread(s); "
          f"J* = {best:.10g}, target J <= {target:.10g}")
    print(f"{'solver':<22} {'passes to target':>17} {'seconds to target':>18} {'final J':>15}")
    for solver, trace in traces.items():
        hit = next((t for t in trace if t[0] <= target), None)
        final = trace[-1][0] if trace else float("nan")
        if hit:
            print(f"{'softmaxkit ' + solver:<22} {hit[2]:>17.1f} {hit[3]:>18.2f} {final:>15.10g}")
        else:
            print(f"{'softmaxkit ' + solver:<22} {'not reached':>17} {'-':>18} {final:>15.10g}")
    gap = (sklearn_objective - best) / best
    print(f"{'scikit-learn lbfgs':<22} {'n_iter ' + str(int(model.n_iter_[0])):>17} "
          f"{sklearn_seconds:>18.2f} {sklearn_objective:>15.10g}  (end point, tol 1e-6; "
          f"{gap:.1e} above J*)")


if __name__ == "__main__":
    sys.exit(main())
