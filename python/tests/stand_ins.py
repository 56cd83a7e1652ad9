"""Test helpers: a small random problem, concurrent use of one estimator (a loop of reads on another thread while this
one fits), and a C++ core that ends every fit with reason 'nan'."""

import threading

import numpy as np


def dense_problem(rows=60, features=4, classes=3, seed=0):
    """Standard normal features and uniform random labels, every class present."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, features))
    y = rng.integers(0, classes, rows)
    y[:classes] = np.arange(classes)
    return X, y


def errors_while(read, work):
    """Calls read() over and over on a second thread while work() runs on this one; returns the
    repr of every exception read() raised (an empty list when every read succeeded)."""
    done, errors = threading.Event(), []

    def loop():
        while not done.is_set():
            try:
                read()
            except Exception as error:  # noqa: BLE001 - recorded and returned
                errors.append(repr(error))

    reader = threading.Thread(target=loop)
    reader.start()
    try:
        work()
    finally:
        done.set()
        reader.join()
    return errors


class NanCore:
    """Stands in for _core.Model: every fit ends with reason 'nan' (no finite input reaches that
    end through the checks today; overflowing weights are refused, see test_api_misuse.cpp)."""

    last_report = None

    def fit(self, *args):
        return {"reason": "nan", "objective": float("nan"), "gradient_norm": float("nan"),
                "iterations": 3}
