#!/usr/bin/python3
"""Objective gap against pass-equivalents and against seconds, per solver, as a table and a PNG.

For each problem, from zero, one thread for every library (OMP_NUM_THREADS=1,
OPENBLAS_NUM_THREADS=1, n_threads=1), float64 data, C = 1 (scikit-learn's objective
sum_i CE_i + ||W||^2 / (2C), shown divided by the number of rows):
  softmaxkit structured (the default), newton (trust-region Newton-CG) and lbfgs (liblbfgs),
    through the Python binding; its iteration callback gives the objective and the
    pass-equivalents (FitReport's accounting: evaluations + Hessian-vector products + the
    structured metric's setup and work, in passes over X);
  scikit-learn's LogisticRegression(solver="lbfgs") and (solver="newton-cg"), observed by
    wrapping the optimiser scikit-learn calls (scipy's L-BFGS-B / sklearn.utils.optimize's
    _newton_cg): every call of the loss, the loss+gradient, the gradient+Hessian setup and every
    Hessian-vector product counts as one pass (a loss-only call is cheaper: this is generous to
    scikit-learn's newton-cg line search).
Seconds are wall-clock since fit() was called (setup included), taken at each iteration's end,
and the process's CPU seconds over the same span (one thread each: on a shared machine CPU
seconds are the fairer clock; the plot uses them, the table gives both).
J* is the lowest objective any run reached, including a softmaxkit structured run at tolerance
1e-10 (not plotted). The table gives, per solver, the pass-equivalents and seconds at which
J <= J* (1 + 1e-6) first held, and where the run ended. Runs are capped by --max-seconds (a
softmaxkit callback returning False, an exception from the wrapped scikit-learn functions) and
by max_iter; the table says so when a cap ended a run.

Usage: bench/solver_plot.py [digits fashion10k fashion probe1000 probe1000aniso ...] [--out PNG]
       [--traces JSON] [--replot JSON] [--max-seconds S] [--sklearn-max-iter N]
Needs the softmaxkit module (PYTHONPATH=build/release/python or installed), python3-numpy,
-sklearn, -matplotlib; Fashion-MNIST from dataset-fashion-mnist. Timings are noisy on a shared
machine: the script prints `uptime` before and after.
"""
import os

# Before numpy is imported: one thread for OpenBLAS and scikit-learn's OpenMP loops.
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from openblas_kernels import run_on_suitable_kernels  # noqa: E402 (bench/ is sys.path[0])

FASHION = "/usr/share/datasets/fashion-mnist"
RELATIVE_TARGET = 1e-6


class OutOfTime(Exception):
    pass


def read_idx(images, labels):
    with gzip.open(images) as f:
        data = f.read()
    rows, height, width = (int.from_bytes(data[i:i + 4], "big") for i in (4, 8, 12))
    x = np.frombuffer(data, np.uint8, offset=16).reshape(rows, height * width) / 255.0
    with gzip.open(labels) as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    return x, y


def probe(rows=10000, features=512, classes=1000, separation=0.3, seed=17):
    """A linear probe on embeddings-like data: one Gaussian mean per class (entries
    N(0, separation^2)) plus N(0, 1) noise, uniformly drawn labels."""
    rng = np.random.default_rng(seed)
    means = separation * rng.standard_normal((classes, features))
    y = rng.integers(classes, size=rows)
    return means[y] + rng.standard_normal((rows, features)), y


def load(name):
    if name == "digits":
        from sklearn.datasets import load_digits
        d = load_digits()
        return "digits, 1797 x 64, K = 10", d.data.astype(np.float64), d.target.astype(np.int64)
    if name == "probe1000":
        x, y = probe()
        return "probe, 10000 x 512, K = 1000 (Gaussian)", x, y
    if name == "probe1000aniso":  # feature j (1-based) scaled by 4 / sqrt(j)
        x, y = probe()
        return ("probe, 10000 x 512, K = 1000 (features scaled 4/sqrt(j))",
                x * (4 / np.sqrt(np.arange(1, x.shape[1] + 1))), y)
    x, y = read_idx(f"{FASHION}/train-images-idx3-ubyte.gz",
                    f"{FASHION}/train-labels-idx1-ubyte.gz")
    if name == "fashion10k":
        return "Fashion-MNIST, first 10000 x 784", x[:10000].copy(), y[:10000].copy()
    return "Fashion-MNIST, 60000 x 784", x, y


def objective(x, y, coef, intercept, C):
    z = x @ coef.T + intercept
    z -= z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(y)), y].mean() + 0.5 / (C * len(y)) * (coef ** 2).sum()


