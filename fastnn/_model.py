"""TabularModel: table preprocessing and a network in one object and one model file.

The network is a ``fastnn.MLP`` trained by the epoch loop below, with early
stopping on the loss of a held-out validation split. The model file stores
the network's tensors in the safetensors layout. Everything else (the
preprocessing state, class labels, target scaling, training history,
metrics) goes into the JSON document beside them, as ``fastnn._io`` writes it.
"""

import math
import time
import warnings

import numpy as np

from . import _core, _io
from ._base import ParamsMixin
from ._estimators import _json_params, _version
from ._network import MLP
from ._progress import EpochReporter
from ._table import (
    BOOLEAN,
    DEFAULT_NA_VALUES,
    NUMERIC,
    DataError,
    Table,
    as_table,
    column_from_values,
    describe_names,
    parse_boolean,
)
from ._table_preprocessor import TablePreprocessor
from ._validation import NotFittedError, check_choice, check_float, check_int

MODEL_KIND = "TabularModel"
# Version of the JSON document that TabularModel writes. A file with a
# higher number was written by a newer fastnn.
MODEL_VERSION = 1
TASKS = ("auto", "classification", "regression")

# With task="auto", a numeric target of whole numbers with at most this many
# distinct values is read as class labels. Any other numeric target is a
# regression target.
MAX_AUTO_CLASSES = 10


