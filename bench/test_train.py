"""Workload A, one epoch: fastnn against PyTorch eager and scikit-learn's MLPClassifier.

Every library trains the same MLP 784-256-128-10 (ReLU, softmax
cross-entropy, Adam with learning rate 1e-3, float32) on the same rows in
the same order, without shuffling. The throughput in samples/s is stored
in extra_info. At batch size 1 every library trains on FASTNN_BENCH_ROWS_BATCH1
rows (default 2000) instead of FASTNN_BENCH_ROWS, because the slow peers
would take minutes per epoch. Samples/s stay comparable.

Before timing, each library trains a few batches from the same initial
weights, and its loss and final probabilities are checked against a
float64 NumPy reference. The timed epochs then continue training one model
round after round, since the work per epoch does not depend on the weights.
"""

import functools

import numpy as np
import pytest

from _workload import (
    BATCH_SIZES,
    LEARNING_RATE,
    ROWS,
    ROWS_BATCH1,
    check_training,
    fastnn_epoch,
    make_network,
    network_weights,
    reference_epoch,
    reference_predict,
    sklearn_classifier,
    sklearn_epoch_from,
    torch_adam,
    torch_epoch,
    torch_model,
    torch_probabilities,
)

PROBE_ROWS = 64


def epoch_rows(batch_size):
    """Rows in one timed epoch, at least one full batch."""
    return ROWS_BATCH1 if batch_size == 1 else max(ROWS, batch_size)


def check_rows(batch_size, available):
    """Rows trained by the correctness check: four batches, at least 16 rows.

    scikit-learn's warm-start fit needs every class in its labels, and the
    data puts one row of each class first, so 16 rows are enough.
    """
    return min(max(4 * batch_size, 16), available)


@pytest.fixture(scope="session")
def training_reference(workload_data):
    """A function batch_size -> (rows, loss, probe rows, probe probabilities) of the reference."""
    X, y = workload_data
    probe = X[-PROBE_ROWS:]
    coefs, intercepts = network_weights(make_network(0))

    @functools.lru_cache(maxsize=None)
    def reference(batch_size):
        rows = check_rows(batch_size, X.shape[0])
        loss, trained_coefs, trained_intercepts = reference_epoch(
            coefs, intercepts, X[:rows], y[:rows], batch_size)
        return rows, loss, probe, reference_predict(trained_coefs, trained_intercepts, probe)

    return reference


def describe(record, library, threads, batch_size):
    record.describe("train b%d t%d" % (batch_size, threads), library, threads, suite="train",
                    batch_size=batch_size)


@pytest.mark.parametrize("batch_size", BATCH_SIZES)
def test_epoch_fastnn(benchmark, record, threads, workload_data, training_reference,
                      batch_size):
    X, y = workload_data
    rows, reference_loss, probe, reference_probabilities = training_reference(batch_size)
    net = make_network(0)
    net.configure_optimizer("adam", LEARNING_RATE)
    loss = fastnn_epoch(net, X[:rows], net.encode_targets(y[:rows]), batch_size)
    check_training("fastnn", loss, net.predict_proba(probe), reference_loss,
                   reference_probabilities)

    rows = epoch_rows(batch_size)
    net = make_network(0)
    net.configure_optimizer("adam", LEARNING_RATE)
    X_epoch, Y_epoch = X[:rows], net.encode_targets(y[:rows])
    describe(record, "fastnn", threads, batch_size)
    benchmark(fastnn_epoch, net, X_epoch, Y_epoch, batch_size)
    record.rates(rows=rows)


@pytest.mark.parametrize("batch_size", BATCH_SIZES)
def test_epoch_torch(benchmark, record, threads, torch, workload_data, training_reference,
                     batch_size):
    X, y = workload_data
    rows, reference_loss, probe, reference_probabilities = training_reference(batch_size)
    coefs, intercepts = network_weights(make_network(0))
    model = torch_model(coefs, intercepts)
    loss = torch_epoch(model, torch_adam(model), torch.from_numpy(X[:rows]),
                       torch.from_numpy(y[:rows]), batch_size, return_loss=True)
    check_training("torch", loss, torch_probabilities(model, probe), reference_loss,
                   reference_probabilities)

    rows = epoch_rows(batch_size)
    model = torch_model(coefs, intercepts)
    optimizer = torch_adam(model)
    X_epoch, y_epoch = torch.from_numpy(X[:rows]), torch.from_numpy(y[:rows])
    describe(record, "torch", threads, batch_size)
    benchmark(torch_epoch, model, optimizer, X_epoch, y_epoch, batch_size)
    record.rates(rows=rows)


@pytest.mark.parametrize("batch_size", BATCH_SIZES)
def test_epoch_sklearn(benchmark, record, threads, sklearn, workload_data, training_reference,
                       batch_size):
    X, y = workload_data
    rows, reference_loss, probe, reference_probabilities = training_reference(batch_size)
    coefs, intercepts = network_weights(make_network(0))
    clf = sklearn_classifier(batch_size, coefs, intercepts, warm_start=True)
    loss = sklearn_epoch_from(clf, X[:rows], y[:rows])
    check_training("sklearn", loss, clf.predict_proba(probe), reference_loss,
                   reference_probabilities)

    rows = epoch_rows(batch_size)
    clf = sklearn_classifier(batch_size)
    X_epoch, y_epoch = X[:rows], y[:rows]
    assert X_epoch.dtype == np.float32
    describe(record, "sklearn", threads, batch_size)
    # partial_fit runs one epoch over its rows, in order since shuffle=False,
    # and keeps the Adam state between calls
    benchmark(clf.partial_fit, X_epoch, y_epoch)
    record.rates(rows=rows)
