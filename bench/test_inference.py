"""Inference on workload A's network: one-row latency and 10,000-row throughput.

fastnn is timed through its public ``MLP.predict_proba`` (which validates
its input on every call), through ``net.network.predict`` (validation of
params and rows only), through ``MLP.predictor()`` (the serving path:
weights checked once, rows checked in C), and through the last two with a
preallocated output. One more case times the Predictor on rows without
zeros (see FASTNN_CASES). The peers are PyTorch eager under
``torch.inference_mode``, scikit-learn's ``predict_proba`` and ONNX
Runtime running the skl2onnx conversion of that scikit-learn model. Every
library holds the same weights and returns softmax probabilities, and each
benchmark checks them against a float64 NumPy reference before timing.
"""

import functools

import numpy as np
import pytest

from _workload import (
    make_data,
    make_network,
    network_weights,
    onnx_session,
    reference_predict,
    sklearn_classifier,
    torch_model,
)

BATCH_ROWS = 10000
ROW_COUNTS = [1, BATCH_ROWS]
FASTNN_VARIANTS = ["predict_proba", "network.predict", "network.predict-out", "predictor",
                   "predictor-out"]
# fastnn skips the weights of zero inputs in a one-row Predictor call and
# in the first layer of a batch of mostly zero rows, and workload A's rows
# are 80% zeros, as MNIST's are. "predictor-dense" times rows without
# zeros, which read every weight. The peers' times do not depend on the
# zeros: they multiply by every weight.
FASTNN_CASES = [(variant, rows) for rows in ROW_COUNTS
                for variant in FASTNN_VARIANTS + ["predictor-dense"]]


@pytest.fixture(scope="session")
def network():
    return make_network(0)


@pytest.fixture(scope="session")
def predict_rows():
    """BATCH_ROWS MNIST-shaped rows, apart from the training data."""
    X, _ = make_data(BATCH_ROWS, seed=1)
    return X


@pytest.fixture(scope="session")
def reference_probabilities(network, predict_rows):
    coefs, intercepts = network_weights(network)
    return reference_predict(coefs, intercepts, predict_rows)


@pytest.fixture(scope="session")
def sklearn_model(sklearn, network):
    coefs, intercepts = network_weights(network)
    return sklearn_classifier(200, coefs, intercepts)


@pytest.fixture(scope="session")
def onnx_sessions(onnxruntime, sklearn_model):
    """A function threads -> (session, input name, output name), one session per count."""
    return functools.lru_cache(maxsize=None)(functools.partial(onnx_session, sklearn_model))


def check_probabilities(name, probabilities, expected):
    error = np.max(np.abs(np.asarray(probabilities, dtype=np.float64) - expected))
    assert error <= 1e-5, (
        "%s: probabilities differ from the float64 NumPy reference by up to %.3g"
        % (name, error)
    )


def describe(record, library, threads, rows, variant):
    record.describe("predict %d rows t%d" % (rows, threads), library, threads,
                    suite="predict", rows=rows, variant=variant)


@pytest.mark.parametrize("variant, rows", FASTNN_CASES)
def test_predict_fastnn(benchmark, record, threads, network, predict_rows,
                        reference_probabilities, variant, rows):
    X = predict_rows[:rows]
    expected = reference_probabilities[:rows]
    if variant == "predictor-dense":
        # the rows with their zeros replaced by values in [0.01, 1)
        X = X.copy()
        zeros = X == 0
        X[zeros] = np.random.default_rng(2).uniform(0.01, 1.0, size=int(zeros.sum()))
        expected = reference_predict(*network_weights(network), X)
    out = np.empty((rows, 10), dtype=np.float32)
    if variant == "predict_proba":
        predict, args, kwargs = network.predict_proba, (X,), {}
    elif variant == "network.predict":
        predict, args, kwargs = network.network.predict, (network.params, X), {}
    elif variant == "network.predict-out":
        predict, args, kwargs = network.network.predict, (network.params, X), {"out": out}
    elif variant == "predictor":
        predict, args, kwargs = network.predictor(), (X,), {}
    else:  # predictor-out, predictor-dense
        predict, args, kwargs = network.predictor(), (X,), {"out": out}
    check_probabilities("fastnn " + variant, predict(*args, **kwargs), expected)

    describe(record, "fastnn", threads, rows, variant)
    benchmark(predict, *args, **kwargs)
    record.rates(rows=rows)


@pytest.mark.parametrize("rows", ROW_COUNTS)
def test_predict_torch(benchmark, record, threads, torch, network, predict_rows,
                       reference_probabilities, rows):
    model = torch_model(*network_weights(network))
    X = torch.from_numpy(predict_rows[:rows])

    def predict():
        with torch.inference_mode():
            return torch.softmax(model(X), dim=1)

    check_probabilities("torch", predict().numpy(), reference_probabilities[:rows])

    describe(record, "torch", threads, rows, "inference_mode")
    benchmark(predict)
    record.rates(rows=rows)


@pytest.mark.parametrize("rows", ROW_COUNTS)
def test_predict_sklearn(benchmark, record, threads, sklearn_model, predict_rows,
                         reference_probabilities, rows):
    X = predict_rows[:rows]
    check_probabilities("sklearn", sklearn_model.predict_proba(X),
                        reference_probabilities[:rows])

    describe(record, "sklearn", threads, rows, "predict_proba")
    benchmark(sklearn_model.predict_proba, X)
    record.rates(rows=rows)


@pytest.mark.parametrize("rows", ROW_COUNTS)
def test_predict_onnxruntime(benchmark, record, threads, onnx_sessions, predict_rows,
                             reference_probabilities, rows):
    session, input_name, output_name = onnx_sessions(threads)
    feeds = {input_name: predict_rows[:rows]}
    check_probabilities("onnxruntime", session.run([output_name], feeds)[0],
                        reference_probabilities[:rows])

    describe(record, "onnxruntime", threads, rows, "InferenceSession.run")
    benchmark(session.run, [output_name], feeds)
    record.rates(rows=rows)