class TabularModel(ParamsMixin):
    """A classifier or regressor that takes raw table rows.

    ``fit`` learns a :class:`fastnn.preprocessing.TablePreprocessor` on the
    training rows, then trains a ``fastnn.MLP`` on the encoded rows with
    Adam. It holds out ``validation_fraction`` of them and stops early when
    their loss stops improving, keeping the weights of the best epoch.
    ``predict`` and ``predict_proba`` take raw rows (a Table, DataFrame or
    dict of columns), and ``save`` writes preprocessing and network to one
    model file.

    Parameters
    ----------
    task : {"auto", "classification", "regression"}, default="auto"
        "auto" picks classification for a categorical or boolean target and
        for whole numbers with at most 10 distinct values, regression
        otherwise.
    hidden_layer_sizes : tuple of int, default=(64,)
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
    epochs : int, default=200
        Maximum number of passes over the training rows.
    batch_size : int or "auto", default="auto"
        "auto" means min(200, training rows).
    learning_rate : float, default=0.001
        Adam step size.
    alpha : float, default=0.0001
        L2 penalty on the weights.
    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the training rows (stratified by
        class when possible) and stop when their loss has not improved by
        ``tol`` for ``n_iter_no_change`` epochs. Without it, or with too few
        rows for a split, training stops when the training loss stops
        improving.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=10
    tol : float, default=0.0001
    dtype : {"float32", "float64"}, default="float32"
        Precision of the network.
    positive_label : object, optional
        For binary classification, the class that precision, recall and F1
        score as positive. By default: the true word of a boolean target,
        1 for 0/1 labels, else the less frequent class in training.
    preprocessor : TablePreprocessor, optional
        Unfitted template of the preprocessing; ``fit`` fits a copy. By
        default ``TablePreprocessor()``.
    random_state : int or None
        Seeds the validation split, the initial weights and the shuffling.
    verbose : bool, default=False
        Print one line per epoch to stdout (a progress bar on a terminal).

    Attributes
    ----------
    task_ : {"classification", "regression"}
    target_name_ : str
    classes_ : ndarray
        Class labels as given (strings stay strings), sorted.
    positive_label_ : object or None
    preprocessor_ : TablePreprocessor
    network_ : fastnn.MLP
    history_ : dict of str to list of float
        Per epoch: "loss", and with a validation split "val_loss" (and
        "val_accuracy" for classification).
    best_epoch_ : int
        The epoch whose weights were kept.
    n_epochs_ : int
        Epochs run.
    feature_names_in_ : list of str
        Input columns the model reads.
    metrics_ : dict
        Metrics stored with the model, for example those on a test split.

    Examples
    --------
    >>> import numpy as np
    >>> from fastnn.tabular import TabularModel
    >>> rng = np.random.default_rng(0)
    >>> income = rng.normal(50, 10, 300)
    >>> grade = rng.choice(["A", "B", "C"], 300)
    >>> default = np.where(income + 15 * (grade == "C") > 60, "yes", "no")
    >>> data = {"income": income, "grade": grade, "default": default}
    >>> model = TabularModel(random_state=0).fit(data, target="default")
    >>> model.predict({"income": [30.0, 58.0], "grade": ["A", "C"]})
    array(['no', 'yes'], dtype='<U3')
    """

    def __init__(self, task="auto", hidden_layer_sizes=(64,), activation="relu", *,
                 epochs=200, batch_size="auto", learning_rate=1e-3, alpha=1e-4,
                 early_stopping=True, validation_fraction=0.1, n_iter_no_change=10, tol=1e-4,
                 dtype="float32", positive_label=None, preprocessor=None, random_state=None,
                 verbose=False):
        self.task = task
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.alpha = alpha
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.dtype = dtype
        self.positive_label = positive_label
        self.preprocessor = preprocessor
        self.random_state = random_state
        self.verbose = verbose

    @property
    def _estimator_type(self):
        """Estimator kind for cross-validation helpers: "classifier", "regressor" or None.

        None means task="auto" before ``fit`` has decided.
        """
        task = getattr(self, "task_", self.task)
        return {"classification": "classifier", "regression": "regressor"}.get(task)

    # ---- fit -----------------------------------------------------------------

    def fit(self, data, y=None, *, target=None):
        """Fit the preprocessing and train the network.

        Parameters
        ----------
        data : Table, DataFrame, dict of columns or 2-D array
            Training rows.
        y : array-like of shape (n_rows,), optional
            Targets, when they are not a column of ``data``.
        target : str, optional
            Name of the target column of ``data``; the other columns are
            the features.

        Returns
        -------
        self : TabularModel

        Raises
        ------
        DataError
            When the target column is absent, has a single class
            (classification) or non-numbers (regression), or a feature
            column cannot be read.
        NonFiniteLossError
            When training diverges.

        Warns
        -----
        UserWarning
            When rows with a missing target are dropped.
        """
        hidden = self._check_params()
        features, y_table, target_name = self._split_target(data, y, target)
        self.target_name_ = target_name
        self.target_type_ = y_table.type_of(target_name)
        self.task_ = self._infer_task(y_table, target_name)
        labels, present = self._read_labels(y_table, target_name, training=True)
        if not present.all():
            warnings.warn(
                "%s: dropped %d row%s whose target %r is missing"
                % (y_table.source, (~present).sum(), "" if (~present).sum() == 1 else "s",
                   target_name),
                UserWarning, stacklevel=2,
            )
            features = features.take(np.flatnonzero(present))
            labels = labels[present]
        if len(labels) == 0:
            raise DataError("%s has no rows with a target value" % y_table.source,
                            source=y_table.source, column=target_name)

        targets = self._encode_labels(labels, y_table.source)
        self.preprocessor_ = _fresh_preprocessor(self.preprocessor)
        self.preprocessor_.fit(features)
        X = self.preprocessor_.transform(features)
        self.feature_names_in_ = list(self.preprocessor_.input_columns_)

        start = time.perf_counter()
        self.network_ = self._build_network(X.shape[1], hidden)
        X = np.ascontiguousarray(X, dtype=self.network_.dtype)
        self._train(X, targets, labels)
        self.fit_seconds_ = time.perf_counter() - start
        self.n_train_ = int(X.shape[0])
        self.metrics_ = {}
        return self

    def _check_params(self):
        check_choice(self.task, "task", TASKS)
        hidden = self.hidden_layer_sizes
        if isinstance(hidden, (int, np.integer)) and not isinstance(hidden, bool):
            hidden = (hidden,)
        hidden = tuple(hidden)
        for i, size in enumerate(hidden):
            check_int(size, "hidden_layer_sizes[%d]" % i, low=1)
        check_choice(self.activation, "activation", ("identity", "logistic", "tanh", "relu"))
        check_int(self.epochs, "epochs", low=1)
        if self.batch_size != "auto":
            check_int(self.batch_size, "batch_size", low=1)
        check_float(self.learning_rate, "learning_rate", low=0, low_open=True)
        check_float(self.alpha, "alpha", low=0)
        check_float(self.validation_fraction, "validation_fraction", 0, 1, True, True)
        check_int(self.n_iter_no_change, "n_iter_no_change", low=1)
        check_float(self.tol, "tol", low=0)
        check_choice(str(np.dtype(self.dtype)), "dtype", ("float32", "float64"))
        if self.preprocessor is not None and not isinstance(self.preprocessor, TablePreprocessor):
            raise TypeError("preprocessor must be a TablePreprocessor or None, got %r"
                            % (self.preprocessor,))
        return hidden

    def _split_target(self, data, y, target):
        table = as_table(data)
        if target is not None:
            if y is not None:
                raise ValueError("pass either y or target, not both")
            if target not in table:
                raise DataError(
                    "%s has no column %r to use as the target; its columns are: %s"
                    % (table.source, target, describe_names(table.columns)),
                    source=table.source, column=target,
                )
            return table.drop([target]), table.select([target]), target
        if y is None:
            raise ValueError("pass the targets, as y or as target='<column name>'")
        name = getattr(y, "name", None)
        name = name if isinstance(name, str) and name else "target"
        values = column_from_values(y, name, DEFAULT_NA_VALUES)
        if len(values) != table.n_rows:
            raise ValueError("y has %d values but the data has %d rows"
                             % (len(values), table.n_rows))
        y_table = Table({name: values}, source=table.source, lines=table._lines,
                        index=table._index, decimal=table.decimal)
        return table, y_table, name

    def _infer_task(self, y_table, name):
        return infer_task(y_table, name, self.task)

    def _read_labels(self, y_table, name, training):
        """Return (labels, mask of present values) of the target column.

        Classification labels keep the type of the training labels: strings
        for a text column, int64 for whole numbers, float64 otherwise.
        """
        if self.task_ == "regression":
            values = y_table.numeric(name)
            return values, ~np.isnan(values)
        if training:
            as_numbers = y_table.type_of(name) == NUMERIC
            as_integers = True
        else:
            as_numbers = self.classes_.dtype.kind in "iuf"
            as_integers = self.classes_.dtype.kind in "iu"
        if as_numbers:
            values = y_table.numeric(name)
            present = ~np.isnan(values)
            present_values = values[present]
            if as_integers and np.all(present_values == np.round(present_values)):
                values = np.where(present, values, 0).astype(np.int64)
            return values, present
        texts = y_table.text(name)
        present = np.array([v is not None for v in texts], dtype=bool)
        return np.array(["" if v is None else v for v in texts], dtype=str), present

    def _encode_labels(self, labels, source):
        """Set classes_ (or the target scaling) and return the network targets."""
        if self.task_ == "regression":
            self.classes_ = None
            self.positive_label_ = None
            self._target_mean = float(np.mean(labels))
            std = float(np.std(labels))
            self._target_scale = std if std > 0 else 1.0
            return (labels - self._target_mean) / self._target_scale

        self.classes_, indices, counts = np.unique(labels, return_inverse=True,
                                                   return_counts=True)
        if len(self.classes_) < 2:
            raise DataError(
                "%s: the target %r has only one class (%r); a classifier needs at least two"
                % (source, self.target_name_, self.classes_[0].item()),
                source=source, column=self.target_name_,
            )
        self._target_mean = self._target_scale = None
        self.positive_label_ = self._choose_positive(counts) if len(self.classes_) == 2 else None
        if len(self.classes_) == 2:
            return indices.astype(np.float64).reshape(-1, 1)
        return indices.astype(np.float64)

    def _choose_positive(self, counts):
        classes = self.classes_
        if self.positive_label is not None:
            for label in classes:
                if label == self.positive_label or str(label) == str(self.positive_label):
                    return label.item()
            raise DataError("positive_label=%r is not one of the classes %s"
                            % (self.positive_label, classes.tolist()), column=self.target_name_)
        if self.target_type_ == BOOLEAN:
            for label in classes:
                if parse_boolean(str(label)) == 1.0:
                    return label.item()
        if classes.dtype.kind in "iuf" and set(classes.tolist()) == {0, 1}:
            return classes[1].item()
        # The rarer class is usually the finding (default, fraud, disease).
        return classes[0].item() if counts[0] < counts[1] else classes[1].item()

    def _build_network(self, n_features, hidden):
        if self.task_ == "regression":
            n_outputs, output = 1, "identity"
        elif len(self.classes_) == 2:
            n_outputs, output = 1, "logistic"
        else:
            n_outputs, output = len(self.classes_), "softmax"
        return MLP([n_features, *hidden, n_outputs], self.activation, output,
                   dtype=str(np.dtype(self.dtype)), random_state=self.random_state)

    # ---- training loop -------------------------------------------------------

    def _train(self, X, targets, labels):
        net = self.network_
        train_rows, val_rows = self._validation_split(len(X), labels)
        Y = net.encode_targets(targets)
        X_train, Y_train = X[train_rows], Y[train_rows]
        validation = None
        if val_rows is not None:
            validation = (np.ascontiguousarray(X[val_rows]), np.ascontiguousarray(Y[val_rows]))
        self.n_validation_ = 0 if val_rows is None else int(len(val_rows))

        n = len(X_train)
        batch_size = min(200, n) if self.batch_size == "auto" else min(self.batch_size, n)
        net.configure_optimizer("adam", self.learning_rate)
        reporter = EpochReporter(self.epochs, enabled=bool(self.verbose))
        history = {"loss": []}
        best_loss, best_params, best_epoch, stale = math.inf, None, 0, 0
        monitor = "val_loss" if validation is not None else "loss"

        for epoch in range(1, self.epochs + 1):
            reporter.start_epoch(epoch)
            try:
                loss = net.train_epoch(X_train, Y_train, batch_size, None, self.alpha, True,
                                       reporter)
            except _core.NonFiniteLossError:
                raise _core.NonFiniteLossError(
                    "training diverged in epoch %d: the loss became NaN or infinite; lower "
                    "the learning rate (now %g)" % (epoch, self.learning_rate)
                ) from None
            history["loss"].append(float(loss))
            metrics = {"loss": float(loss)}
            if validation is not None:
                metrics.update({key: float(value)
                                for key, value in net.evaluate(*validation).items()})
                for key, value in metrics.items():
                    if key != "loss":
                        history.setdefault(key, []).append(value)

            # Stop when the monitored loss has not improved by tol for n_iter_no_change epochs.
            current = metrics[monitor]
            if current < best_loss - self.tol:
                stale = 0
            else:
                stale += 1
            if current < best_loss:
                best_loss, best_epoch = current, epoch
                best_params = net.params.copy()
            reporter.end_epoch(metrics)
            if stale >= self.n_iter_no_change:
                reporter.message(
                    "stopping: %s has not improved by %g for %d epochs; keeping the weights "
                    "of epoch %d (%s %.6f)"
                    % (monitor, self.tol, self.n_iter_no_change, best_epoch, monitor, best_loss)
                )
                break

        if best_params is not None:
            net.params[...] = best_params
        self.history_ = history
        self.best_epoch_ = best_epoch
        self.n_epochs_ = len(history["loss"])
        self.stopped_early_ = self.n_epochs_ < self.epochs

    def _validation_split(self, n, labels):
        """Return (training row positions, validation row positions or None)."""
        from .model_selection import train_test_split

        everything = np.arange(n)
        if not self.early_stopping:
            return everything, None
        n_val = int(round(self.validation_fraction * n))
        if n_val < 1 or n - n_val < 2:
            warnings.warn(
                "%d training rows are too few to hold out validation_fraction=%g for early "
                "stopping; training stops when the training loss stops improving"
                % (n, self.validation_fraction), UserWarning, stacklevel=4,
            )
            return everything, None
        stratify = labels if self.task_ == "classification" else None
        try:
            train, val = train_test_split(everything, test_size=n_val,
                                          random_state=self.random_state, stratify=stratify)
        except ValueError:
            # Classes too small to stratify: an unstratified split still works.
            train, val = train_test_split(everything, test_size=n_val,
                                          random_state=self.random_state)
        return np.sort(train), np.sort(val)

    # ---- prediction ---------------------------------------------------------------

    def transform(self, data):
        """Return the preprocessed features of raw rows, in the network's dtype."""
        self._check_fitted()
        X = self.preprocessor_.transform(data)
        return np.ascontiguousarray(X, dtype=self.network_.dtype)

    def predict_proba(self, data):
        """Return class probabilities of shape (n_rows, n_classes), columns as classes_.

        Raises
        ------
        AttributeError
            For a regression model.
        """
        self._check_fitted()
        if self.task_ != "classification":
            raise AttributeError("predict_proba is only available for classification models; "
                                 "this model does regression")
        P = self.network_.predict_proba(self.transform(data))
        if len(self.classes_) == 2:
            return np.hstack([1 - P, P])
        return P

    def predict(self, data):
        """Return class labels (classification) or values (regression) for raw rows."""
        self._check_fitted()
        if self.task_ == "regression":
            out = self.network_.predict_proba(self.transform(data))
            return out[:, 0].astype(np.float64) * self._target_scale + self._target_mean
        return self.labels_from_proba(self.predict_proba(data))

    def labels_from_proba(self, proba):
        """Return the class labels that ``predict`` gives for ``predict_proba`` output.

        Two classes: the second when its probability is at least 0.5. More
        classes: the class of maximum probability, the first one on a tie.
        """
        proba = np.asarray(proba)
        if len(self.classes_) == 2:
            return self.classes_[(proba[:, 1] >= 0.5).astype(np.intp)]
        return self.classes_[proba.argmax(axis=1)]

    def score(self, data, y=None, *, target=None):
        """Return the accuracy (classification) or R^2 (regression) on labelled rows."""
        result = self.evaluate(data, y, target=target)
        return result["accuracy"] if self.task_ == "classification" else result["r2"]

    def evaluate(self, data, y=None, *, target=None):
        """Compute metrics on labelled rows.

        Parameters
        ----------
        data : Table, DataFrame, dict of columns or 2-D array
        y : array-like, optional
            Targets, when they are not a column of ``data``.
        target : str, optional
            Target column; by default the one the model was trained on.

        Returns
        -------
        dict
            Classification: n, accuracy, balanced_accuracy, precision,
            recall, f1 (binary for ``positive_label_``, else macro
            averages), f1_weighted, roc_auc and log_loss (None where
            undefined, for example with a class absent from the rows),
            labels and confusion_matrix. Regression: n, mse, rmse, mae, r2.

        Raises
        ------
        DataError
            When the target column is absent or no row has a target.
        """
        self._check_fitted()
        if y is None and target is None:
            target = self.target_name_
        features, y_table, name = self._split_target(data, y, target)
        # Missing input columns are the likelier mistake (a file for another
        # model); name them before any complaint about the target's values.
        self.preprocessor_._check_columns(features)
        labels, present = self._read_labels(y_table, name, training=False)
        if not present.any():
            raise DataError("%s has no rows with a value in the target column %r"
                            % (y_table.source, name), source=y_table.source, column=name)
        if not present.all():
            warnings.warn("%s: left out %d rows whose target %r is missing"
                          % (y_table.source, (~present).sum(), name), UserWarning, stacklevel=2)
            features = features.take(np.flatnonzero(present))
            labels = labels[present]
        if self.task_ == "regression":
            return _regression_metrics(labels, self.predict(features))
        proba = self.predict_proba(features)
        predicted = self.labels_from_proba(proba)
        return _classification_metrics(labels, predicted, proba, self.classes_,
                                       self.positive_label_)

    def _check_fitted(self):
        if getattr(self, "network_", None) is None:
            raise NotFittedError("This TabularModel is not fitted yet; call fit(data, "
                                 "target=...) first or load a saved model")

    # ---- model file --------------------------------------------------------------

    def save(self, path, metrics=None, metadata=None):
        """Write preprocessing, network and labels to one model file, atomically.

        Parameters
        ----------
        path : str or os.PathLike
        metrics : dict, optional
            JSON-serialisable metrics to store, such as test-split results;
            by default ``metrics_``.
        metadata : dict, optional
            Any other JSON-serialisable notes.
        """
        self._check_fitted()
        if metrics is not None:
            self.metrics_ = metrics
        params = self.get_params(deep=False)
        params.pop("preprocessor")
        document = {
            "estimator": MODEL_KIND,
            "model_version": MODEL_VERSION,
            "params": _json_params(params),
            "task": self.task_,
            "target": self._target_document(),
            "network": _network_description(self.network_),
            "preprocessing": self.preprocessor_.to_dict(),
            "training": {
                "n_train": self.n_train_,
                "n_validation": self.n_validation_,
                "epochs_run": self.n_epochs_,
                "best_epoch": self.best_epoch_,
                "stopped_early": bool(self.stopped_early_),
                "seconds": round(float(self.fit_seconds_), 4),
                "history": self.history_,
            },
            "metrics": self.metrics_,
            "metadata": metadata or {},
            "fastnn_version": _version(),
            "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        _io.write_model(path, _network_tensors(self.network_), document)

    def _target_document(self):
        target = {"name": self.target_name_, "type": self.target_type_}
        if self.task_ == "regression":
            target.update(mean=self._target_mean, scale=self._target_scale)
        else:
            target.update(classes=self.classes_.tolist(), classes_dtype=self.classes_.dtype.str,
                          positive_label=self.positive_label_)
        return target

    @classmethod
    def load(cls, path):
        """Read a model file written by ``save``.

        Raises
        ------
        FileNotFoundError
        ModelFileError
            When the file is damaged, not a fastnn model, contains a
            different kind of model, or was written by a newer fastnn.
        """
        tensors, document = _io.read_model(path)
        return cls._from_document(document, tensors, path)

    @classmethod
    def _from_document(cls, document, tensors, path):
        kind = document.get("estimator")
        if kind != MODEL_KIND:
            raise _io.ModelFileError(
                "%s contains %s, not a TabularModel; load it with fastnn.load"
                % (path, "an " + kind if kind else "a bare network")
            )
        version = document.get("model_version")
        if not isinstance(version, int) or version > MODEL_VERSION:
            raise _io.ModelFileError(
                "%s contains a TabularModel of version %r, newer than this fastnn reads (%d); "
                "upgrade fastnn to load it" % (path, version, MODEL_VERSION)
            )
        try:
            params = dict(document["params"])
            if isinstance(params.get("hidden_layer_sizes"), list):
                params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
            model = cls(**params)
            model.task_ = document["task"]
            target = document["target"]
            model.target_name_ = target["name"]
            model.target_type_ = target["type"]
            if model.task_ == "regression":
                model.classes_ = model.positive_label_ = None
                model._target_mean = float(target["mean"])
                model._target_scale = float(target["scale"])
            else:
                model.classes_ = np.array(target["classes"], dtype=np.dtype(target["classes_dtype"]))
                model.positive_label_ = target["positive_label"]
                model._target_mean = model._target_scale = None
            model.preprocessor_ = TablePreprocessor.from_dict(document["preprocessing"])
            training = document["training"]
            model.n_train_ = int(training["n_train"])
            model.n_validation_ = int(training["n_validation"])
            model.n_epochs_ = int(training["epochs_run"])
            model.best_epoch_ = int(training["best_epoch"])
            model.stopped_early_ = bool(training["stopped_early"])
            model.fit_seconds_ = float(training["seconds"])
            model.history_ = {key: list(values) for key, values in training["history"].items()}
        except (KeyError, TypeError, ValueError) as exc:
            raise _io.ModelFileError("%s: the model description is incomplete or invalid (%s)"
                                     % (path, exc)) from None
        model.network_ = _network_from_file(document.get("network", {}), tensors, path)
        if model.network_.layer_sizes[0] != model.preprocessor_.n_features_out_:
            raise _io.ModelFileError(
                "%s is inconsistent: the network takes %d features but the preprocessing "
                "produces %d" % (path, model.network_.layer_sizes[0],
                                 model.preprocessor_.n_features_out_)
            )
        model.feature_names_in_ = list(model.preprocessor_.input_columns_)
        model.metrics_ = document.get("metrics", {})
        model.metadata = document.get("metadata", {})
        return model


def infer_task(table, target, task="auto"):
    """Return "classification" or "regression" for a target column of a table.

    An explicit ``task`` wins. Otherwise text and boolean targets are
    classes, and so are whole numbers with at most ``MAX_AUTO_CLASSES``
    distinct values; other numbers are a regression target.
    """
    if task != "auto":
        return task
    if table.type_of(target) != NUMERIC:
        return "classification"
    values = table.numeric(target)
    present = values[~np.isnan(values)]
    whole = np.all(present == np.round(present))
    if whole and len(np.unique(present)) <= MAX_AUTO_CLASSES:
        return "classification"
    return "regression"


# ---- the network's file format ------------------------------------------------------
# The only places that reach into MLP's private save/load helpers.


def _network_tensors(net):
    return net._tensors()


def _network_description(net):
    return net._description()


def _network_from_file(description, tensors, path):
    return MLP._from_description(description, tensors, path)


# ---- helpers ---------------------------------------------------------------------------


def _fresh_preprocessor(template):
    if template is None:
        return TablePreprocessor()
    return TablePreprocessor(**template.get_params(deep=False))


def _classification_metrics(y_true, y_pred, proba, classes, positive_label):
    from . import metrics

    binary = len(classes) == 2
    options = {"average": "binary", "pos_label": positive_label} if binary else {"average": "macro"}
    present = np.unique(y_true)
    known = np.isin(present, classes).all()
    result = {
        "n": int(len(y_true)),
        "accuracy": metrics.accuracy_score(y_true, y_pred),
        "balanced_accuracy": metrics.balanced_accuracy_score(y_true, y_pred),
        "precision": metrics.precision_score(y_true, y_pred, **options),
        "recall": metrics.recall_score(y_true, y_pred, **options),
        "f1": metrics.f1_score(y_true, y_pred, **options),
        "f1_weighted": metrics.f1_score(y_true, y_pred, average="weighted"),
        "average": "binary" if binary else "macro",
        "positive_label": positive_label,
        "roc_auc": None,
        "log_loss": None,
    }
    # The probabilities stay in the network's dtype, so that log_loss checks
    # their row sums with that dtype's tolerance.
    if known and len(present) == len(classes):
        scores = proba[:, 1] if binary else proba
        result["roc_auc"] = metrics.roc_auc_score(y_true, scores, labels=None if binary else classes)
    if known:
        result["log_loss"] = metrics.log_loss(y_true, proba, labels=classes)
    labels = np.union1d(classes, present)
    result["labels"] = labels.tolist()
    result["confusion_matrix"] = metrics.confusion_matrix(y_true, y_pred, labels=labels).tolist()
    return result


def _regression_metrics(y_true, y_pred):
    from . import metrics

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        r2 = metrics.r2_score(y_true, y_pred)
    mse = metrics.mean_squared_error(y_true, y_pred)
    return {
        "n": int(len(y_true)),
        "mse": mse,
        "rmse": math.sqrt(mse),
        "mae": metrics.mean_absolute_error(y_true, y_pred),
        "r2": None if math.isnan(r2) else r2,
    }
