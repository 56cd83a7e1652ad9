#!/usr/bin/python3
"""softmaxkit quick start: a scikit-learn classifier on the C++ core.

Run after building (PYTHONPATH=build/release/python) or installing (cmake --install):
    /usr/bin/python3 examples/python/quickstart.py
"""

import os
import pickle
import tempfile

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import softmaxkit

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

# Same hyperparameters and objective as LogisticRegression(multi_class="multinomial"):
# sum_i w_i CE_i + ||W||^2 / (2C). float32 input stays float32 (and is not copied).
model = softmaxkit.SoftmaxRegression(C=1.0, n_threads=2)
model.fit(X_train.astype(np.float32), y_train)
print("test accuracy", model.score(X_test, y_test))
print("fit report", model.fit_report_)
print("probabilities of the first test row", np.round(model.predict_proba(X_test[:1]), 3))

# Everything scikit-learn offers works: pipelines, cross-validation, grid search, pickle.
pipeline = make_pipeline(StandardScaler(), softmaxkit.SoftmaxRegression(C=0.1))
print("5-fold accuracy", cross_val_score(pipeline, X, y, cv=5).mean())
restored = pickle.loads(pickle.dumps(model))
assert np.array_equal(restored.predict(X_test), model.predict(X_test))

# Watch (or stop) the solver: the callback runs after every iteration; return False to stop.
def progress(info):
    print(f"  iteration {info['iteration']}: objective {info['objective']:.6f}")
    return info["iteration"] < 3

softmaxkit.SoftmaxRegression(callback=progress).fit(X_train, y_train)

# Model files are shared with the softmaxkit command (softmaxkit predict --model ...).
with tempfile.TemporaryDirectory() as directory:
    path = os.path.join(directory, "digits.skm")
    model.save(path)
    loaded = softmaxkit.load(path)
    assert np.array_equal(loaded.predict_proba(X_test), model.predict_proba(X_test))
    print("saved and loaded", path)
