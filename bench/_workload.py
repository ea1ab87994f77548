"""Workload A, the run settings, and the peer models that the benchmarks compare against.

Workload A is an MLP 784-256-128-10 with ReLU hidden layers and a softmax
cross-entropy loss, trained with Adam (learning rate 1e-3) in float32 on
synthetic MNIST-shaped data. Every peer model here is built from the same
weights, so predictions can be compared before anything is timed.

Environment variables size a run, so that a quick run on a busy machine
needs no code change:

FASTNN_BENCH_ROWS
    Rows of workload A per epoch (default 20000).
FASTNN_BENCH_ROWS_BATCH1
    Rows per epoch at batch size 1, for every library (default 2000).
    Samples per second stay comparable with the other batch sizes.
FASTNN_BENCH_THREADS
    Comma-separated thread counts (default "1,2"). Counts above the CPUs
    this process may use are skipped.
FASTNN_BENCH_SETTLE
    Seconds to wait before each timed run (default 0.3; 0 for none).
    After a call, OpenBLAS's idle worker threads spin for about 0.1 s
    before they sleep, and on a machine with as many CPUs as threads they
    take CPU time from whatever runs next. On the 2-CPU development
    machine, fastnn's batch-1 epoch at 2 threads ran at 4.0-6.0k
    samples/s right after a 512x512 NumPy product and at 8.0-9.0k after a
    0.3 s pause. The pause comes after each benchmark's reference check,
    so it serves every library alike.
"""

import os
import warnings

import numpy as np

import fastnn


def _env_int(name, default):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ValueError("environment variable %s must be a positive integer, got %r"
                         % (name, value))
    return number


def _env_int_list(name, default):
    value = os.environ.get(name, "").strip() or default
    try:
        numbers = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        numbers = []
    if not numbers or min(numbers) < 1:
        raise ValueError("environment variable %s must be a comma-separated list of positive "
                         "integers, got %r" % (name, value))
    return numbers


ROWS = _env_int("FASTNN_BENCH_ROWS", 20000)
ROWS_BATCH1 = _env_int("FASTNN_BENCH_ROWS_BATCH1", 2000)
THREAD_COUNTS = _env_int_list("FASTNN_BENCH_THREADS", "1,2")


def _env_seconds(name, default):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 60:
        raise ValueError("environment variable %s must be a number of seconds from 0 to 60, "
                         "got %r" % (name, value))
    return seconds


SETTLE_SECONDS = _env_seconds("FASTNN_BENCH_SETTLE", 0.3)

BATCH_SIZES = (1, 32, 128, 512)
LAYER_SIZES = (784, 256, 128, 10)
N_CLASSES = LAYER_SIZES[-1]
LEARNING_RATE = 1e-3
BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-8


def make_data(n_rows, seed=0):
    """Return (X, y): MNIST-shaped float32 pixels in [0, 1) and int64 labels.

    About 80% of the pixels are zero, as in MNIST. The labels come from a
    random linear teacher, so the classes are learnable.
    """
    rng = np.random.default_rng(seed)
    X = rng.random((n_rows, LAYER_SIZES[0]), dtype=np.float32)
    X[rng.random(X.shape) < 0.8] = 0.0
    teacher = rng.standard_normal((LAYER_SIZES[0], N_CLASSES))
    y = np.argmax(X @ teacher, axis=1).astype(np.int64)

    # Move the first row of each class to the front, so that any prefix of
    # N_CLASSES rows or more contains every class. scikit-learn's warm-start
    # fit rejects labels that lack a class it saw before.
    firsts = [int(np.flatnonzero(y == c)[0]) for c in range(N_CLASSES) if (y == c).any()]
    rest = np.setdiff1d(np.arange(n_rows), firsts)
    order = np.concatenate([np.asarray(firsts, dtype=np.int64), rest])
    return np.ascontiguousarray(X[order]), y[order]


def make_network(seed=0):
    """Return a fastnn.MLP for workload A with seeded initial weights."""
    return fastnn.MLP(list(LAYER_SIZES), activation="relu", output="softmax",
                      dtype="float32", random_state=seed)


def network_weights(net):
    """Return copies of (coefs, intercepts) of a fastnn.MLP, W of shape (fan_in, fan_out)."""
    return [W.copy() for W in net.coefs], [b.copy() for b in net.intercepts]


