"""fit and predict of fastnn's MLPClassifier against scikit-learn's, same settings.

Both estimators train on two data sets that fastnn ships, standardized:
digits (1,797 rows, 64 features, 10 classes) and breast cancer (569 rows,
30 features, 2 classes, so one logistic output unit). They use
scikit-learn's defaults apart from a fixed number of epochs
(``max_iter=50``, ``tol=0``, so neither stops early), in float32 and
float64. ``fit`` times the whole call, input checks
included; ``predict`` times ``predict_proba`` on all rows. Each test first
checks that the fitted model is accurate on its training data.
``extra_info`` records samples/s (rows times epochs for fit).
"""

import warnings

import numpy as np
import pytest

import fastnn
from fastnn.datasets import load_breast_cancer, load_digits
from fastnn.preprocessing import StandardScaler

EPOCHS = 50
SETTINGS = dict(hidden_layer_sizes=(100,), max_iter=EPOCHS, tol=0.0, random_state=0)
DTYPES = ("float32", "float64")


LOADERS = {"digits": load_digits, "breast_cancer": load_breast_cancer}


@pytest.fixture(scope="module", params=sorted(LOADERS))
def dataset(request):
    """(name, standardized X, y) of each shipped data set."""
    data = LOADERS[request.param]()
    X = StandardScaler().fit_transform(data.data)
    return request.param, X, data.target


def _estimator(library, sklearn):
    if library == "fastnn":
        return fastnn.MLPClassifier(**SETTINGS)
    return sklearn.neural_network.MLPClassifier(**SETTINGS)


def _fit_quietly(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: the epoch count is fixed
        return estimator.fit(X, y)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("library", ["fastnn", "sklearn"])
def test_fit(benchmark, record, threads, sklearn, dataset, library, dtype):
    import sklearn.neural_network  # noqa: F401  (loads the submodule for _estimator)

    name, X, y = dataset
    X = X.astype(dtype)
    record.describe("estimator fit, %s, %s" % (name, dtype), library, threads,
                    suite="estimator_fit", dtype=dtype, dataset=name)
    fitted = _fit_quietly(_estimator(library, sklearn), X, y)
    assert fitted.score(X, y) > 0.95

    benchmark.pedantic(lambda: _fit_quietly(_estimator(library, sklearn), X, y), rounds=3,
                       iterations=1)
    record.rates(rows=X.shape[0] * EPOCHS)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("library", ["fastnn", "sklearn"])
def test_predict(benchmark, record, threads, sklearn, dataset, library, dtype):
    import sklearn.neural_network  # noqa: F401

    name, X, y = dataset
    X = X.astype(dtype)
    record.describe("estimator predict_proba, %s, %s" % (name, dtype), library, threads,
                    suite="estimator_predict", dtype=dtype, dataset=name)
    fitted = _fit_quietly(_estimator(library, sklearn), X, y)
    proba = fitted.predict_proba(X)
    assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert (fitted.classes_[proba.argmax(axis=1)] == y).mean() > 0.95

    benchmark(fitted.predict_proba, X)
    record.rates(rows=X.shape[0])