def run_softmaxkit(x, y, solver, tol, max_iter, max_seconds):
    import softmaxkit
    trace = []  # (pass-equivalents, seconds, objective, CPU seconds)

    def record(info):
        seconds = time.perf_counter() - start
        trace.append((info["pass_equivalents"], seconds, info["objective"],
                      time.process_time() - cpu_start))
        return seconds < max_seconds

    start, cpu_start = time.perf_counter(), time.process_time()
    model = softmaxkit.SoftmaxRegression(C=1.0, solver=solver, tol=tol, max_iter=max_iter,
                                         n_threads=1, callback=record).fit(x, y)
    report = model.fit_report_
    return trace, f"{report.reason}, {report.iterations} iterations, {report.metric or solver}"


def run_sklearn(x, y, solver, max_iter, max_seconds):
    from sklearn.linear_model import LogisticRegression, _logistic
    rows = x.shape[0]
    trace = []
    state = {"passes": 0, "value": None}

    def counted(function, value_of=None):
        def wrapped(*args, **kwargs):
            if time.perf_counter() - start > max_seconds:
                raise OutOfTime()
            state["passes"] += 1
            result = function(*args, **kwargs)
            if value_of is not None:
                state["value"] = value_of(result)
            return result
        return wrapped

    def mark():
        trace.append((state["passes"], time.perf_counter() - start, state["value"] / rows,
                      time.process_time() - cpu_start))

    original_optimize, original_newton = _logistic.optimize, _logistic._newton_cg
    import scipy.optimize

    class Observed:  # scipy.optimize as scikit-learn sees it, with minimize observed
        def __getattr__(self, name):
            return getattr(scipy.optimize, name)

        @staticmethod
        def minimize(fun, x0, *args, **kwargs):
            return scipy.optimize.minimize(counted(fun, lambda r: r[0]), x0, *args,
                                           callback=lambda _: mark(), **kwargs)

    def newton(grad_hess, func, grad, x0, args=(), **kwargs):
        def grad_hess_marked(w, *a):
            # The start of each outer iteration: the previous line search's last call was at
            # the accepted point (or this is the start).
            if state["value"] is not None:
                mark()
            gradient, hessp = grad_hess(w, *a)
            return gradient, counted(hessp)
        func_c = counted(func, lambda r: r)
        return original_newton(counted(grad_hess_marked), func_c, counted(grad), x0, args,
                               **kwargs)

    _logistic.optimize, _logistic._newton_cg = Observed(), newton
    model = LogisticRegression(C=1.0, solver=solver, tol=1e-6, max_iter=max_iter,
                               multi_class="multinomial")
    status = "converged"
    start, cpu_start = time.perf_counter(), time.process_time()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(x, y)
        if any("converge" in str(w.message) or "Line Search" in str(w.message)
               for w in caught):
            status = "; ".join(sorted({str(w.message).split(".")[0] for w in caught}))
        status += f", n_iter {int(model.n_iter_[0])}"
        end = objective(x, y, model.coef_, model.intercept_, 1.0)
        if solver == "newton-cg":
            trace.append((state["passes"], time.perf_counter() - start, end,
                          time.process_time() - cpu_start))
        # The traced values are scikit-learn's own; check them against an independent formula.
        assert abs(trace[-1][2] - end) <= 1e-9 * end, (trace[-1][2], end)
    except OutOfTime:
        status = f"stopped at --max-seconds {max_seconds:g}"
    finally:
        _logistic.optimize, _logistic._newton_cg = original_optimize, original_newton
    return trace, status


def first_reach(trace, target):
    return next((t for t in trace if t[2] <= target), None)


def run_problem(name, options):
    title, x, y = load(name)
    print(f"== {title}", flush=True)
    runs = {}
    for solver in ("structured", "newton", "lbfgs"):
        trace, status = run_softmaxkit(x, y, solver, 1e-8, 100000, options.max_seconds)
        runs[f"softmaxkit {solver}"] = {"trace": trace, "status": status}
        print(f"  softmaxkit {solver}: {status}", flush=True)
    for solver in ("lbfgs", "newton-cg"):
        trace, status = run_sklearn(x, y, solver, options.sklearn_max_iter, options.max_seconds)
        runs[f"scikit-learn {solver}"] = {"trace": trace, "status": status}
        print(f"  scikit-learn {solver}: {status}", flush=True)
    reference, status = run_softmaxkit(x, y, "structured", 1e-10, 100000, 10 * options.max_seconds)
    best = min([reference[-1][2]] + [t[2] for r in runs.values() for t in r["trace"]])
    for r in runs.values():
        r["trace"] = [tuple(map(float, t)) for t in r["trace"]]
    return {"title": title, "best": float(best), "reference_status": status, "runs": runs}


