"""MLPClassifier and MLPRegressor with scikit-learn's parameter names and semantics."""

import math
import numbers
import time

import numpy as np

from . import _core, _io
from ._base import ParamsMixin, available_if
from ._config import get_num_threads, set_num_threads
from ._network import MLP, _check_dropout
from ._progress import EpochReporter
from ._validation import (
    ConvergenceWarning,
    InvalidParameterError,
    check_array,
    check_bool,
    check_choice,
    check_consistent_length,
    check_finite_output,
    check_feature_names,
    check_float,
    check_int,
    check_random_state,
    check_sample_weight,
    not_fitted_error,
    warn_not_converged,
    warn_user,
)

__all__ = ["MLPClassifier", "MLPRegressor", "ConvergenceWarning"]


ACTIVATIONS = ("identity", "logistic", "tanh", "relu", "leaky_relu", "elu", "gelu")


class _thread_count:
    """Context manager that sets fastnn's thread count and restores it.

    NOTE: the count is process-wide, so two estimators with different
    n_threads used at the same time from different Python threads see
    each other's setting for the duration of the call.
    """

    def __init__(self, n_threads):
        self.n_threads = n_threads
        self.previous = None

    def __enter__(self):
        if self.n_threads is not None:
            self.previous = get_num_threads()
            set_num_threads(self.n_threads)
        return self

    def __exit__(self, *exc):
        if self.previous is not None:
            set_num_threads(self.previous)
        return False


def _as_dtype(array, dtype):
    """Return array in dtype; read-only input stays read-only (the kernels only read it)."""
    return array.astype(dtype, copy=False)


def _check_stochastic_solver(estimator):
    if estimator.solver not in ("sgd", "adam"):
        raise AttributeError(
            "partial_fit is only available for stochastic optimizers (solver='sgd' or "
            "'adam'); solver=%r is not stochastic" % (estimator.solver,)
        )


class _ParameterList(list):
    """Views into the flat parameter buffer of a fitted network.

    Assigning an item copies the array into the buffer, so
    ``estimator.coefs_[0] = W`` changes the model, as in scikit-learn.
    """

    def __setitem__(self, index, value):
        if not isinstance(index, (int, np.integer)):
            raise TypeError("assign one layer at a time, for example coefs_[0] = W")
        view = list.__getitem__(self, index)
        value = np.asarray(value)
        if value.shape != view.shape:
            raise ValueError(
                "layer %d has shape %s, but the new array has shape %s; the network's "
                "layer sizes are fixed after fit" % (index, view.shape, value.shape)
            )
        view[...] = value


