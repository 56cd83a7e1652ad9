#!/usr/bin/python3
"""Choosing C: validation score (mean +- std over the folds) against C, softmaxkit beside
scikit-learn, on the same folds, as a PNG.

    /usr/bin/python3 examples/python/choosing_c_plot.py [--data digits|fashion20k] \
        [--Cs 12] [--folds 5] [--threads 2] [--out docs/python_choosing_c.png]

softmaxkit.SoftmaxRegressionCV and sklearn.linear_model.LogisticRegressionCV(solver="lbfgs",
multinomial) get the same Cs (numpy.logspace(-4, 4, n), as both spell Cs=n), the same
StratifiedKFold folds and the same tolerance; each is run twice, scored by accuracy and by
log-loss. The title gives each side's total seconds and chosen C.
"""

import argparse
import gzip
import time
import warnings

import numpy as np

FASHION = "/usr/share/datasets/fashion-mnist"


def load(name):
    if name == "digits":
        from sklearn.datasets import load_digits

        data = load_digits()
        return data.data / 16.0, data.target
    with gzip.open(f"{FASHION}/train-images-idx3-ubyte.gz") as file:
        X = np.frombuffer(file.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(f"{FASHION}/train-labels-idx1-ubyte.gz") as file:
        y = np.frombuffer(file.read(), np.uint8, offset=8).astype(np.int64)
    return X[:20000] / np.float32(255), y[:20000]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", choices=["digits", "fashion20k"], default="digits")
    parser.add_argument("--Cs", type=int, default=12)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tol", type=float, default=1e-6)
    parser.add_argument("--out", default="docs/python_choosing_c.png")
    args = parser.parse_args()

    import os

    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold

    import softmaxkit

    X, y = load(args.data)
    folds = list(StratifiedKFold(args.folds).split(X, y))
    Cs = np.logspace(-4, 4, args.Cs)
    results = {}
    for scoring in (None, "neg_log_loss"):
        start = time.perf_counter()
        ours = softmaxkit.SoftmaxRegressionCV(
            Cs=Cs, cv=folds, scoring=scoring, tol=args.tol, max_iter=10000, n_threads=args.threads
        ).fit(X, y)
        ours_seconds = time.perf_counter() - start
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning
            start = time.perf_counter()
            peer = LogisticRegressionCV(
                Cs=Cs,
                cv=folds,
                scoring=scoring,
                solver="lbfgs",
                tol=args.tol,
                max_iter=10000,
                multi_class="multinomial",
                n_jobs=1,
            ).fit(X, y)
            peer_seconds = time.perf_counter() - start
        results[scoring] = (ours, ours_seconds, peer, peer_seconds)
        print(
            f"scoring {scoring or 'accuracy'}: softmaxkit {ours_seconds:.2f} s, C = "
            f"{ours.C_[0]:.4g}; scikit-learn {peer_seconds:.2f} s, C = {peer.C_[0]:.4g}"
        )

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for axis, scoring, label in zip(
        axes, (None, "neg_log_loss"), ("accuracy", "log-loss (lower is better)")
    ):
        ours, ours_seconds, peer, peer_seconds = results[scoring]
        sign = -1.0 if scoring == "neg_log_loss" else 1.0
        for model, name, seconds, style in (
            (ours, "softmaxkit", ours_seconds, dict(color="C0", marker="o")),
            (peer, "scikit-learn lbfgs", peer_seconds, dict(color="C1", marker="x", ls="--")),
        ):
            scores = sign * model.scores_[model.classes_[0]]
            mean, std = scores.mean(axis=0), scores.std(axis=0)
            axis.plot(Cs, mean, label=f"{name} ({seconds:.1f} s, C = {model.C_[0]:.3g})",
                      **style)
            axis.fill_between(Cs, mean - std, mean + std, color=style["color"], alpha=0.15)
            axis.axvline(model.C_[0], color=style["color"], lw=0.8, ls=":")
        axis.set_xscale("log")
        axis.set_xlabel("C")
        axis.set_ylabel(f"validation {label}")
        axis.legend(fontsize=8)
        axis.grid(alpha=0.3)
    figure.suptitle(
        f"{args.data}: {X.shape[0]} rows, {args.folds} stratified folds, {args.Cs} values of C, "
        f"tol {args.tol:g}, {args.threads} threads (mean +- std over the folds)",
        fontsize=10,
    )
    figure.tight_layout()
    figure.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
