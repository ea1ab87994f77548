"""Plots of training and evaluation results, drawn with matplotlib.

matplotlib is imported on the first call, never by ``import fastnn``. Each
``plot_*`` function draws on the Axes ``ax`` when given and returns it.
Without ``ax`` it draws on a new figure that is not registered with pyplot,
so it works without a display. Save a figure with
``ax.figure.savefig("name.png")``, or write every plot of a trained model
with :func:`save_model_plots`.

Example::

    from fastnn import plotting

    ax = plotting.plot_loss_curves(model.history_)
    ax.figure.savefig("loss.png")
"""

import os

import numpy as np

__all__ = [
    "plot_confusion_matrix",
    "plot_decision_boundary",
    "plot_loss_curves",
    "plot_predicted_vs_actual",
    "plot_roc_curve",
    "save_model_plots",
]


def _new_axes(ax, size=(6.0, 4.5)):
    """Return ax, or the Axes of a new pyplot-free figure."""
    if ax is not None:
        return ax
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            "fastnn.plotting needs matplotlib; install it with 'pip install matplotlib'"
        ) from None
    figure = Figure(figsize=size, layout="constrained")
    return figure.add_subplot()


def plot_loss_curves(history, *, best_epoch=None, ax=None):
    """Plot the training loss, and the validation loss when recorded, per epoch.

    Parameters
    ----------
    history : dict or list of float
        A dict with "loss" and optionally "val_loss" lists (``MLP.history``,
        ``TabularModel.history_``), or the list of training losses
        (``MLPClassifier.loss_curve_``).
    best_epoch : int, optional
        Epoch (1-based) to mark, such as the one early stopping kept.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    if not isinstance(history, dict):
        history = {"loss": list(history)}
    ax = _new_axes(ax)
    epochs = np.arange(1, len(history["loss"]) + 1)
    ax.plot(epochs, history["loss"], label="training loss")
    if history.get("val_loss"):
        ax.plot(epochs[: len(history["val_loss"])], history["val_loss"], label="validation loss")
    if best_epoch:
        ax.axvline(best_epoch, color="grey", linestyle="--", linewidth=1,
                   label="kept epoch %d" % best_epoch)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title("Loss per epoch")
    ax.legend()
    return ax


def plot_confusion_matrix(y_true, y_pred, *, labels=None, normalize=False, ax=None):
    """Draw the confusion matrix as a heat map with the count in each cell.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
    labels : array-like, optional
        Row and column order; by default the sorted labels present.
    normalize : bool, default=False
        Show each row as fractions of its true class instead of counts.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    from .metrics import confusion_matrix

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if labels is None:
        labels = np.union1d(y_true, y_pred)
    matrix = confusion_matrix(y_true, y_pred, labels=labels).astype(np.float64)
    if normalize:
        totals = matrix.sum(axis=1, keepdims=True)
        matrix = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
    size = max(4.0, 0.6 * len(labels) + 2.5)
    ax = _new_axes(ax, (size, size * 0.85))
    image = ax.imshow(matrix, cmap="Blues")
    ax.figure.colorbar(image, ax=ax)

    # Counts in each cell, white on dark cells.
    threshold = matrix.max() / 2 if matrix.size else 0
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            text = "%.2f" % matrix[i, j] if normalize else "%d" % matrix[i, j]
            ax.text(j, i, text, ha="center", va="center",
                    color="white" if matrix[i, j] > threshold else "black")
    names = [str(label) for label in np.asarray(labels).tolist()]
    ax.set_xticks(range(len(names)), names, rotation=45 if len(names) > 4 else 0)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("Confusion matrix")
    return ax