class _BaseMLP(ParamsMixin):
    """Shared training loop; subclasses define the targets and output head."""

    _estimator_type = None

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 weight_decay=0.0, n_threads=None, callbacks=None, scoring=None,
                 dropout=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.weight_decay = weight_decay
        self.n_threads = n_threads
        self.callbacks = callbacks
        self.scoring = scoring
        self.dropout = dropout

    # ---- parameter checks ------------------------------------------------------

    def _validate_params(self):
        """Check every hyperparameter; return the hidden sizes as a tuple.

        The allowed values and ranges are scikit-learn's (version 1.9).
        """
        hidden = self.hidden_layer_sizes
        if isinstance(hidden, (int, np.integer)) and not isinstance(hidden, bool):
            hidden = (hidden,)
        try:
            hidden = tuple(hidden)
        except TypeError:
            raise InvalidParameterError(
                "hidden_layer_sizes must be an int or a sequence of ints, got %r" % (hidden,)
            ) from None
        for i, size in enumerate(hidden):
            check_int(size, "hidden_layer_sizes[%d]" % i, low=1)
        self._check_activation(len(hidden))
        check_choice(self.solver, "solver", ("lbfgs", "sgd", "adam"))
        check_float(self.alpha, "alpha", low=0)
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, numbers.Integral):
                raise InvalidParameterError(
                    "batch_size must be 'auto' or an integer >= 1, got %r" % (self.batch_size,)
                )
            check_int(self.batch_size, "batch_size", low=1)
        check_choice(self.learning_rate, "learning_rate", ("constant", "invscaling", "adaptive"))
        check_float(self.learning_rate_init, "learning_rate_init", low=0, low_open=True)
        check_float(self.power_t, "power_t", low=0)
        check_int(self.max_iter, "max_iter", low=1)
        check_bool(self.shuffle, "shuffle")
        check_random_state(self.random_state)
        check_float(self.tol, "tol", low=0)
        if not isinstance(self.verbose, (bool, np.bool_)):
            check_int(self.verbose, "verbose", low=0)
        check_bool(self.warm_start, "warm_start")
        check_float(self.momentum, "momentum", 0, 1)
        check_bool(self.nesterovs_momentum, "nesterovs_momentum")
        check_bool(self.early_stopping, "early_stopping")
        if self.early_stopping:
            check_float(self.validation_fraction, "validation_fraction", 0, 1, True, True)
        else:
            check_float(self.validation_fraction, "validation_fraction", 0, 1, high_open=True)
        check_float(self.beta_1, "beta_1", 0, 1, high_open=True)
        check_float(self.beta_2, "beta_2", 0, 1, high_open=True)
        check_float(self.epsilon, "epsilon", low=0, low_open=True)
        if not (isinstance(self.n_iter_no_change, float) and self.n_iter_no_change == np.inf):
            check_int(self.n_iter_no_change, "n_iter_no_change", low=1)
        check_int(self.max_fun, "max_fun", low=1)
        check_float(self.weight_decay, "weight_decay", low=0)
        if self.weight_decay and self.solver == "lbfgs":
            raise InvalidParameterError(
                "weight_decay=%r applies to solver='adam' or 'sgd', not 'lbfgs'; use alpha "
                "(an L2 penalty) with lbfgs" % (self.weight_decay,)
            )
        if self.n_threads is not None:
            check_int(self.n_threads, "n_threads", low=1)
        if self.scoring is not None:
            check_choice(self.scoring, "scoring", self._scorings)
        if self.dropout is not None:
            try:
                rates = _check_dropout(self.dropout, len(hidden))
            except (TypeError, ValueError) as exc:
                raise InvalidParameterError(str(exc)) from None
            if rates is not None and self.solver == "lbfgs":
                raise InvalidParameterError(
                    "dropout=%r applies to solver='adam' or 'sgd', not 'lbfgs', which needs "
                    "the same loss at every evaluation" % (self.dropout,)
                )
        if self.callbacks is not None:
            callbacks = list(self.callbacks) if isinstance(self.callbacks, (list, tuple)) else None
            if callbacks is None or not all(callable(c) for c in callbacks):
                raise InvalidParameterError(
                    "callbacks must be None or a list of callables f(estimator, info), got %r"
                    % (self.callbacks,)
                )
        return hidden

    def _check_activation(self, n_hidden):
        """Accept one activation name, or a list with one per hidden layer."""
        if isinstance(self.activation, str):
            check_choice(self.activation, "activation", ACTIVATIONS)
            return
        try:
            names = list(self.activation)
        except TypeError:
            names = None
        if names is None or len(names) != n_hidden:
            raise InvalidParameterError(
                "activation must be one of %s, or a list with one of them per hidden layer "
                "(%d here), got %r" % (", ".join(ACTIVATIONS), n_hidden, self.activation)
            )
        for i, name in enumerate(names):
            check_choice(name, "activation[%d]" % i, ACTIVATIONS)

    # ---- fit -----------------------------------------------------------------------

    def fit(self, X, y, sample_weight=None):
        """Fit the model to data X and targets y; return self.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,) or float, optional
            Weights of the rows in the loss.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _fit(self, X, y, sample_weight, incremental, classes=None):
        hidden = self._validate_params()
        with _thread_count(self.n_threads):
            return self._fit_checked(X, y, sample_weight, incremental, classes, hidden)

    def _fit_checked(self, X, y, sample_weight, incremental, classes, hidden):
        if incremental and self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True, because it sees one "
                "batch of data at a time; set early_stopping=False or use fit"
            )
        if y is None:
            raise ValueError(
                "%s requires y to be passed, but the target y is None; pass the %s as "
                "the second argument of %s"
                % (type(self).__name__, self._target_description,
                   "partial_fit" if incremental else "fit")
            )
        continuing = (incremental or self.warm_start) and self._is_fitted()
        check_feature_names(self, X, reset=not continuing)
        X = check_array(X, name="X")
        if continuing:
            self._check_n_features(X)
        mode = None
        if continuing:
            mode = "partial_fit" if incremental else "warm_start"
        Y = self._encode_targets(y, mode, classes=classes)
        check_consistent_length(X=X, y=Y)
        w = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        class_weights = self._row_class_weights(Y)
        if class_weights is not None:
            w = class_weights.astype(X.dtype) if w is None else w * class_weights

        if continuing:
            self._check_warm_start(X, Y, hidden)
        else:
            rng = check_random_state(self.random_state)
            self._mlp = MLP([X.shape[1], *hidden, Y.shape[1]], self.activation,
                            self._output_head(Y), dtype=X.dtype, random_state=rng,
                            init="sklearn", dropout=self.dropout)
            self._reset_fit_state()
        self.n_features_in_ = X.shape[1]
        dtype = self._mlp.dtype
        X = _as_dtype(X, dtype)
        Y = _as_dtype(np.ascontiguousarray(Y), dtype)
        if w is not None:
            w = _as_dtype(w, dtype)
        if self.solver == "lbfgs":
            self._fit_lbfgs(X, Y, w)
        else:
            self._fit_stochastic(X, Y, w, incremental)
        return self

    def _row_class_weights(self, Y):
        """Return each row's class weight, or None; only classifiers have class_weight."""
        return None

    def _is_fitted(self):
        return getattr(self, "_mlp", None) is not None

    def __sklearn_is_fitted__(self):
        return self._is_fitted()

    def _reset_fit_state(self):
        self.n_iter_ = 0
        self.t_ = 0
        for name in ("loss_curve_", "best_loss_", "validation_scores_", "best_validation_score_",
                     "validation_loss_curve_"):
            self.__dict__.pop(name, None)
        if self.solver != "lbfgs":
            self._start_stochastic_records()
        self._no_improvement_count = 0
        self._best_params = None

    def _start_stochastic_records(self):
        """Create the per-epoch records of sgd and adam that do not exist yet.

        A warm start can switch from lbfgs, which keeps no loss curve, or
        turn early stopping on, so missing records start empty here.
        """
        if getattr(self, "loss_curve_", None) is None:
            self.loss_curve_ = []
        if self.early_stopping:
            if getattr(self, "validation_scores_", None) is None:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
            if getattr(self, "validation_loss_curve_", None) is None:
                self.validation_loss_curve_ = []
            self.best_loss_ = None
        else:
            if getattr(self, "best_loss_", None) is None:
                self.best_loss_ = np.inf
            self.__dict__.setdefault("validation_scores_", None)
            self.__dict__.setdefault("best_validation_score_", None)
            self.__dict__.setdefault("validation_loss_curve_", None)

    def _check_n_features(self, X):
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                "X has %d features, but %s is expecting %d features as input"
                % (X.shape[1], type(self).__name__, self.n_features_in_)
            )

    def _check_warm_start(self, X, Y, hidden):
        expected = (X.shape[1], *hidden, Y.shape[1])
        if tuple(self._mlp.layer_sizes) != expected:
            raise ValueError(
                "warm_start=True and partial_fit need the architecture of the fitted "
                "network: it has layer sizes %s, but hidden_layer_sizes=%s and this data "
                "give %s; set warm_start=False (or call fit) to start over"
                % (tuple(self._mlp.layer_sizes), hidden, expected)
            )

    def _fit_lbfgs(self, X, Y, w):
        """Minimize the full-batch loss with SciPy's L-BFGS-B on the fused C gradient."""
        try:
            from scipy.optimize import minimize
        except ImportError:
            raise ImportError(
                "solver='lbfgs' needs SciPy; install it ('pip install scipy') or use "
                "solver='adam'"
            ) from None
        mlp = self._mlp

        def loss_and_gradient(flat):
            mlp.params[...] = flat
            loss = mlp.network.forward_backward(mlp.params, mlp.grads, X, Y, w, self.alpha)
            if not np.isfinite(loss):
                raise _core.NonFiniteLossError(
                    "L-BFGS reached a NaN or infinite loss; scale the inputs (for example "
                    "with fastnn.preprocessing.StandardScaler) or raise alpha"
                )
            return loss, mlp.grads.astype(np.float64)

        options = {"maxfun": self.max_fun, "maxiter": self.max_iter, "gtol": self.tol}
        start = mlp.params.astype(np.float64)
        try:
            result = minimize(loss_and_gradient, start, method="L-BFGS-B", jac=True,
                              options=options)
        except KeyboardInterrupt:
            warn_user("Training interrupted by the user; the model keeps the weights of the "
                      "last evaluated step.", RuntimeWarning)
            return
        mlp.params[...] = result.x
        self.n_iter_ = min(int(result.nit), self.max_iter)
        self.loss_ = float(result.fun)
        if self.verbose:
            print("L-BFGS: %d iterations, %d evaluations, loss %.8f"
                  % (result.nit, result.nfev, result.fun))
        if result.status != 0:
            warn_not_converged(
                "lbfgs failed to converge after %d iterations (status %d: %s); raise "
                "max_iter or max_fun, or scale the data"
                % (result.nit, result.status, result.message)
            )

    def _batch_size(self, n_rows):
        if isinstance(self.batch_size, str):
            return min(200, n_rows)
        if self.batch_size > n_rows:
            warn_user(
                "batch_size=%d is larger than the %d training rows; using batches of %d "
                "rows" % (self.batch_size, n_rows, n_rows)
            )
        return min(self.batch_size, n_rows)

    def _split_validation(self, X, Y, w):
        """Hold out validation_fraction of the rows for early stopping.

        The split is stratified by class for single-label classifiers, as in
        scikit-learn. It draws from a generator made afresh from random_state,
        so with an int seed every warm-start fit holds out the same rows and
        the best validation scores of successive fits compare fairly.
        """
        from .model_selection import train_test_split

        n_rows = X.shape[0]
        n_val = math.ceil(self.validation_fraction * n_rows)
        if n_val < 2 or n_val >= n_rows:
            raise ValueError(
                "The validation set is too small: validation_fraction=%g of %d rows "
                "gives %d validation row(s) and %d training row(s), but early stopping "
                "needs at least 2 and 1. Increase validation_fraction or the size of "
                "your dataset, or set early_stopping=False"
                % (self.validation_fraction, n_rows, n_val, n_rows - n_val)
            )
        arrays = (X, Y) if w is None else (X, Y, w)
        try:
            parts = train_test_split(*arrays, test_size=n_val,
                                     random_state=check_random_state(self.random_state),
                                     stratify=self._stratify_labels(Y))
        except ValueError as exc:
            raise ValueError(
                "early_stopping=True could not hold out a stratified validation set of "
                "%d rows (validation_fraction=%g): %s Set early_stopping=False or pass "
                "more rows of the rare classes" % (n_val, self.validation_fraction, exc)
            ) from None
        parts = [np.ascontiguousarray(part) for part in parts]
        X_train, X_val, Y_train, Y_val = parts[:4]
        w_train, w_val = (parts[4], parts[5]) if w is not None else (None, None)
        return X_train, Y_train, w_train, X_val, Y_val, w_val

    def _stratify_labels(self, Y):
        return None

    def _configure_optimizer(self):
        self._mlp.configure_optimizer(self.solver, self.learning_rate_init, self.momentum,
                                      self.nesterovs_momentum, self.beta_1, self.beta_2,
                                      self.epsilon, self.weight_decay)

    def _fit_stochastic(self, X, Y, w, incremental=False):
        """Train epochs of mini-batches; partial_fit (incremental) runs one.

        As in scikit-learn, every fit starts a fresh optimizer (new Adam
        moments or SGD velocity, learning_rate_init), while partial_fit
        keeps the optimizer of the previous call.
        """
        mlp = self._mlp
        self._start_stochastic_records()
        if not incremental or mlp.optimizer is None:
            self._configure_optimizer()
        X_val = Y_val = w_val = None
        if self.early_stopping:
            X, Y, w, X_val, Y_val, w_val = self._split_validation(X, Y, w)
        n = X.shape[0]
        batch_size = self._batch_size(n)
        n_epochs = 1 if incremental else self.max_iter
        reporter = EpochReporter(n_epochs, enabled=bool(self.verbose))
        self.n_iter_ = 0

        try:
            for _ in range(n_epochs):
                reporter.start_epoch(self.n_iter_ + 1)
                try:
                    loss = mlp.train_epoch(X, Y, batch_size, w, self.alpha, self.shuffle, reporter)
                except _core.NonFiniteLossError:
                    raise _core.NonFiniteLossError(
                        "training diverged in epoch %d: the loss became NaN or infinite. "
                        "Scale the inputs (for example with fastnn.preprocessing."
                        "StandardScaler) or lower learning_rate_init (now %g)."
                        % (self.n_iter_ + 1, self.learning_rate_init)
                    ) from None
                self.n_iter_ += 1
                self.t_ += n
                self.loss_ = loss
                self.loss_curve_.append(loss)
                metrics = {"loss": loss}
                if self.early_stopping:
                    metrics["val_loss"] = self._mlp.evaluate(X_val, Y_val)["val_loss"]
                    self.validation_loss_curve_.append(metrics["val_loss"])
                self._update_no_improvement(X_val, Y_val, w_val, metrics)
                reporter.end_epoch(metrics)
                stop_requested = self._run_callbacks(metrics)
                if self.solver == "sgd" and self.learning_rate == "invscaling":
                    mlp.optimizer.learning_rate = (
                        self.learning_rate_init / (self.t_ + 1) ** self.power_t
                    )

                if stop_requested:
                    reporter.message("A callback stopped training after epoch %d." % self.n_iter_)
                    break
                if self._no_improvement_count > self.n_iter_no_change:
                    if self._stop_or_lower_rate(reporter):
                        break
                    self._no_improvement_count = 0
                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warn_not_converged(
                        "Stochastic optimizer: maximum iterations (%d) reached and the "
                        "optimization has not converged yet; raise max_iter or tol"
                        % self.max_iter
                    )
        except KeyboardInterrupt:
            warn_user("Training interrupted by the user; the model keeps the weights of the "
                      "last completed batches.", RuntimeWarning)
        if self.early_stopping and self._best_params is not None:
            mlp.params[...] = self._best_params

    def _scored_validation(self, X_val, Y_val, w_val):
        """Return the early-stopping score (higher is better) under ``scoring``."""
        if self.scoring is None:
            return self._validation_score(X_val, Y_val, w_val)
        if self.scoring == "loss":
            logits = self._mlp.network.predict(self._mlp.params, X_val, logits=True)
            loss, _ = _core.loss(logits, Y_val, self._mlp.output, w_val)
            return -float(loss)
        return self._metric_score(X_val, Y_val, w_val)

    def _run_callbacks(self, metrics):
        """Call each callback with (self, info); return True if one returned True.

        info contains "epoch" and the epoch's metrics: "loss", and with early
        stopping "val_loss" and "val_score".
        """
        if not self.callbacks:
            return False
        info = dict(metrics, epoch=self.n_iter_)
        stop = False
        for callback in self.callbacks:
            if callback(self, dict(info)) is True:
                stop = True
        return stop

    def _update_no_improvement(self, X_val, Y_val, w_val, metrics):
        """Track the best training loss or validation score and count the epochs without progress."""
        if self.early_stopping:
            score = self._scored_validation(X_val, Y_val, w_val)
            self.validation_scores_.append(score)
            metrics["val_score"] = score
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_params = self._mlp.params.copy()
            return
        loss = self.loss_curve_[-1]
        if loss > self.best_loss_ - self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        if loss < self.best_loss_:
            self.best_loss_ = loss

    def _stop_or_lower_rate(self, reporter):
        """Return True to stop; the adaptive SGD schedule first divides the rate by 5."""
        what = "Validation score" if self.early_stopping else "Training loss"
        opt = self._mlp.optimizer
        if self.solver == "sgd" and self.learning_rate == "adaptive" and opt.learning_rate > 1e-6:
            opt.learning_rate = opt.learning_rate / 5.0
            reporter.message("%s did not improve more than tol=%f for %d consecutive epochs. "
                             "Setting learning rate to %f"
                             % (what, self.tol, self.n_iter_no_change, opt.learning_rate))
            return False
        reporter.message("%s did not improve more than tol=%f for %d consecutive epochs. "
                         "Stopping." % (what, self.tol, self.n_iter_no_change))
        return True

    # ---- fitted state ----------------------------------------------------------------

    def _check_fitted(self):
        if getattr(self, "_mlp", None) is None:
            raise not_fitted_error(self)

    def _check_X(self, X):
        self._check_fitted()
        check_feature_names(self, X, reset=False)
        X = check_array(X, name="X", dtype=self._mlp.dtype)
        self._check_n_features(X)
        return X

    def __setstate__(self, state):
        # A model unpickled from a read-only memory map (joblib.load with
        # mmap_mode="r") gets read-only buffers. The MLP copies its own in
        # MLP.__setstate__, and the best weights of early stopping are copied
        # here, so that the restored model holds no read-only buffer.
        self.__dict__.update(state)
        best = state.get("_best_params")
        if best is not None and not best.flags.writeable:
            self._best_params = best.copy()

    @property
    def coefs_(self):
        """Weight matrices, views into the network's parameter buffer."""
        self._check_fitted()
        return _ParameterList(self._mlp.coefs)

    @coefs_.setter
    def coefs_(self, values):
        self._check_fitted()
        self._assign_layers(self.coefs_, values, "coefs_")

    @property
    def intercepts_(self):
        """Bias vectors, views into the network's parameter buffer."""
        self._check_fitted()
        return _ParameterList(self._mlp.intercepts)

    @intercepts_.setter
    def intercepts_(self, values):
        self._check_fitted()
        self._assign_layers(self.intercepts_, values, "intercepts_")

    @staticmethod
    def _assign_layers(layers, values, name):
        values = list(values)
        if len(values) != len(layers):
            raise ValueError("%s needs %d arrays, one per layer, got %d"
                             % (name, len(layers), len(values)))
        for index, value in enumerate(values):
            layers[index] = value

    @property
    def n_layers_(self):
        self._check_fitted()
        return self._mlp.n_layers + 1

    @property
    def n_outputs_(self):
        self._check_fitted()
        return self._mlp.layer_sizes[-1]

    @property
    def out_activation_(self):
        self._check_fitted()
        return self._mlp.output

    def _predict_raw(self, X):
        X = self._check_X(X)
        with _thread_count(getattr(self, "n_threads", None)):
            out = self._mlp.network.predict(self._mlp.params, X)
        check_finite_output(out)
        return out

    def __sklearn_tags__(self):
        """Describe the estimator to scikit-learn (>= 1.6), which calls this.

        Only scikit-learn calls this method, so importing scikit-learn here
        keeps it a test-only dependency of fastnn.
        """
        from sklearn.utils import ClassifierTags, RegressorTags, Tags, TargetTags

        is_classifier = self._estimator_type == "classifier"
        return Tags(
            estimator_type=self._estimator_type,
            target_tags=TargetTags(required=True, multi_output=True),
            classifier_tags=ClassifierTags(multi_label=True) if is_classifier else None,
            regressor_tags=None if is_classifier else RegressorTags(),
        )

    # ---- model file --------------------------------------------------------------------

    def save(self, path, metadata=None):
        """Write the fitted estimator to a model file (safetensors layout, no pickle).

        The write is atomic: a failed save leaves an existing file intact.
        """
        self._check_fitted()
        document = {
            "estimator": type(self).__name__,
            "network": self._mlp._description(),
            "params": _json_params(self.get_params()),
            "n_features_in": int(self.n_features_in_),
            "n_iter": int(self.n_iter_),
            "loss_curve": [float(v) for v in getattr(self, "loss_curve_", [])],
            "metadata": metadata or {},
            "fastnn_version": _version(),
            "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            document["feature_names_in"] = [str(name) for name in names]
        document.update(self._document_extra())
        _io.write_model(path, self._mlp._tensors(), document)

    def _document_extra(self):
        return {}

    def _restore_extra(self, document, path):
        pass


class MLPClassifier(_BaseMLP):
    """Multilayer perceptron classifier, a drop-in for scikit-learn's MLPClassifier.

    Trains with the fused C kernels of fastnn. Binary problems use one
    logistic output, multiclass problems a softmax output, and a 2-D 0/1
    indicator ``y`` trains a multilabel model with one logistic output per
    label. Class labels may be of any sortable type (ints, strings).
    float32 ``X`` trains and predicts in float32; any other numeric ``X``
    in float64.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Width of each hidden layer; an empty tuple gives no hidden layer.
    activation : str or list of str, default="relu"
        Activation of the hidden layers: "identity", "logistic", "tanh",
        "relu", or beyond scikit-learn "leaky_relu" (slope 0.01 below zero),
        "elu" (e^z - 1 below zero) and "gelu" (z times the standard normal
        CDF of z); a list gives one per hidden layer.
    solver : {"adam", "sgd", "lbfgs"}, default="adam"
        "lbfgs" runs SciPy's L-BFGS-B on the full-batch loss (SciPy is
        imported only then).
    alpha : float, default=0.0001
        L2 penalty. The loss of a batch gains 0.5 * alpha * sum(W**2)
        divided by the sum of its sample weights (its row count without
        weights). Biases are not penalized.
    batch_size : int or "auto", default="auto"
        Rows per mini-batch; "auto" means min(200, n_samples).
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Schedule of the SGD step size: "invscaling" sets it to
        learning_rate_init / (t_ + 1) ** power_t after every epoch,
        "adaptive" divides it by 5 when n_iter_no_change epochs bring no
        progress by tol.
    learning_rate_init : float, default=0.001
        Initial step size of "sgd" and "adam".
    power_t : float, default=0.5
        Exponent of the "invscaling" schedule.
    max_iter : int, default=200
        Maximum number of epochs ("sgd", "adam") or of iterations ("lbfgs").
    shuffle : bool, default=True
        Shuffle the rows before every epoch.
    random_state : int, numpy.random.Generator, numpy.random.RandomState or None
        Seeds the initial weights, the shuffling and the validation split.
    tol : float, default=1e-4
        Minimum improvement of the loss (or validation score) that counts
        as progress; for "lbfgs" the gradient tolerance.
    verbose : bool or int, default=False
        Print one line per epoch (a progress bar on a terminal).
    warm_start : bool, default=False
        Continue from the current weights on the next ``fit``. The classes
        and the number of features must stay the same.
    momentum : float, default=0.9
        SGD momentum, in [0, 1].
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum in SGD.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows (stratified by class)
        and stop when the validation accuracy has not improved by ``tol``
        for ``n_iter_no_change`` epochs; the best weights are restored.
    validation_fraction : float, default=0.1
        Share of the rows held out for early stopping, in (0, 1).
    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's decay rates of the first and second moments (Kingma and
        Ba, 2015), in [0, 1).
    epsilon : float, default=1e-8
        Adam's term for numerical stability.
    n_iter_no_change : int or numpy.inf, default=10
        Epochs without progress by ``tol`` before stopping (or lowering
        the "adaptive" step size).
    max_fun : int, default=15000
        Maximum number of loss evaluations of the "lbfgs" solver.
    weight_decay : float, default=0.0
        Not in scikit-learn. Decoupled weight decay for "adam" and "sgd"
        (AdamW; Loshchilov and Hutter, 2019): every step first shrinks all
        parameters by (1 - learning_rate * weight_decay).
    n_threads : int or None, default=None
        Not in scikit-learn. Threads of fastnn's kernels during ``fit`` and
        prediction; None keeps the process setting (see
        ``fastnn.set_num_threads``). The results do not depend on it.
    callbacks : list of callables or None, default=None
        Not in scikit-learn. Each is called after every epoch of "adam" and
        "sgd" as ``callback(estimator, info)``, where info contains "epoch",
        "loss" and, with early stopping, "val_loss" and "val_score". A
        callback that returns True stops training after that epoch.
    scoring : str or None, default=None
        Not in scikit-learn. What early stopping watches on the held-out
        rows: None for accuracy (R^2 for the regressor, as scikit-learn),
        "loss" for the validation loss, or "accuracy", "balanced_accuracy",
        "f1" (of the second class when binary, else macro), "f1_macro",
        "roc_auc" (one-vs-rest macro when multiclass), "neg_log_loss";
        the regressor takes "r2", "neg_mean_squared_error",
        "neg_mean_absolute_error" or "loss".
    dropout : float, list of float or None, default=None
        Not in scikit-learn. Inverted dropout of the hidden layers while
        training with "adam" or "sgd": the share of each hidden layer's
        outputs zeroed per batch (one rate, or one per hidden layer), in
        [0, 1). Prediction never drops.
    class_weight : dict, "balanced" or None, default=None
        Not in scikit-learn. Weight of each class in the loss, multiplied
        into ``sample_weight``: a dict maps labels to weights (unlisted
        labels weigh 1); "balanced" gives class c the weight
        n_samples / (n_classes * n_c). Not for multilabel ``y``.

    Attributes
    ----------
    classes_ : ndarray
        The class labels (``arange(n_labels)`` for multilabel ``y``).
    loss_ : float
        Training loss of the last epoch (or the L-BFGS optimum).
    best_loss_ : float or None
        Lowest training loss ("sgd" and "adam"; None with early stopping).
    loss_curve_ : list of float
        Training loss per epoch ("sgd" and "adam").
    validation_scores_ : list of float or None
        Validation score per epoch with early stopping (accuracy unless
        ``scoring`` names another).
    best_validation_score_ : float or None
        Best validation score with early stopping.
    validation_loss_curve_ : list of float or None
        Not in scikit-learn. Loss on the held-out rows per epoch with early
        stopping, beside ``loss_curve_``; None without it.
    t_ : int
        Training rows seen by the optimizer across fits.
    coefs_, intercepts_ : list of ndarray
        Weights and biases per layer: views into the network's parameter
        buffer, so writing into them (or assigning ``coefs_[i] = W``)
        changes the model.
    n_features_in_ : int
        Number of features seen at fit.
    feature_names_in_ : ndarray of str
        Column names of a DataFrame ``X`` at fit; only set when all column
        names are strings.
    n_iter_ : int
        Epochs (or L-BFGS iterations) run by the last ``fit``.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units.
    out_activation_ : str
        "logistic" (binary, multilabel) or "softmax" (multiclass).

    Examples
    --------
    >>> from fastnn import MLPClassifier
    >>> from fastnn.datasets import load_breast_cancer
    >>> from fastnn.preprocessing import StandardScaler
    >>> data = load_breast_cancer()
    >>> X = StandardScaler().fit_transform(data.data)
    >>> clf = MLPClassifier(hidden_layer_sizes=(32,), max_iter=50, random_state=0)
    >>> clf.fit(X, data.target).score(X, data.target) > 0.95
    True
    """

    _estimator_type = "classifier"
    _target_description = "class labels"

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 weight_decay=0.0, n_threads=None, callbacks=None, scoring=None,
                 dropout=None, class_weight=None):
        super().__init__(
            hidden_layer_sizes, activation, solver=solver, alpha=alpha, batch_size=batch_size,
            learning_rate=learning_rate, learning_rate_init=learning_rate_init,
            power_t=power_t, max_iter=max_iter, shuffle=shuffle, random_state=random_state,
            tol=tol, verbose=verbose, warm_start=warm_start, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
            validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2,
            epsilon=epsilon, n_iter_no_change=n_iter_no_change, max_fun=max_fun,
            weight_decay=weight_decay, n_threads=n_threads, callbacks=callbacks,
            scoring=scoring, dropout=dropout,
        )
        self.class_weight = class_weight

    def _row_class_weights(self, Y):
        """Return the class_weight of each row's class, or None without class_weight.

        "balanced" gives class c the weight n_samples / (n_classes * n_c),
        computed on the y of this fit. A dict maps labels to weights, and a
        label it does not list weighs 1.
        """
        if self.class_weight is None:
            return None
        if self._multilabel:
            raise ValueError("class_weight is not supported for multilabel y; pass "
                             "sample_weight instead")
        indices = Y[:, 0].astype(np.intp) if Y.shape[1] == 1 else Y.argmax(axis=1)
        n_classes = len(self.classes_)
        if isinstance(self.class_weight, str):
            check_choice(self.class_weight, "class_weight", ("balanced",))
            counts = np.bincount(indices, minlength=n_classes).astype(np.float64)
            per_class = np.where(counts > 0, len(indices) / (n_classes * np.maximum(counts, 1)), 0)
        elif isinstance(self.class_weight, dict):
            per_class = np.ones(n_classes)
            for label, weight in self.class_weight.items():
                position = np.flatnonzero(self.classes_ == label)
                if len(position) == 0:
                    raise ValueError(
                        "class_weight names the label %r, which is not among the classes %s"
                        % (label, self.classes_.tolist())
                    )
                per_class[position[0]] = check_float(weight, "class_weight[%r]" % (label,), low=0)
        else:
            raise InvalidParameterError(
                "class_weight must be None, 'balanced' or a dict {label: weight}, got %r"
                % (self.class_weight,)
            )
        return per_class[indices]

    def _output_head(self, Y):
        return "logistic" if self._binary_or_multilabel else "softmax"

    def _stratify_labels(self, Y):
        if self._multilabel:
            return None
        return Y[:, 0] if Y.shape[1] == 1 else Y.argmax(axis=1)

    def _encode_targets(self, y, mode, classes=None):
        """Return y as a float target matrix and set classes_.

        mode is None for a fresh fit, "warm_start" (the classes must not
        change) or "partial_fit" (the labels must be among classes_).
        """
        if hasattr(y, "to_numpy") and not isinstance(y, np.ndarray):
            y = y.to_numpy()
        arr = np.asarray(y)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr.ravel()
        if arr.ndim == 2:
            return self._encode_multilabel(arr, mode)
        if arr.ndim != 1:
            raise ValueError("y must be 1-D class labels or a 2-D indicator matrix, got shape %s"
                             % (arr.shape,))
        if arr.shape[0] == 0:
            raise ValueError("y has no rows; pass one label per row of X")
        if arr.dtype.kind == "c":
            raise ValueError("y has complex dtype %s. Complex data not supported; pass "
                             "class labels" % arr.dtype)
        if arr.dtype.kind == "f":
            if not np.isfinite(arr).all():
                raise ValueError("y contains NaN or infinite labels; drop or fill those rows")
            if not np.array_equal(arr, np.round(arr)):
                example = arr[arr != np.round(arr)][0].item()
                raise ValueError(
                    "Unknown label type: continuous. y contains non-integer floats such as %r; "
                    "use MLPRegressor for regression or pass class labels" % (example,)
                )
        if mode is not None and self._multilabel:
            raise ValueError(
                "y contains class labels, but the model was fitted on a multilabel indicator "
                "matrix of %d columns; pass such a matrix or refit with warm_start=False"
                % len(self.classes_)
            )

        try:
            present = np.unique(arr)
        except TypeError:
            raise TypeError(
                "y mixes labels of types that cannot be sorted (%s); use one type, for "
                "example all strings" % sorted({type(v).__name__ for v in arr})
            ) from None
        if mode == "warm_start" and not np.array_equal(present, self.classes_):
            raise ValueError(
                "warm_start can only be used where y has the same classes as in the "
                "previous call to fit: the model has %s, y has %s; set warm_start=False "
                "to start over" % (self.classes_.tolist(), present.tolist())
            )
        if mode is None:
            self.classes_ = present if classes is None else np.unique(np.asarray(classes))
            if len(self.classes_) < 2:
                raise ValueError(
                    "y has only one class (%r); a classifier needs at least two"
                    % (self.classes_.tolist()[0],)
                )
            self._multilabel = False
            self._binary_or_multilabel = len(self.classes_) == 2
        unknown = np.setdiff1d(present, self.classes_)
        if len(unknown):
            raise ValueError(
                "y has classes not in classes_ %s: %s; pass every class in the classes "
                "argument of the first partial_fit call"
                % (self.classes_.tolist(), unknown.tolist()[:10])
            )

        indices = np.searchsorted(self.classes_, arr)
        if len(self.classes_) == 2:
            return indices.astype(np.float64).reshape(-1, 1)
        Y = np.zeros((arr.shape[0], len(self.classes_)))
        Y[np.arange(arr.shape[0]), indices] = 1
        return Y

    def _encode_multilabel(self, arr, mode):
        if arr.dtype.kind not in "biuf" or not np.isin(arr, (0, 1)).all():
            raise ValueError("a 2-D y must be a 0/1 indicator matrix (multilabel); got other values")
        if mode is not None and (not self._multilabel or arr.shape[1] != len(self.classes_)):
            raise ValueError(
                "y has %d label columns, but the model was fitted on %s; refit with "
                "warm_start=False to change them"
                % (arr.shape[1], "%d labels" % len(self.classes_) if self._multilabel
                   else "single-label classes")
            )
        self.classes_ = np.arange(arr.shape[1])
        self._multilabel = True
        self._binary_or_multilabel = True
        return arr.astype(np.float64)

    @available_if(_check_stochastic_solver)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with one epoch over X and y; return self.

        Only the stochastic solvers ("sgd", "adam") have this method.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        sample_weight : array-like of shape (n_samples,) or float, optional
        classes : array-like of shape (n_classes,), optional
            All the classes that can appear in y, for example
            ``np.unique(y_all)``. Required on the first call; later calls
            may omit it but must not pass different classes.
        """
        if not self._is_fitted():
            if classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit, for example "
                    "classes=np.unique(y_all), so that later batches may hold other classes"
                )
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(
                "classes=%s is not the same as on the first call to partial_fit (%s)"
                % (np.unique(classes).tolist(), self.classes_.tolist())
            )
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def predict_proba(self, X):
        """Return class probabilities of shape (n_samples, n_classes)."""
        P = self._predict_raw(X)
        if P.shape[1] == 1 and not self._multilabel:
            return np.hstack([1 - P, P])
        return P

    def predictor(self):
        """Return a :class:`fastnn.Predictor` that computes ``predict_proba``.

        For serving: it holds a copy of the fitted weights, checks only the
        rows on each call, releases the GIL and may be called from many
        threads at once. Its result equals ``predict_proba(X)`` bit for bit;
        one row may also be passed as a 1-D array. It uses the threads of
        :func:`fastnn.set_num_threads`, not ``n_threads``.
        """
        self._check_fitted()
        two = self._mlp.layer_sizes[-1] == 1 and not self._multilabel
        return _core.Predictor(self._mlp.network, self._mlp.params, two_columns=two)

    def predict_log_proba(self, X):
        """Return the logarithm of ``predict_proba``."""
        P = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(P, out=P)

    def predict(self, X):
        """Return the predicted class labels (or the indicator matrix for multilabel).

        A probability above 0.5 selects the positive class (binary) or label
        (multilabel); multiclass problems take the most probable class.
        """
        P = self._predict_raw(X)
        if self._multilabel:
            return (P > 0.5).astype(np.int64)
        if P.shape[1] == 1:
            return self.classes_[(P[:, 0] > 0.5).astype(np.intp)]
        return self.classes_[P.argmax(axis=1)]

    def score(self, X, y, sample_weight=None):
        """Return the mean accuracy on X and y (subset accuracy for multilabel y)."""
        from .metrics import accuracy_score

        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        return float(accuracy_score(y, self.predict(X), **kwargs))

    _scorings = ("accuracy", "balanced_accuracy", "f1", "f1_macro", "roc_auc", "neg_log_loss",
                 "loss")

    def _metric_score(self, X_val, Y_val, w_val):
        """Score the held-out rows with one of the metrics of fastnn.metrics."""
        from . import metrics

        if self._multilabel:
            raise ValueError("scoring=%r is not available for multilabel y; use 'accuracy' "
                             "or 'loss'" % self.scoring)
        P = self._mlp.network.predict(self._mlp.params, X_val)
        if P.shape[1] == 1:
            P = np.hstack([1 - P, P])
            true = Y_val[:, 0].astype(np.intp)
        else:
            true = Y_val.argmax(axis=1)
        predicted = P.argmax(axis=1)
        binary = P.shape[1] == 2
        options = {} if w_val is None else {"sample_weight": w_val}
        if self.scoring == "accuracy":
            return float(metrics.accuracy_score(true, predicted, **options))
        if self.scoring == "balanced_accuracy":
            return float(metrics.balanced_accuracy_score(true, predicted, **options))
        if self.scoring in ("f1", "f1_macro"):
            average = "binary" if binary and self.scoring == "f1" else "macro"
            return float(metrics.f1_score(true, predicted, average=average,
                                          labels=np.arange(P.shape[1]), **options))
        if self.scoring == "neg_log_loss":
            return -float(metrics.log_loss(true, P, labels=np.arange(P.shape[1]), **options))
        if len(np.unique(true)) < 2:
            raise ValueError("scoring='roc_auc' needs both classes among the held-out rows; "
                             "raise validation_fraction")
        # NOTE: fastnn.metrics.roc_auc_score takes no sample weights, so
        # this score ignores them.
        if binary:
            return float(metrics.roc_auc_score(true, P[:, 1]))
        return float(metrics.roc_auc_score(true, P, labels=np.arange(P.shape[1])))

    def _validation_score(self, X_val, Y_val, w_val):
        P = self._mlp.network.predict(self._mlp.params, X_val)
        if P.shape[1] == 1 or self._multilabel:
            hits = ((P > 0.5) == (Y_val > 0.5)).all(axis=1)
        else:
            hits = P.argmax(axis=1) == Y_val.argmax(axis=1)
        return float(np.average(hits, weights=w_val))

    def _document_extra(self):
        classes = self.classes_
        if classes.dtype.kind not in "biufU":
            if not all(isinstance(c, str) for c in classes):
                raise TypeError("class labels of dtype %s cannot be saved; use ints or strings"
                                % classes.dtype)
            classes = classes.astype(str)
        return {"classes": classes.tolist(), "classes_dtype": classes.dtype.str,
                "multilabel": bool(self._multilabel)}

    def _restore_extra(self, document, path):
        try:
            self.classes_ = np.array(document["classes"], dtype=np.dtype(document["classes_dtype"]))
            self._multilabel = bool(document["multilabel"])
        except (KeyError, TypeError, ValueError):
            raise _io.ModelFileError("%s: the class labels are missing or invalid" % path)
        self._binary_or_multilabel = self._multilabel or len(self.classes_) == 2


class MLPRegressor(_BaseMLP):
    """Multilayer perceptron regressor, a drop-in for scikit-learn's MLPRegressor.

    ``y`` may have several columns (multi-output regression); a single
    column ``y`` of shape (n_samples, 1) is treated as 1-D, and ``predict``
    returns a 1-D array for one output. The parameters and attributes are
    those of ``MLPClassifier``, without ``classes_`` and ``class_weight``,
    plus ``loss``; ``early_stopping`` watches the validation R^2 score.

    NOTE: with several outputs, ``loss_`` and ``loss_curve_`` hold the sum
    over the outputs of half the squared error, the loss whose gradient
    both libraries follow. scikit-learn 1.9 reports the mean over the
    outputs instead, so its ``tol`` stopping rule can end training at
    another epoch. With one output the two agree.

    Parameters
    ----------
    loss : {"squared_error", "poisson"}, default="squared_error"
        "squared_error" trains an identity output on half the squared
        error; "poisson" trains an exponential output on the Poisson
        deviance, for counts and rates (y must be >= 0).

    Examples
    --------
    >>> import numpy as np
    >>> from fastnn import MLPRegressor
    >>> X = np.random.default_rng(0).uniform(-1, 1, size=(500, 3))
    >>> y = X[:, 0] - 2 * X[:, 1] ** 2
    >>> reg = MLPRegressor(hidden_layer_sizes=(32,), max_iter=300, random_state=0)
    >>> reg.fit(X, y).score(X, y) > 0.9
    True
    """

    _estimator_type = "regressor"
    _target_description = "target values"

    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu", *,
                 solver="adam", alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 weight_decay=0.0, n_threads=None, callbacks=None, scoring=None,
                 dropout=None):
        super().__init__(
            hidden_layer_sizes, activation, solver=solver, alpha=alpha, batch_size=batch_size,
            learning_rate=learning_rate, learning_rate_init=learning_rate_init,
            power_t=power_t, max_iter=max_iter, shuffle=shuffle, random_state=random_state,
            tol=tol, verbose=verbose, warm_start=warm_start, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
            validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2,
            epsilon=epsilon, n_iter_no_change=n_iter_no_change, max_fun=max_fun,
            weight_decay=weight_decay, n_threads=n_threads, callbacks=callbacks,
            scoring=scoring, dropout=dropout,
        )
        self.loss = loss

    def _validate_params(self):
        check_choice(self.loss, "loss", ("squared_error", "poisson"))
        return super()._validate_params()

    def _output_head(self, Y):
        return "exp" if self.loss == "poisson" else "identity"

    def _encode_targets(self, y, mode, classes=None):
        arr = check_array(y, name="y", dtype=np.float64, ensure_2d=False)
        if arr.ndim > 2:
            raise ValueError("y must be 1-D or 2-D, got shape %s" % (arr.shape,))
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if self.loss == "poisson" and (arr < 0).any():
            raise ValueError(
                "y contains negative values (minimum %g), which loss='poisson' does not "
                "allow; use loss='squared_error' or shift the targets" % arr.min()
            )
        n_outputs = 1 if arr.ndim == 1 else arr.shape[1]
        if mode is not None and n_outputs != self.n_outputs_:
            raise ValueError(
                "y has %d output(s), but the model was fitted with %d; refit with "
                "warm_start=False to change them" % (n_outputs, self.n_outputs_)
            )
        return arr.reshape(-1, 1) if arr.ndim == 1 else arr

    @available_if(_check_stochastic_solver)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one epoch over X and y; return self.

        Only the stochastic solvers ("sgd", "adam") have this method.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Return predicted values, shape (n_samples,) for one output, else (n_samples, n_outputs)."""
        out = self._predict_raw(X)
        return out[:, 0] if out.shape[1] == 1 else out

    def predictor(self):
        """Return a :class:`fastnn.Predictor` that computes ``predict``.

        For serving: it holds a copy of the fitted weights, checks only the
        rows on each call, releases the GIL and may be called from many
        threads at once. Its result equals ``predict(X)`` bit for bit; one
        row may also be passed as a 1-D array. It uses the threads of
        :func:`fastnn.set_num_threads`, not ``n_threads``.
        """
        self._check_fitted()
        return _core.Predictor(self._mlp.network, self._mlp.params,
                               squeeze=self._mlp.layer_sizes[-1] == 1)

    def score(self, X, y, sample_weight=None):
        """Return the coefficient of determination R^2 on X and y."""
        from .metrics import r2_score

        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        return float(r2_score(y, self.predict(X), **kwargs))

    _scorings = ("r2", "neg_mean_squared_error", "neg_mean_absolute_error", "loss")

    def _metric_score(self, X_val, Y_val, w_val):
        """Score the held-out rows with one of the metrics of fastnn.metrics."""
        from . import metrics

        if self.scoring == "r2":
            return self._validation_score(X_val, Y_val, w_val)
        predicted = self._mlp.network.predict(self._mlp.params, X_val)
        options = {} if w_val is None else {"sample_weight": w_val}
        if self.scoring == "neg_mean_squared_error":
            return -float(metrics.mean_squared_error(Y_val, predicted, **options))
        return -float(metrics.mean_absolute_error(Y_val, predicted, **options))

    def _validation_score(self, X_val, Y_val, w_val):
        from .metrics import r2_score

        predicted = self._mlp.network.predict(self._mlp.params, X_val)
        if not np.isfinite(predicted).all():
            return float("nan")
        kwargs = {} if w_val is None else {"sample_weight": w_val}
        return float(r2_score(Y_val, predicted, **kwargs))

    def _document_extra(self):
        return {"y_1d": self.n_outputs_ == 1}

    def _restore_extra(self, document, path):
        pass


