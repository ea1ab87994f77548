"""The network object: dense layers over one flat parameter buffer."""

import math
import time

import numpy as np

from . import _core, _io
from ._progress import EpochReporter
from ._validation import (
    check_array,
    check_choice,
    check_consistent_length,
    check_finite_output,
    check_float,
    check_int,
    check_sample_weight,
)

ACTIVATIONS = tuple(_core.ACTIVATIONS)
OUTPUTS = tuple(_core.OUTPUTS)
OPTIMIZERS = ("sgd", "adam")
INITS = ("auto", "he", "glorot", "sklearn")

# Rows per call into C during an epoch: between calls Python redraws the
# progress bar and can receive Ctrl-C.
_ROWS_PER_CALL = 8192


class MLP:
    """A multilayer perceptron trained by fused C kernels.

    Parameters
    ----------
    layer_sizes : sequence of int
        Widths from the input to the output, for example ``[64, 128, 10]``:
        64 features, one hidden layer of 128 units, 10 outputs.
    activation : str or sequence of str, default="relu"
        Hidden-layer activation: "identity", "logistic", "tanh", "relu",
        "leaky_relu" (slope 0.01 below zero), "elu" (e^z - 1 below zero) or
        "gelu" (z times the standard normal CDF of z, computed with erf);
        a sequence gives one per hidden layer.
    output : {"softmax", "logistic", "identity", "exp"}, default="softmax"
        Output head, which also fixes the loss: softmax cross-entropy
        (classes), binary cross-entropy per output (binary or multilabel),
        squared error (regression), or the Poisson deviance of exp(z)
        (counts and rates).
    dtype : {"float32", "float64"}, default="float32"
        Element type of parameters and computations.
    random_state : int, numpy.random.Generator or None
        Seeds the initial weights and the shuffling of training rows.
    init : {"auto", "he", "glorot", "sklearn"}, default="auto"
        Weight initialization. "auto" uses He uniform (He et al., 2015) before
        relu and Glorot uniform (Glorot and Bengio, 2010) elsewhere, with zero
        biases; "sklearn" draws weights and biases like scikit-learn's MLP.
    dropout : float, sequence of float or None, default=None
        Inverted dropout of the hidden layers during training: the share
        of each layer's outputs set to zero (one rate for all hidden
        layers, or one per layer), the rest scaled by 1 / (1 - rate).
        Prediction never drops. The masks are drawn from random_state.

    Attributes
    ----------
    params : ndarray of shape (n_params,)
        All weights and biases in one buffer; ``coefs`` and ``intercepts``
        are views into it.
    grads : ndarray of shape (n_params,)
        The gradient from the last ``forward_backward`` call.
    history : dict of str to list of float
        Per-epoch "loss" and, with validation data, "val_loss" and
        "val_accuracy" (classification heads).

    Examples
    --------
    >>> import numpy as np, fastnn
    >>> X = np.random.default_rng(0).normal(size=(200, 4))
    >>> y = (X[:, 0] + X[:, 1] > 0).astype(int)
    >>> net = fastnn.MLP([4, 16, 2], random_state=0).fit(X, y, epochs=30)
    >>> float((net.predict(X) == y).mean()) > 0.9
    True
    """

    def __init__(self, layer_sizes, activation="relu", output="softmax", dtype="float32",
                 random_state=None, init="auto", dropout=None):
        sizes = _check_layer_sizes(layer_sizes)
        n_hidden = len(sizes) - 2
        if isinstance(activation, str):
            activations = (check_choice(activation, "activation", ACTIVATIONS),) * n_hidden
        else:
            activations = tuple(activation)
            if len(activations) != n_hidden:
                raise ValueError(
                    "activation lists %d entries but the network has %d hidden layer(s); "
                    "give one per hidden layer or a single name"
                    % (len(activations), n_hidden)
                )
            for act in activations:
                check_choice(act, "activation", ACTIVATIONS)
        check_choice(output, "output", OUTPUTS)
        if dtype not in ("float32", "float64", np.float32, np.float64):
            try:
                dtype_ok = np.dtype(dtype) in (np.float32, np.float64)
            except TypeError:
                dtype_ok = False
            if not dtype_ok:
                raise ValueError("dtype must be 'float32' or 'float64', got %r" % (dtype,))
        self.init = check_choice(init, "init", INITS)

        rates = _check_dropout(dropout, n_hidden)
        self._rng = np.random.default_rng(random_state)
        seed = int(self._rng.integers(2**63)) if rates is not None else 0
        self.network = _core.Network(sizes, activations, output, np.dtype(dtype), rates, seed)
        self.dtype = np.dtype(dtype)
        # 64-byte aligned, because the kernels read them fastest so (see aligned_zeros)
        self.params = _core.aligned_zeros(self.network.n_params, self.dtype)
        self.grads = _core.aligned_zeros(self.network.n_params, self.dtype)
        self.optimizer = None
        self._state = None
        self.history = {}
        self.initialize()

    def __setstate__(self, state):
        # Unpickled arrays start wherever NumPy put them, and read-only ones
        # (joblib.load with mmap_mode="r") cannot be trained. So the buffers
        # that the kernels read are copied into aligned, writable ones.
        self.__dict__.update(state)
        self.params = _core.aligned_copy(self.params)
        self.grads = _core.aligned_copy(self.grads)
        if self._state is not None:
            self._state = tuple(_core.aligned_copy(s) for s in self._state)

    # ---- structure ---------------------------------------------------------

    @property
    def layer_sizes(self):
        return self.network.sizes

    @property
    def activations(self):
        return self.network.activations

    @property
    def output(self):
        return self.network.output

    @property
    def n_layers(self):
        """Number of dense layers (hidden layers + 1)."""
        return self.network.n_layers

    @property
    def coefs(self):
        """Weight matrices W_l of shape (fan_in, fan_out): views into params."""
        sizes = self.layer_sizes
        return [
            self.params[w : w + sizes[l] * sizes[l + 1]].reshape(sizes[l], sizes[l + 1])
            for l, (w, _) in enumerate(self.network.offsets())
        ]

    @property
    def intercepts(self):
        """Bias vectors b_l of shape (fan_out,): views into params."""
        sizes = self.layer_sizes
        return [self.params[b : b + sizes[l + 1]] for l, (_, b) in enumerate(self.network.offsets())]

    def initialize(self):
        """Draw new initial weights and reset the optimizer."""
        sizes = self.layer_sizes
        for l, (W, b) in enumerate(zip(self.coefs, self.intercepts)):
            fan_in, fan_out = sizes[l], sizes[l + 1]
            act = self.activations[l] if l < len(self.activations) else None
            if self.init == "sklearn":
                # scikit-learn: uniform in +-sqrt(6 / (in + out)), factor 2 for logistic
                factor = 2.0 if self.activations and self.activations[0] == "logistic" else 6.0
                bound = math.sqrt(factor / (fan_in + fan_out))
                W[...] = self._rng.uniform(-bound, bound, W.shape)
                b[...] = self._rng.uniform(-bound, bound, b.shape)
                continue
            if self.init == "he" or (self.init == "auto" and act == "relu"):
                bound = math.sqrt(6.0 / fan_in)
            else:
                gain = 4.0 if act == "logistic" else 1.0
                bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
            W[...] = self._rng.uniform(-bound, bound, W.shape)
            b[...] = 0.0
        self.optimizer = None
        self._state = None
        self.history = {}
        return self

    # ---- targets -------------------------------------------------------------

    def encode_targets(self, y, name="y"):
        """Return y as the (n, n_outputs) target matrix the loss expects.

        softmax: class indices 0..n_outputs-1 (1-D) or a (n, n_outputs)
        probability matrix; logistic: 0/1 labels per output; identity: values;
        exp: non-negative values.
        """
        n_out = self.layer_sizes[-1]
        arr = check_array(y, name=name, dtype=self.dtype, ensure_2d=False)
        if arr.ndim == 1 and self.output == "softmax":
            labels = arr.astype(np.int64)
            if not np.array_equal(labels, arr) or labels.min() < 0 or labels.max() >= n_out:
                raise ValueError(
                    "%s must hold integer class indices in [0, %d) for a softmax output "
                    "with %d units, got values from %g to %g"
                    % (name, n_out, n_out, arr.min(), arr.max())
                )
            Y = np.zeros((arr.shape[0], n_out), dtype=self.dtype)
            Y[np.arange(arr.shape[0]), labels] = 1
            return Y
        if arr.ndim == 1:
            if n_out != 1:
                raise ValueError(
                    "%s is 1-D but the network has %d outputs; pass a (n, %d) array"
                    % (name, n_out, n_out)
                )
            arr = arr.reshape(-1, 1)
        if arr.ndim != 2 or arr.shape[1] != n_out:
            raise ValueError(
                "%s must have shape (n, %d) to match the %d outputs, got %s"
                % (name, n_out, n_out, arr.shape)
            )
        if self.output == "exp" and (arr < 0).any():
            raise ValueError(
                "%s must be non-negative for an exp (Poisson) output, got a minimum of %g"
                % (name, arr.min())
            )
        if self.output in ("softmax", "logistic") and ((arr < 0).any() or (arr > 1).any()):
            raise ValueError(
                "%s must hold probabilities or 0/1 labels in [0, 1] for a %s output, got "
                "values from %g to %g" % (name, self.output, arr.min(), arr.max())
            )
        return np.ascontiguousarray(arr)

    def _check_X(self, X, name="X"):
        X = check_array(X, name=name, dtype=self.dtype)
        if X.shape[1] != self.layer_sizes[0]:
            raise ValueError(
                "%s has %d features, but the network expects %d (layer_sizes[0])"
                % (name, X.shape[1], self.layer_sizes[0])
            )
        return X

    # ---- training primitives ---------------------------------------------------

    def configure_optimizer(self, optimizer="adam", learning_rate=1e-3, momentum=0.9,
                            nesterovs_momentum=True, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                            weight_decay=0.0):
        """Create the optimizer and zero its state (velocity or Adam moments).

        weight_decay > 0 shrinks every parameter by (1 - learning_rate *
        weight_decay) before each update: decoupled decay, as in AdamW
        (Loshchilov and Hutter, 2019), unlike the L2 penalty ``alpha``.
        """
        check_choice(optimizer, "optimizer", OPTIMIZERS)
        check_float(learning_rate, "learning_rate", low=0, low_open=True)
        check_float(momentum, "momentum", 0, 1)
        check_float(beta_1, "beta_1", 0, 1, high_open=True)
        check_float(beta_2, "beta_2", 0, 1, high_open=True)
        check_float(epsilon, "epsilon", low=0, low_open=True)
        check_float(weight_decay, "weight_decay", low=0)
        self.optimizer = _core.Optimizer(
            optimizer, learning_rate, momentum, bool(nesterovs_momentum), beta_1, beta_2, epsilon,
            weight_decay,
        )
        self._state = (_core.aligned_zeros(self.params.size, self.dtype),
                       _core.aligned_zeros(self.params.size, self.dtype))
        return self.optimizer

    def forward_backward(self, X, Y, sample_weight=None, alpha=0.0):
        """Compute the loss on a batch and its gradient into ``grads``.

        Parameters are not changed: call ``step`` afterwards. Between the two,
        ``grads`` may be modified in place (for example averaged across
        processes by an allreduce, or clipped).

        Parameters
        ----------
        X : array-like of shape (n, layer_sizes[0])
        Y : array-like of shape (n, n_outputs)
            Targets as returned by ``encode_targets``.
        sample_weight : array-like of shape (n,), optional
        alpha : float
            L2 penalty; the loss gains 0.5 * alpha * sum(W**2) / sum(sample_weight)
            (the number of rows without weights).

        Returns
        -------
        float
            The weighted mean loss plus the L2 term.
        """
        X = self._check_X(X)
        Y = self.encode_targets(Y, name="Y")
        check_consistent_length(X=X, Y=Y)
        w = check_sample_weight(sample_weight, X.shape[0], self.dtype)
        return self.network.forward_backward(self.params, self.grads, X, Y, w, alpha)

    def step(self):
        """Apply one optimizer update to ``params`` from ``grads``."""
        if self.optimizer is None:
            self.configure_optimizer()
        self.optimizer.step(self.params, self.grads, *self._state)

    def train_epoch(self, X, Y, batch_size, sample_weight=None, alpha=0.0, shuffle=True,
                    reporter=None):
        """Run one epoch of mini-batch training; return the mean loss.

        X and Y must already be validated (C-contiguous, network dtype; Y as
        from ``encode_targets``). Raises ``NonFiniteLossError`` when the loss
        diverges; the parameters are then restored to their values at the
        start of the epoch.
        """
        if self.optimizer is None:
            self.configure_optimizer()
        n = X.shape[0]
        batch_size = min(batch_size, n)
        n_batches = (n + batch_size - 1) // batch_size
        order = self._rng.permutation(n).astype(np.int64) if shuffle else None
        per_call = max(1, _ROWS_PER_CALL // batch_size)
        saved = self.params.copy()
        saved_state = (self._state[0].copy(), self._state[1].copy(), self.optimizer.t)

        loss_sum, done = 0.0, 0
        try:
            while done < n_batches:
                last = min(done + per_call, n_batches)
                loss_sum += self.network.train_batches(
                    self.optimizer, self.params, self.grads, self._state[0], self._state[1],
                    X, Y, sample_weight, order, batch_size, done, last, alpha,
                )
                done = last
                if reporter is not None:
                    rows = min(done * batch_size, n)
                    reporter.update(done, n_batches, loss_sum / rows)
        except _core.NonFiniteLossError:
            self.params[...] = saved
            self._state[0][...], self._state[1][...] = saved_state[0], saved_state[1]
            self.optimizer.t = saved_state[2]
            raise
        return loss_sum / n

    # ---- fit -------------------------------------------------------------------

    def fit(self, X, y, epochs=10, batch_size=32, optimizer="adam", learning_rate=1e-3,
            alpha=0.0, momentum=0.9, nesterovs_momentum=True, beta_1=0.9, beta_2=0.999,
            epsilon=1e-8, shuffle=True, sample_weight=None, validation_data=None,
            verbose=False):
        """Train the network; return self.

        Parameters
        ----------
        X : array-like of shape (n_samples, layer_sizes[0])
        y : array-like
            Class indices for softmax, 0/1 labels for logistic, values for
            identity (see ``encode_targets``).
        epochs : int, default=10
        batch_size : int, default=32
        optimizer : {"adam", "sgd"}, default="adam"
        learning_rate : float, default=1e-3
        alpha : float, default=0.0
            L2 penalty.
        momentum, nesterovs_momentum : SGD settings.
        beta_1, beta_2, epsilon : Adam settings.
        shuffle : bool, default=True
            Shuffle the rows every epoch.
        sample_weight : array-like of shape (n_samples,), optional
        validation_data : tuple (X_val, y_val), optional
            Evaluated after every epoch; recorded in ``history``.
        verbose : bool, default=False
            Print one line per epoch (and a progress bar on a terminal).

        Raises
        ------
        NonFiniteLossError
            When the loss becomes NaN or infinite; the message names the epoch.
        """
        X = self._check_X(X)
        Y = self.encode_targets(y)
        check_consistent_length(X=X, y=Y)
        epochs = check_int(epochs, "epochs", low=1)
        batch_size = check_int(batch_size, "batch_size", low=1)
        alpha = check_float(alpha, "alpha", low=0)
        w = check_sample_weight(sample_weight, X.shape[0], self.dtype)
        validation = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise TypeError("validation_data must be a tuple (X_val, y_val)")
            X_val = self._check_X(validation_data[0], name="X_val")
            Y_val = self.encode_targets(validation_data[1], name="y_val")
            check_consistent_length(X_val=X_val, y_val=Y_val)
            validation = (X_val, Y_val)
        self.configure_optimizer(optimizer, learning_rate, momentum, nesterovs_momentum,
                                 beta_1, beta_2, epsilon)

        reporter = EpochReporter(epochs, enabled=bool(verbose))
        history = {"loss": []}
        self.history = history
        for epoch in range(1, epochs + 1):
            reporter.start_epoch(epoch)
            try:
                loss = self.train_epoch(X, Y, batch_size, w, alpha, shuffle, reporter)
            except _core.NonFiniteLossError:
                raise _core.NonFiniteLossError(
                    "training diverged in epoch %d: the loss became NaN or infinite. Scale "
                    "the inputs (for example with fastnn.preprocessing.StandardScaler) or "
                    "lower the learning rate (now %g). The weights were restored to their "
                    "values at the start of that epoch." % (epoch, learning_rate)
                ) from None
            history["loss"].append(loss)
            metrics = {"loss": loss}
            if validation is not None:
                metrics.update(self.evaluate(*validation))
                for key, value in metrics.items():
                    if key != "loss":
                        history.setdefault(key, []).append(value)
            reporter.end_epoch(metrics)
        return self

    def evaluate(self, X, Y):
        """Return {"val_loss": ..., "val_accuracy": ...} on encoded targets Y."""
        logits = self.network.predict(self.params, X, logits=True)
        loss, _ = _core.loss(logits, Y, self.output)
        result = {"val_loss": loss}
        if self.output == "softmax":
            result["val_accuracy"] = float(np.mean(logits.argmax(axis=1) == Y.argmax(axis=1)))
        elif self.output == "logistic":
            result["val_accuracy"] = float(np.mean((logits > 0) == (Y > 0.5)))
        return result

    # ---- prediction ------------------------------------------------------------

    def predict_proba(self, X):
        """Return the output head's values: probabilities for softmax and
        logistic heads, the regression values for identity; shape (n, n_outputs)."""
        X = self._check_X(X)
        out = self.network.predict(self.params, X)
        check_finite_output(out)
        return out

    def predictor(self, logits=False):
        """Return a :class:`fastnn.Predictor` with a copy of the current weights.

        The low-overhead call for serving: the weights are checked once
        here, each call checks only its rows, and many threads may call it
        at once. ``predictor()(X)`` equals ``predict_proba(X)`` bit for bit
        (``decision_function(X)`` with ``logits=True``); one row may also be
        passed as a 1-D array. Later training does not change it.
        """
        return _core.Predictor(self.network, self.params, logits=bool(logits))

    def decision_function(self, X):
        """Return the logits of the last layer, shape (n, n_outputs)."""
        X = self._check_X(X)
        out = self.network.predict(self.params, X, logits=True)
        check_finite_output(out)
        return out

    def predict(self, X):
        """Return class indices (softmax), 0/1 labels (logistic) or values (identity).

        A network with one output returns a 1-D array.
        """
        out = self.predict_proba(X)
        if self.output == "softmax":
            return out.argmax(axis=1)
        if self.output == "logistic":
            out = (out >= 0.5).astype(np.int64)
        return out[:, 0] if out.shape[1] == 1 else out

    # ---- model file ------------------------------------------------------------

    def _tensors(self):
        tensors = {}
        for l, (W, b) in enumerate(zip(self.coefs, self.intercepts)):
            tensors["layers.%d.weight" % l] = W
            tensors["layers.%d.bias" % l] = b
        return tensors

    def _description(self):
        return {
            "kind": "MLP",
            "layer_sizes": list(self.layer_sizes),
            "activations": list(self.activations),
            "output": self.output,
            "dtype": self.dtype.name,
            "init": self.init,
            "dropout": list(self.network.dropout) if self.network.dropout else None,
        }

    def save(self, path, metadata=None):
        """Write the network to a model file (safetensors layout, no pickle).

        The write is atomic: a failed save leaves an existing file intact.
        ``metadata`` (JSON-serialisable) is stored beside the architecture.
        """
        document = {"network": self._description(), "metadata": metadata or {}}
        document["fastnn_version"] = _version()
        document["saved_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        _io.write_model(path, self._tensors(), document)

    @classmethod
    def _from_description(cls, desc, tensors, path):
        try:
            net = cls(desc["layer_sizes"], desc["activations"] or "relu", desc["output"],
                      desc["dtype"], init=desc.get("init", "auto"), dropout=desc.get("dropout"))
        except (KeyError, TypeError, ValueError) as exc:
            raise _io.ModelFileError("%s has an invalid network description: %s" % (path, exc))
        for l, (W, b) in enumerate(zip(net.coefs, net.intercepts)):
            for name, view in (("layers.%d.weight" % l, W), ("layers.%d.bias" % l, b)):
                tensor = tensors.get(name)
                if tensor is None or tensor.shape != view.shape:
                    raise _io.ModelFileError(
                        "%s: tensor %s is missing or has the wrong shape" % (path, name))
                view[...] = tensor
        return net

    @classmethod
    def load(cls, path):
        """Read a network written by ``save``."""
        tensors, document = _io.read_model(path)
        desc = document.get("network")
        if not isinstance(desc, dict):
            raise _io.ModelFileError("%s contains no network description" % path)
        net = cls._from_description(desc, tensors, path)
        net.metadata = document.get("metadata", {})
        return net


def load(path):
    """Load a model file written by ``MLP.save``, an estimator's ``save`` or ``TabularModel.save``.

    Returns an ``MLP``, ``MLPClassifier``, ``MLPRegressor`` or
    ``fastnn.tabular.TabularModel``, whichever was saved.
    """
    tensors, document = _io.read_model(path)
    kind = document.get("estimator")
    if kind is None:
        return MLP.load(path)
    if kind == "TabularModel":
        from ._model import TabularModel

        return TabularModel._from_document(document, tensors, path)
    from . import _estimators

    return _estimators.estimator_from_document(document, tensors, path)


def _version():
    from . import __version__

    return __version__


def _check_layer_sizes(layer_sizes):
    try:
        sizes = list(layer_sizes)
    except TypeError:
        raise TypeError(
            "layer_sizes must be a sequence of ints such as [n_features, 64, n_outputs], "
            "got %r" % (layer_sizes,)
        ) from None
    if len(sizes) < 2:
        raise ValueError(
            "layer_sizes needs at least the input and output widths, got %r" % (sizes,)
        )
    for i, size in enumerate(sizes):
        check_int(size, "layer_sizes[%d]" % i, low=1)
    return [int(s) for s in sizes]


def _check_dropout(dropout, n_hidden):
    """Return one dropout rate per hidden layer as a tuple, or None for no dropout."""
    if dropout is None:
        return None
    if isinstance(dropout, (int, float, np.integer, np.floating)) and not isinstance(dropout, bool):
        rates = (float(dropout),) * n_hidden
    else:
        try:
            rates = tuple(float(r) for r in dropout)
        except (TypeError, ValueError):
            raise TypeError(
                "dropout must be a rate in [0, 1) or a list with one per hidden layer, got %r"
                % (dropout,)
            ) from None
        if len(rates) != n_hidden:
            raise ValueError(
                "dropout lists %d rates but the network has %d hidden layer(s); give one per "
                "hidden layer or a single rate" % (len(rates), n_hidden)
            )
    for rate in rates:
        if not 0 <= rate < 1:
            raise ValueError("dropout rates must be in [0, 1), got %r" % (rate,))
    if not any(rates):
        return None
    return rates