# ---- NumPy reference ------------------------------------------------------------


def softmax_rows(Z):
    """Return the row-wise softmax of Z, shifted by the row maximum for stability."""
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def reference_predict(coefs, intercepts, X):
    """Return workload A's class probabilities for rows X, computed in float64."""
    A = np.asarray(X, dtype=np.float64)
    for layer, (W, b) in enumerate(zip(coefs, intercepts)):
        A = A @ np.asarray(W, dtype=np.float64) + np.asarray(b, dtype=np.float64)
        if layer < len(coefs) - 1:
            A = np.maximum(A, 0.0)
    return softmax_rows(A)


def reference_epoch(coefs, intercepts, X, y, batch_size):
    """Train one epoch in float64 NumPy, batches in row order.

    Returns (mean loss, trained coefs, trained intercepts).

    Adam follows Kingma and Ba (2015) with the bias correction folded into
    the step size, as scikit-learn's AdamOptimizer writes it. The mean loss
    is the batch losses weighted by batch rows, divided by the row count.
    """
    params = [np.asarray(p, dtype=np.float64).copy() for p in list(coefs) + list(intercepts)]
    n_layers = len(coefs)
    first_moment = [np.zeros_like(p) for p in params]
    second_moment = [np.zeros_like(p) for p in params]
    Y = np.eye(N_CLASSES)[y]
    loss_sum, step = 0.0, 0

    for start in range(0, X.shape[0], batch_size):
        xb = np.asarray(X[start:start + batch_size], dtype=np.float64)
        yb = Y[start:start + batch_size]
        rows = xb.shape[0]

        activations = [xb]
        for layer in range(n_layers):
            Z = activations[-1] @ params[layer] + params[n_layers + layer]
            activations.append(np.maximum(Z, 0.0) if layer < n_layers - 1 else Z)
        logits = activations[-1]
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss_sum += -(yb * log_probs).sum()

        grads = [None] * len(params)
        delta = (np.exp(log_probs) - yb) / rows
        for layer in range(n_layers - 1, -1, -1):
            grads[layer] = activations[layer].T @ delta
            grads[n_layers + layer] = delta.sum(axis=0)
            if layer > 0:
                delta = (delta @ params[layer].T) * (activations[layer] > 0)

        step += 1
        step_size = LEARNING_RATE * np.sqrt(1 - BETA_2 ** step) / (1 - BETA_1 ** step)
        for p, g, m, v in zip(params, grads, first_moment, second_moment):
            m *= BETA_1
            m += (1 - BETA_1) * g
            v *= BETA_2
            v += (1 - BETA_2) * g * g
            p -= step_size * m / (np.sqrt(v) + EPSILON)

    return loss_sum / X.shape[0], params[:n_layers], params[n_layers:]


def check_training(name, loss, probabilities, reference_loss, reference_probabilities):
    """Raise AssertionError unless an epoch's loss and final probabilities match the reference.

    The tolerances allow float32 rounding. Adam divides each gradient by its
    own running magnitude, so a gradient entry near zero can take a full step
    of either sign, and whole parameters may differ by about the learning
    rate. Losses and probabilities stay close all the same.
    """
    assert np.isfinite(loss), "%s: the epoch loss is %r" % (name, loss)
    assert abs(loss - reference_loss) <= 1e-3 * abs(reference_loss), (
        "%s: epoch loss %.7g differs from the NumPy reference %.7g"
        % (name, loss, reference_loss)
    )
    error = np.max(np.abs(np.asarray(probabilities, dtype=np.float64) - reference_probabilities))
    assert error <= 2e-3, (
        "%s: probabilities after the epoch differ from the NumPy reference by up to %.3g"
        % (name, error)
    )


# ---- fastnn ---------------------------------------------------------------------


def fastnn_epoch(net, X, Y, batch_size):
    """Train a fastnn.MLP for one epoch in row order; return the mean loss."""
    return net.train_epoch(X, Y, batch_size, shuffle=False)


# ---- PyTorch --------------------------------------------------------------------