def estimator_from_document(document, tensors, path):
    """Rebuild a saved MLPClassifier or MLPRegressor."""
    classes = {"MLPClassifier": MLPClassifier, "MLPRegressor": MLPRegressor}
    cls = classes.get(document.get("estimator"))
    if cls is None:
        raise _io.ModelFileError("%s contains an unknown estimator %r" % (path, document.get("estimator")))
    params = document.get("params", {})
    valid = set(cls._get_param_names())
    est = cls(**{k: v for k, v in params.items() if k in valid})
    if isinstance(est.hidden_layer_sizes, list):
        est.hidden_layer_sizes = tuple(est.hidden_layer_sizes)
    est._mlp = MLP._from_description(document.get("network", {}), tensors, path)
    est.n_features_in_ = int(document.get("n_features_in", est._mlp.layer_sizes[0]))
    est.n_iter_ = int(document.get("n_iter", 0))
    est.loss_curve_ = list(document.get("loss_curve", []))
    est.loss_ = est.loss_curve_[-1] if est.loss_curve_ else None
    names = document.get("feature_names_in")
    if names is not None:
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise _io.ModelFileError("%s: feature_names_in must be a list of strings" % path)
        est.feature_names_in_ = np.asarray(names, dtype=object)
    est._restore_extra(document, path)
    est.metadata = document.get("metadata", {})
    return est


def _json_params(params):
    """Keep the parameters that JSON can store (random_state may be a Generator)."""
    clean = {}
    for key, value in params.items():
        if isinstance(value, tuple):
            value = list(value)
        if isinstance(value, (np.integer, np.floating)):
            value = value.item()
        if value is None or isinstance(value, (bool, int, float, str, list)):
            clean[key] = value
    return clean


def _version():
    from . import __version__

    return __version__
