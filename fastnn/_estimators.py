"""MLPClassifier and MLPRegressor with scikit-learn's parameter names and semantics."""

import time
import warnings

import numpy as np

from . import _core, _io
from ._base import ParamsMixin
from ._network import MLP
from ._progress import EpochReporter
from ._validation import (
    NotFittedError,
    check_array,
    check_choice,
    check_consistent_length,
    check_float,
    check_int,
    check_sample_weight,
)

__all__ = ["MLPClassifier", "MLPRegressor", "ConvergenceWarning"]

class ConvergenceWarning(UserWarning):
    """Warned when training stops at max_iter before the loss converged."""


class _BaseMLP(ParamsMixin):
    """Shared training loop; subclasses define the targets and output head."""

    _estimator_type = None

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000):
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

    # ---- parameter checks ------------------------------------------------------

    def _validate_params(self):
        """Check every hyperparameter; return the hidden sizes as a tuple."""
        hidden = self.hidden_layer_sizes
        if isinstance(hidden, (int, np.integer)) and not isinstance(hidden, bool):
            hidden = (hidden,)
        try:
            hidden = tuple(hidden)
        except TypeError:
            raise TypeError(
                "hidden_layer_sizes must be an int or a sequence of ints, got %r" % (hidden,)
            ) from None
        for i, size in enumerate(hidden):
            check_int(size, "hidden_layer_sizes[%d]" % i, low=1)
        check_choice(self.activation, "activation", ("identity", "logistic", "tanh", "relu"))
        check_choice(self.solver, "solver", ("lbfgs", "sgd", "adam"))
        check_float(self.alpha, "alpha", low=0)
        if self.batch_size != "auto":
            check_int(self.batch_size, "batch_size", low=1)
        check_choice(self.learning_rate, "learning_rate", ("constant", "invscaling", "adaptive"))
        check_float(self.learning_rate_init, "learning_rate_init", low=0, low_open=True)
        check_float(self.power_t, "power_t", low=0)
        check_int(self.max_iter, "max_iter", low=1)
        check_float(self.tol, "tol", low=0)
        check_float(self.momentum, "momentum", 0, 1)
        check_float(self.validation_fraction, "validation_fraction", 0, 1, True, True)
        check_float(self.beta_1, "beta_1", 0, 1, high_open=True)
        check_float(self.beta_2, "beta_2", 0, 1, high_open=True)
        check_float(self.epsilon, "epsilon", low=0, low_open=True)
        check_int(self.n_iter_no_change, "n_iter_no_change", low=1)
        check_int(self.max_fun, "max_fun", low=1)
        return hidden

    # ---- fit -----------------------------------------------------------------------

    def fit(self, X, y, sample_weight=None):
        """Fit the model to data X and targets y; return self.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), optional
            Weights of the rows in the loss.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _partial_fit(self, X, y, sample_weight=None, classes=None):
        if self.solver == "lbfgs":
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers; solver='lbfgs' "
                "is not stochastic"
            )
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _fit(self, X, y, sample_weight, incremental, classes=None):
        hidden = self._validate_params()
        self._check_feature_names(X, reset=not (incremental and self._is_fitted()))
        X = check_array(X, name="X")
        continuing = (incremental or self.warm_start) and self._is_fitted()
        mode = ("partial_fit" if incremental else "warm_start") if continuing else None
        Y = self._encode_targets(y, mode, classes=classes)
        check_consistent_length(X=X, y=Y)
        w = check_sample_weight(sample_weight, X.shape[0], X.dtype)

        if continuing:
            self._check_warm_start(X, Y, hidden)
        else:
            self._mlp = MLP([X.shape[1], *hidden, Y.shape[1]], self.activation,
                            self._output_head(Y), dtype=X.dtype, random_state=self.random_state,
                            init="sklearn")
            self._reset_fit_state()
        self.n_features_in_ = X.shape[1]
        X = X.astype(self._mlp.dtype, copy=False)
        Y = Y.astype(self._mlp.dtype)
        if self.solver == "lbfgs":
            self._fit_lbfgs(X, Y, w)
        else:
            self._fit_stochastic(X, Y, w, incremental)
        return self

    def _is_fitted(self):
        return getattr(self, "_mlp", None) is not None

    def _check_feature_names(self, X, reset):
        """Record DataFrame column names at fit; check them at later calls."""
        columns = getattr(X, "columns", None)
        names = None
        if columns is not None and len(columns) and all(isinstance(c, str) for c in columns):
            names = np.asarray(list(columns), dtype=object)
        if reset:
            if names is None:
                self.__dict__.pop("feature_names_in_", None)
            else:
                self.feature_names_in_ = names
            return
        fitted = getattr(self, "feature_names_in_", None)
        if fitted is None or names is None:
            return
        if len(names) != len(fitted) or (names != fitted).any():
            raise ValueError(
                "The feature names should match those that were passed during fit: "
                "expected %s, got %s" % (list(fitted)[:10], list(names)[:10])
            )

    def _reset_fit_state(self):
        self.n_iter_ = 0
        self.t_ = 0
        for name in ("loss_curve_", "best_loss_", "validation_scores_", "best_validation_score_"):
            self.__dict__.pop(name, None)
        if self.solver != "lbfgs":
            self.loss_curve_ = []
            self.best_loss_ = None if self.early_stopping else np.inf
            self.validation_scores_ = [] if self.early_stopping else None
            self.best_validation_score_ = -np.inf if self.early_stopping else None
        self._no_improvement_count = 0
        if self.solver != "lbfgs":
            self._mlp.configure_optimizer(self.solver, self.learning_rate_init, self.momentum,
                                          self.nesterovs_momentum, self.beta_1, self.beta_2,
                                          self.epsilon)

    def _check_warm_start(self, X, Y, hidden):
        expected = (X.shape[1], *hidden, Y.shape[1])
        if tuple(self._mlp.layer_sizes) != expected:
            raise ValueError(
                "warm_start=True needs the same architecture and data width: the fitted "
                "network has layer sizes %s, this fit asks for %s; set warm_start=False to "
                "start over" % (tuple(self._mlp.layer_sizes), expected)
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
            warnings.warn("Training interrupted by the user; the model keeps the weights "
                          "of the last evaluated step.", RuntimeWarning, stacklevel=4)
            return
        mlp.params[...] = result.x
        self.n_iter_ = int(result.nit)
        self.loss_ = float(result.fun)
        if self.verbose:
            print("L-BFGS: %d iterations, %d evaluations, loss %.8f"
                  % (result.nit, result.nfev, result.fun))
        if result.status != 0:
            warnings.warn(
                "lbfgs failed to converge after %d iterations (status %d: %s); raise "
                "max_iter or max_fun, or scale the data"
                % (result.nit, result.status, result.message), ConvergenceWarning, stacklevel=4,
            )

    def _split_validation(self, X, Y, w):
        """Hold out validation_fraction of the rows for early stopping."""
        rng = np.random.default_rng(self.random_state)
        n = X.shape[0]
        n_val = max(1, int(round(self.validation_fraction * n)))
        if n - n_val < 1:
            raise ValueError(
                "validation_fraction=%g leaves no training rows out of %d; lower it or "
                "set early_stopping=False" % (self.validation_fraction, n)
            )
        order = rng.permutation(n)
        val, train = order[:n_val], np.sort(order[n_val:])
        w_train = None if w is None else np.ascontiguousarray(w[train])
        return (np.ascontiguousarray(X[train]), np.ascontiguousarray(Y[train]), w_train,
                np.ascontiguousarray(X[val]), Y[val])

    def _fit_stochastic(self, X, Y, w, incremental=False):
        """Train epochs of mini-batches; partial_fit (incremental) runs one."""
        mlp = self._mlp
        early_stopping = self.early_stopping and not incremental
        X_val = Y_val = None
        if early_stopping:
            X, Y, w, X_val, Y_val = self._split_validation(X, Y, w)
        n = X.shape[0]
        batch_size = min(200, n) if self.batch_size == "auto" else min(self.batch_size, n)
        n_epochs = 1 if incremental else self.max_iter
        reporter = EpochReporter(n_epochs, enabled=bool(self.verbose))
        best_params = None

        try:
            for epoch_index in range(n_epochs):
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

                improved = self._update_no_improvement(X_val, Y_val, metrics, early_stopping)
                if improved and early_stopping:
                    best_params = mlp.params.copy()
                reporter.end_epoch(metrics)
                if self.solver == "sgd" and self.learning_rate == "invscaling":
                    mlp.optimizer.learning_rate = self.learning_rate_init / (self.t_ + 1) ** self.power_t

                if incremental:
                    break
                if self._no_improvement_count > self.n_iter_no_change:
                    if self._stop_or_lower_rate(reporter):
                        break
                    self._no_improvement_count = 0
                elif epoch_index == self.max_iter - 1:
                    warnings.warn(
                        "Stochastic optimizer: maximum iterations (%d) reached and the "
                        "optimization has not converged yet; raise max_iter or tol"
                        % self.max_iter, ConvergenceWarning, stacklevel=3,
                    )
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by the user; the model keeps the weights "
                          "of the last completed batches.", RuntimeWarning, stacklevel=3)
        if early_stopping and best_params is not None:
            mlp.params[...] = best_params

    def _update_no_improvement(self, X_val, Y_val, metrics, early_stopping):
        """Track the best loss or validation score; return True on a new best."""
        if early_stopping:
            score = self._validation_score(X_val, Y_val)
            self.validation_scores_.append(score)
            metrics["val_score"] = score
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                return True
            return False
        loss = self.loss_curve_[-1]
        if loss > self.best_loss_ - self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        if loss < self.best_loss_:
            self.best_loss_ = loss
            return True
        return False

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
            raise NotFittedError(
                "This %s instance is not fitted yet; call 'fit' with appropriate arguments "
                "before using this estimator" % type(self).__name__
            )

    def _check_X(self, X):
        self._check_fitted()
        self._check_feature_names(X, reset=False)
        X = check_array(X, name="X", dtype=self._mlp.dtype)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                "X has %d features, but %s is expecting %d features as input"
                % (X.shape[1], type(self).__name__, self.n_features_in_)
            )
        return X

    @property
    def coefs_(self):
        self._check_fitted()
        return self._mlp.coefs

    @property
    def intercepts_(self):
        self._check_fitted()
        return self._mlp.intercepts

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
        return self._mlp.network.predict(self._mlp.params, X)

    def __sklearn_tags__(self):
        """Describe the estimator to scikit-learn (>= 1.6), which calls this.

        scikit-learn is imported here only, when scikit-learn itself asks.
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
            "loss_curve": [float(v) for v in self.loss_curve_],
            "metadata": metadata or {},
            "fastnn_version": _version(),
            "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
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

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(100,)
        Width of each hidden layer.
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
    solver : {"adam", "sgd"}, default="adam"
    alpha : float, default=0.0001
        L2 penalty; the loss gains 0.5 * alpha * sum(W**2) / batch rows.
    batch_size : int or "auto", default="auto"
        "auto" means min(200, n_samples).
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Schedule of the SGD step size.
    learning_rate_init : float, default=0.001
    power_t : float, default=0.5
        Exponent of the "invscaling" schedule.
    max_iter : int, default=200
        Maximum number of epochs.
    shuffle : bool, default=True
    random_state : int, Generator or None
        Seeds the initial weights, the shuffling and the validation split.
    tol : float, default=1e-4
    verbose : bool, default=False
        Print one line per epoch (a progress bar on a terminal).
    warm_start : bool, default=False
        Continue from the current weights on the next ``fit``.
    momentum : float, default=0.9
    nesterovs_momentum : bool, default=True
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows and stop when the
        validation accuracy stops improving; the best weights are kept.
    validation_fraction : float, default=0.1
    beta_1, beta_2, epsilon : float
        Adam settings (Kingma and Ba, 2015).
    n_iter_no_change : int, default=10
    max_fun : int, default=15000
        Only used by the L-BFGS solver.

    Attributes
    ----------
    classes_ : ndarray
    loss_, best_loss_ : float
    loss_curve_ : list of float
    validation_scores_ : list of float or None
    best_validation_score_ : float or None
    t_ : int
        Training rows seen.
    coefs_, intercepts_ : list of ndarray
        Views into the flat parameter buffer.
    n_features_in_, n_iter_, n_layers_, n_outputs_ : int
    out_activation_ : str

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

    def _output_head(self, Y):
        return "logistic" if self._binary_or_multilabel else "softmax"

    def _encode_targets(self, y, mode, classes=None):
        """Return y as a float target matrix and set classes_.

        mode is None for a fresh fit, "warm_start" (the classes must not
        change) or "partial_fit" (the labels must be among classes_).
        """
        arr = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr.ravel()
        if arr.ndim == 2:
            return self._encode_multilabel(arr, mode)
        if arr.ndim != 1:
            raise ValueError("y must be 1-D class labels or a 2-D indicator matrix, got shape %s"
                             % (arr.shape,))
        if arr.shape[0] == 0:
            raise ValueError("y has no rows; pass one label per row of X")
        if arr.dtype.kind == "f":
            if not np.isfinite(arr).all():
                raise ValueError("y contains NaN or infinite labels; drop or fill those rows")
            if not np.array_equal(arr, np.round(arr)):
                example = arr[arr != np.round(arr)][0].item()
                raise ValueError(
                    "Unknown label type: continuous. y holds non-integer floats such as %r; "
                    "use MLPRegressor for regression or pass class labels" % (example,)
                )

        present = np.unique(arr)
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

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update the model with one epoch over X and y; return self.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), optional
            All the classes that can appear in y. Required on the first call;
            later calls must not pass different classes.
        sample_weight : array-like of shape (n_samples,), optional
        """
        if not self._is_fitted():
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit")
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(
                "classes=%s is not the same as on the first call to partial_fit (%s)"
                % (np.unique(classes).tolist(), self.classes_.tolist())
            )
        return self._partial_fit(X, y, sample_weight, classes=classes)

    def predict_proba(self, X):
        """Return class probabilities of shape (n_samples, n_classes)."""
        P = self._predict_raw(X)
        if P.shape[1] == 1 and not self._multilabel:
            return np.hstack([1 - P, P])
        return P

    def predict_log_proba(self, X):
        """Return the logarithm of ``predict_proba``."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Return the predicted class labels (or the indicator matrix for multilabel)."""
        P = self._predict_raw(X)
        if self._multilabel:
            return (P >= 0.5).astype(np.int64)
        if P.shape[1] == 1:
            return self.classes_[(P[:, 0] >= 0.5).astype(np.intp)]
        return self.classes_[P.argmax(axis=1)]

    def score(self, X, y, sample_weight=None):
        """Return the mean accuracy on X and y."""
        from .metrics import accuracy_score

        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        return float(accuracy_score(y, self.predict(X), **kwargs))

    def _validation_score(self, X_val, Y_val):
        P = self._mlp.network.predict(self._mlp.params, X_val)
        if P.shape[1] == 1 or self._multilabel:
            hits = (P >= 0.5) == (Y_val >= 0.5)
            return float(np.mean(hits.all(axis=1)))
        return float(np.mean(P.argmax(axis=1) == Y_val.argmax(axis=1)))

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

    ``y`` may have several columns (multi-output regression). The
    parameters and attributes are those of ``MLPClassifier``, without
    ``classes_``, plus ``loss``; ``early_stopping`` watches the validation
    R^2 score.

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

    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu", *,
                 solver="adam", alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000):
        super().__init__(
            hidden_layer_sizes, activation, solver=solver, alpha=alpha, batch_size=batch_size,
            learning_rate=learning_rate, learning_rate_init=learning_rate_init,
            power_t=power_t, max_iter=max_iter, shuffle=shuffle, random_state=random_state,
            tol=tol, verbose=verbose, warm_start=warm_start, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
            validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2,
            epsilon=epsilon, n_iter_no_change=n_iter_no_change, max_fun=max_fun,
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
        self._y_1d = arr.ndim == 1
        return arr.reshape(-1, 1) if arr.ndim == 1 else arr

    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one epoch over X and y; return self."""
        return self._partial_fit(X, y, sample_weight)

    def predict(self, X):
        """Return predicted values, shape (n_samples,) or (n_samples, n_outputs)."""
        out = self._predict_raw(X)
        return out[:, 0] if self._y_1d else out

    def score(self, X, y, sample_weight=None):
        """Return the coefficient of determination R^2 on X and y."""
        from .metrics import r2_score

        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        return float(r2_score(y, self.predict(X), **kwargs))

    def _validation_score(self, X_val, Y_val):
        from .metrics import r2_score

        return float(r2_score(Y_val, self._mlp.network.predict(self._mlp.params, X_val)))

    def _document_extra(self):
        return {"y_1d": bool(self._y_1d)}

    def _restore_extra(self, document, path):
        self._y_1d = bool(document.get("y_1d", True))


def estimator_from_document(document, tensors, path):
    """Rebuild a saved MLPClassifier or MLPRegressor."""
    classes = {"MLPClassifier": MLPClassifier, "MLPRegressor": MLPRegressor}
    cls = classes.get(document.get("estimator"))
    if cls is None:
        raise _io.ModelFileError("%s holds an unknown estimator %r" % (path, document.get("estimator")))
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