def plot_roc_curve(y_true, y_score, *, pos_label=None, ax=None):
    """Plot the ROC curve of a binary classifier, with its area in the legend.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    y_score : array-like of shape (n_samples,)
        Scores or probabilities of the positive class.
    pos_label : object, optional
        The positive class; see :func:`fastnn.metrics.roc_curve`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    from .metrics import roc_curve

    fpr, tpr, _ = roc_curve(y_true, y_score, pos_label=pos_label)
    area = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
    ax = _new_axes(ax, (5.0, 5.0))
    ax.plot(fpr, tpr, label="ROC curve (AUC = %.3f)" % area)
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="chance")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    title = "ROC curve" if pos_label is None else "ROC curve (positive: %s)" % pos_label
    ax.set_title(title)
    ax.legend(loc="lower right")
    return ax


def plot_predicted_vs_actual(y_true, y_pred, *, ax=None):
    """Scatter predicted against actual values, with the line of perfect predictions."""
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.float64).ravel()
    ax = _new_axes(ax, (5.0, 5.0))
    ax.scatter(y_true, y_pred, s=12, alpha=0.6)
    low = float(min(y_true.min(), y_pred.min()))
    high = float(max(y_true.max(), y_pred.max()))
    ax.plot([low, high], [low, high], color="grey", linestyle="--", linewidth=1,
            label="predicted = actual")
    ax.set_xlabel("actual")
    ax.set_ylabel("predicted")
    ax.set_title("Predicted vs actual")
    ax.legend(loc="upper left")
    return ax


def plot_decision_boundary(model, X, y, *, resolution=200, ax=None):
    """Shade a classifier's predictions over the plane of two features, with the data.

    Parameters
    ----------
    model : fitted classifier with ``predict_proba`` and ``classes_``
        A ``TabularModel`` that reads exactly two numeric columns, or a
        model that takes 2-D arrays with two columns (``MLPClassifier``).
    X : Table, DataFrame, dict of columns or array of shape (n_samples, 2)
        The points to draw. For a TabularModel, the two columns are taken
        by name from X.
    y : array-like of shape (n_samples,)
        Their class labels, which color the points.
    resolution : int, default=200
        Grid points along each axis.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ValueError
        When the model does not read exactly two numeric features.
    """
    names, points = _two_features(model, X)
    y = np.asarray(y)
    complete = ~np.isnan(points).any(axis=1)
    points, y = points[complete], y[complete]
    margin = 0.05 * (points.max(axis=0) - points.min(axis=0) + 1e-12)
    low, high = points.min(axis=0) - margin, points.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(low[0], high[0], resolution),
                         np.linspace(low[1], high[1], resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    if names is None:
        proba = model.predict_proba(grid)
    else:
        proba = model.predict_proba({names[0]: grid[:, 0], names[1]: grid[:, 1]})
    proba = np.asarray(proba, dtype=np.float64)
    classes = np.asarray(model.classes_)

    ax = _new_axes(ax)
    if len(classes) == 2:
        shade = ax.contourf(gx, gy, proba[:, 1].reshape(gx.shape), levels=np.linspace(0, 1, 11),
                            cmap="RdBu_r", alpha=0.6)
        ax.contour(gx, gy, proba[:, 1].reshape(gx.shape), levels=[0.5], colors="black",
                   linewidths=1)
        ax.figure.colorbar(shade, ax=ax, label="P(%s)" % classes[1])
    else:
        regions = proba.argmax(axis=1).reshape(gx.shape)
        ax.contourf(gx, gy, regions, levels=np.arange(len(classes) + 1) - 0.5, cmap="tab10",
                    vmin=0, vmax=9, alpha=0.35)

    for position, label in enumerate(classes):
        chosen = y == label
        ax.scatter(points[chosen, 0], points[chosen, 1], s=14, edgecolors="black",
                   linewidths=0.3, color=_class_color(position, len(classes)), label=str(label))
    ax.set_xlabel(names[0] if names else "feature 0")
    ax.set_ylabel(names[1] if names else "feature 1")
    ax.set_title("Decision boundary")
    ax.legend(loc="best")
    return ax


def _class_color(position, n_classes):
    from matplotlib import colormaps

    if n_classes == 2:
        return colormaps["RdBu_r"](0.1 if position == 0 else 0.9)
    return colormaps["tab10"](position / 9)


def _two_features(model, X):
    """Return (column names or None, (n, 2) float array of the points)."""
    preprocessor = getattr(model, "preprocessor_", None)
    if preprocessor is None:
        points = np.asarray(X, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError("a decision boundary needs data with two features, got shape %s"
                             % (points.shape,))
        return None, points
    from ._table import NUMERIC, as_table

    names = list(preprocessor.input_columns_)
    if len(names) != 2 or any(preprocessor.column_types_[n] != NUMERIC for n in names):
        raise ValueError(
            "a decision boundary needs a model that reads two numeric columns; this one reads "
            "%d columns (%s)" % (len(names), ", ".join(
                "%s: %s" % (n, preprocessor.column_types_[n]) for n in names))
        )
    table = as_table(X)
    points = np.column_stack([table.numeric(name) for name in names])
    return names, points


def save_model_plots(model, directory, X=None, y=None):
    """Write the PNG plots that fit a trained TabularModel to a directory.

    The files: ``loss.png`` (training and validation loss) always. With
    labelled rows X and y, a classifier adds ``confusion_matrix.png``, for
    two classes ``roc_curve.png``, and for two numeric input columns
    ``decision_boundary.png``. A regression model adds
    ``predicted_vs_actual.png``.

    Parameters
    ----------
    model : TabularModel
    directory : str or os.PathLike
        Created if absent.
    X : Table, DataFrame or dict of columns, optional
        Labelled rows to evaluate on, such as the test split.
    y : array-like, optional
        Their targets, in the type of the model's labels.

    Returns
    -------
    list of str
        Paths of the files written.
    """
    directory = os.fspath(directory)
    os.makedirs(directory, exist_ok=True)
    written = []

    def save(ax, name):
        path = os.path.join(directory, name)
        ax.figure.savefig(path, dpi=100)
        written.append(path)

    save(plot_loss_curves(model.history_, best_epoch=model.best_epoch_), "loss.png")
    if X is None or y is None:
        return written
    y = np.asarray(y)
    if model.task_ == "regression":
        save(plot_predicted_vs_actual(y, model.predict(X)), "predicted_vs_actual.png")
        return written

    proba = model.predict_proba(X)
    predicted = model.labels_from_proba(proba)
    labels = np.union1d(model.classes_, y)
    save(plot_confusion_matrix(y, predicted, labels=labels), "confusion_matrix.png")
    present = np.unique(y)
    if len(model.classes_) == 2 and len(present) == 2 and np.isin(present, model.classes_).all():
        positive = model.positive_label_
        column = int(np.flatnonzero(model.classes_ == positive)[0])
        save(plot_roc_curve(y, proba[:, column], pos_label=positive), "roc_curve.png")
    try:
        save(plot_decision_boundary(model, X, y), "decision_boundary.png")
    except ValueError:
        pass  # not two numeric features
    return written