def torch_model(coefs, intercepts):
    """Return a torch.nn.Sequential of workload A (logits out) with the given weights."""
    import torch

    layers = []
    for layer, (W, b) in enumerate(zip(coefs, intercepts)):
        linear = torch.nn.Linear(W.shape[0], W.shape[1])
        with torch.no_grad():
            # torch stores a Linear weight as (fan_out, fan_in)
            linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T, dtype=np.float32)))
            linear.bias.copy_(torch.from_numpy(np.asarray(b, dtype=np.float32)))
        layers.append(linear)
        if layer < len(coefs) - 1:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def torch_adam(model):
    """Return torch.optim.Adam with workload A's settings and PyTorch's default implementation."""
    import torch

    return torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, betas=(BETA_1, BETA_2),
                            eps=EPSILON)


def torch_epoch(model, optimizer, X, y, batch_size, return_loss=False):
    """Train a torch model for one epoch in row order, as an eager training loop does.

    X is a float32 tensor and y an int64 tensor of labels. With return_loss,
    return the mean loss. Otherwise return None and skip the per-step
    ``.item()`` call, so the timed loop pays for no logging.
    """
    import torch
    import torch.nn.functional as F

    n_rows = X.shape[0]
    loss_sum = 0.0
    for start in range(0, n_rows, batch_size):
        xb = X[start:start + batch_size]
        yb = y[start:start + batch_size]
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
        if return_loss:
            loss_sum += loss.item() * xb.shape[0]
    if return_loss:
        return loss_sum / n_rows
    return None


def torch_probabilities(model, X):
    """Return the softmax probabilities of a torch model for NumPy rows X."""
    import torch

    with torch.inference_mode():
        return torch.softmax(model(torch.from_numpy(X)), dim=1).numpy()


# ---- scikit-learn ---------------------------------------------------------------


def sklearn_classifier(batch_size, coefs=None, intercepts=None, warm_start=False):
    """Return an MLPClassifier for workload A, fitted so that its attributes exist.

    The classifier is fitted for one epoch on ten rows, one per class, so
    that ``coefs_`` and the label encoding exist. When coefs and intercepts
    are given they are copied into ``coefs_`` and ``intercepts_`` in place.
    Then ``predict_proba`` uses exactly those weights, and with warm_start a
    later ``fit`` trains from them with a new Adam state.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(
        hidden_layer_sizes=LAYER_SIZES[1:-1], activation="relu", solver="adam", alpha=0.0,
        batch_size=batch_size, learning_rate_init=LEARNING_RATE, beta_1=BETA_1,
        beta_2=BETA_2, epsilon=EPSILON, shuffle=False, max_iter=1, warm_start=warm_start,
        random_state=0,
    )
    rng = np.random.default_rng(1)
    X_init = rng.random((N_CLASSES, LAYER_SIZES[0]), dtype=np.float32)
    with warnings.catch_warnings():
        # ten rows raise a ConvergenceWarning and, for batch sizes above 10, a
        # UserWarning that the batch size is clipped
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)
        clf.fit(X_init, np.arange(N_CLASSES))
    if coefs is not None:
        for target, source in zip(clf.coefs_, coefs):
            target[...] = source
        for target, source in zip(clf.intercepts_, intercepts):
            target[...] = source
    return clf


def sklearn_epoch_from(clf, X, y):
    """Train a warm-start classifier for one epoch in row order; return the mean loss.

    ``fit`` with warm_start and max_iter=1 starts a new Adam state from the
    current weights, which is what the reference does.
    """
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    return clf.loss_


# ---- ONNX Runtime ---------------------------------------------------------------


def onnx_session(clf, threads):
    """Return (session, input name, probability output name) for an ORT session of clf.

    The model is converted by skl2onnx without the ZipMap step, so the
    session returns a plain float32 probability array.
    """
    import onnxruntime
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    model = convert_sklearn(
        clf, initial_types=[("X", FloatTensorType([None, LAYER_SIZES[0]]))],
        options={id(clf): {"zipmap": False}},
    )
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    session = onnxruntime.InferenceSession(model.SerializeToString(), options,
                                           providers=["CPUExecutionProvider"])
    outputs = [o.name for o in session.get_outputs()]
    probability_name = "probabilities" if "probabilities" in outputs else outputs[-1]
    return session, session.get_inputs()[0].name, probability_name