def seconds(t):
    return f"{t[1]:.2f} s" + (f" ({t[3]:.2f} s CPU)" if len(t) > 3 else "")


def table(problems):
    lines = []
    for p in problems.values():
        target = p["best"] * (1 + RELATIVE_TARGET)
        lines.append(f"\n{p['title']}: J* = {p['best']:.12g}, target J <= {target:.12g}")
        lines.append(f"| solver | passes to target | seconds to target | end: passes, seconds, "
                     f"J - J* relative | its end time / structured's time to its end J | "
                     f"how it ended |")
        lines.append("|---|---|---|---|---|---|")
        ours = p["runs"]["softmaxkit structured"]["trace"]
        for solver, r in p["runs"].items():
            hit = first_reach(r["trace"], target)
            end = r["trace"][-1]
            clock = 3 if len(end) > 3 else 1  # CPU seconds when recorded
            reach = (f"{hit[0]:.1f} | {seconds(hit)}" if hit else "not reached | -")
            ours_there = first_reach(ours, end[2])
            ratio = (f"{end[clock] / ours_there[clock]:.1f}x" if ours_there and
                     solver != "softmaxkit structured" else "-")
            lines.append(f"| {solver} | {reach} | {end[0]:.0f}, {seconds(end)}, "
                         f"{(end[2] - p['best']) / p['best']:.1e} | {ratio} | {r['status']} |")
    return "\n".join(lines)


def plot(problems, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    styles = {"softmaxkit structured": ("C0", "-", "o"), "softmaxkit newton": ("C1", "-", None),
              "softmaxkit lbfgs": ("C2", "-", None), "scikit-learn lbfgs": ("C3", "--", None),
              "scikit-learn newton-cg": ("C4", "--", None)}
    columns = len(problems)
    figure, axes = plt.subplots(2, columns, figsize=(5.2 * columns, 8), squeeze=False)
    floor = 1e-13
    for column, p in enumerate(problems.values()):
        target = p["best"] * RELATIVE_TARGET
        for row, (index, label) in enumerate(((0, "pass-equivalents (passes over X)"),
                                             (3, "CPU seconds (one thread)"))):
            ax = axes[row][column]
            for solver, r in p["runs"].items():
                t = np.array(r["trace"])
                if index == 3 and t.shape[1] <= 3:
                    index, label = 1, "seconds (one thread, wall-clock)"
                color, line, marker = styles[solver]
                ax.semilogy(t[:, index], np.maximum(t[:, 2] - p["best"], floor * p["best"]),
                            color=color, linestyle=line, marker=marker, markersize=2,
                            label=solver)
            ax.axhline(target, color="gray", linewidth=0.8, linestyle=":")
            ax.set_xscale("log")
            ax.set_xlabel(label)
            ax.set_ylabel("J - J* (mean loss + L2)")
            ax.set_title(p["title"], fontsize=10)
            ax.grid(True, which="both", alpha=0.3)
            if row == 0 and column == 0:
                ax.legend(fontsize=8)
    figure.suptitle("C = 1, float64, one thread each; dotted: J* (1 + 1e-6)", fontsize=10)
    figure.tight_layout()
    figure.savefig(out, dpi=110)
    print("wrote", out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", nargs="*", help="digits fashion10k fashion probe1000 "
                        "probe1000aniso (default: digits fashion10k probe1000)")
    parser.add_argument("--out", default="docs/solver_convergence.png")
    parser.add_argument("--traces", default=None, help="write the traces here (JSON)")
    parser.add_argument("--replot", nargs="+", default=None,
                        help="plot these traces (JSON files from --traces), run nothing")
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument("--sklearn-max-iter", type=int, default=100000)
    options = parser.parse_args()
    options.data = options.data or ["digits", "fashion10k", "probe1000"]
    run_on_suitable_kernels()
    for name in options.data:
        if name not in ("digits", "fashion10k", "fashion", "probe1000", "probe1000aniso"):
            parser.error(f"unknown problem {name}")
    if options.replot:
        problems = {}
        for name in options.replot:
            with open(name) as f:
                problems.update(json.load(f))
    else:
        print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
        problems = {name: run_problem(name, options) for name in options.data}
        print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
        if options.traces:
            with open(options.traces, "w") as f:
                json.dump(problems, f)
    print(table(problems))
    plot(problems, options.out)


if __name__ == "__main__":
    sys.exit(main())
