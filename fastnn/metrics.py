"""Classification and regression metrics.

The functions follow the definitions and argument conventions of
scikit-learn's metrics of the same names (checked against version 1.9.1),
for 1-D label vectors of numbers or strings. Of the multilabel indicator
matrices, only ``accuracy_score`` accepts them.
"""

import numbers
import warnings

import numpy as np

__all__ = [
    "accuracy_score",
    "balanced_accuracy_score",
    "classification_report",
    "confusion_matrix",
    "f1_score",
    "log_loss",
    "mean_absolute_error",
    "mean_squared_error",
    "precision_score",
    "r2_score",
    "recall_score",
    "roc_auc_score",
    "roc_curve",
    "root_mean_squared_error",
]

_AVERAGES = ("binary", "macro", "weighted", "micro")


# ---------------------------------------------------------------------------
# Input validation
# ---------------------------------------------------------------------------


def _as_label_array(y, name):
    """Convert a label vector to a 1-D array and return it with its kind.

    The kind is "string" or "number". Floats must hold whole numbers,
    because fractional values mean a regression target was passed.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D array of labels, got an array of shape "
            f"{y.shape}. Pass a flat vector, for example {name}.ravel()."
        )
    if y.size == 0:
        raise ValueError(f"{name} is empty. Pass at least one sample.")

    # An object array may hold Python numbers: store them as a numeric array.
    if y.dtype.kind == "O":
        is_string = [isinstance(value, str) for value in y]
        if all(is_string):
            return y, "string"
        if any(is_string):
            raise ValueError(
                f"{name} mixes strings and other values. Use labels of one type."
            )
        if not all(isinstance(value, numbers.Number) for value in y):
            raise TypeError(
                f"{name} contains values that are neither numbers nor strings, "
                f"for example {y[0]!r}."
            )
        y = np.array(y.tolist())

    kind = y.dtype.kind
    if kind in "US":
        return y, "string"
    if kind in "biu":
        return y, "number"
    if kind == "f":
        if not np.all(np.isfinite(y)):
            raise ValueError(f"{name} contains NaN or infinity.")
        if np.any(y != np.round(y)):
            raise ValueError(
                f"{name} contains non-integer floats such as "
                f"{_plain(y[y != np.round(y)][0])!r}. Classification metrics need class "
                "labels, not continuous values."
            )
        return y, "number"
    raise TypeError(f"{name} has unsupported dtype {y.dtype}. Pass numbers or strings.")


def _check_targets(y_true, y_pred):
    """Validate a pair of label vectors.

    Returns
    -------
    y_true, y_pred : ndarray
    present : ndarray
        Sorted distinct labels found in either vector.
    kind : {"string", "number"}
    """
    y_true, true_kind = _as_label_array(y_true, "y_true")
    y_pred, pred_kind = _as_label_array(y_pred, "y_pred")
    _check_same_length(y_true, y_pred, "y_pred")
    if true_kind != pred_kind:
        raise ValueError(
            f"y_true contains {true_kind}s and y_pred contains {pred_kind}s. "
            "Both must use the same label type."
        )

    present = np.unique(np.concatenate([y_true, y_pred]))
    return y_true, y_pred, present, true_kind


def _check_same_length(y_true, other, other_name):
    if len(y_true) != len(other):
        raise ValueError(
            f"y_true and {other_name} have different lengths: {len(y_true)} and "
            f"{len(other)}. Pass one entry per sample in each."
        )


def _check_labels_argument(labels, kind):
    """Validate the ``labels`` argument against the kind of the targets."""
    labels, labels_kind = _as_label_array(labels, "labels")
    if labels_kind != kind:
        raise ValueError(
            f"labels contains {labels_kind}s but the targets contain {kind}s. "
            "Use labels of the same type as y_true."
        )
    if len(np.unique(labels)) != len(labels):
        raise ValueError(f"labels contains duplicates: {labels.tolist()!r}.")
    return labels


def _check_zero_division(zero_division):
    is_number = isinstance(zero_division, numbers.Real) and not isinstance(
        zero_division, bool
    )
    if is_number and (np.isnan(zero_division) or zero_division in (0, 1)):
        return float(zero_division)
    raise ValueError(
        f"zero_division must be 0.0, 1.0 or np.nan, got {zero_division!r}."
    )


def _check_finite_scores(values, name, dtype=np.float64):
    """Convert scores or probabilities to a float array and reject NaN and inf."""
    try:
        values = np.asarray(values, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must contain numbers: {error}") from None
    if values.size == 0:
        raise ValueError(f"{name} is empty. Pass at least one sample.")
    if not np.all(np.isfinite(values)):
        raise ValueError(
            f"{name} contains NaN or infinity. Check the model that produced it."
        )
    return values


def _check_sample_weight(sample_weight, n_samples):
    """Return None or a validated float64 vector of per-sample weights."""
    if sample_weight is None:
        return None
    weights = _check_finite_scores(sample_weight, "sample_weight")
    if weights.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), one weight per "
            f"sample, got shape {weights.shape}."
        )
    if np.any(weights < 0) or weights.sum() == 0:
        raise ValueError(
            "sample_weight must be non-negative with a positive sum, got "
            f"values from {weights.min()} to {weights.max()} summing to "
            f"{weights.sum()}."
        )
    return weights


# ---------------------------------------------------------------------------
# Counting
# ---------------------------------------------------------------------------


def _encode(values, labels):
    """Map each value to its position in ``labels``.

    Returns the positions and a mask of the values found in ``labels``.
    ``labels`` may be in any order.
    """
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]

    # searchsorted returns len(labels) for values beyond the last label.
    positions = np.searchsorted(sorted_labels, values)
    positions = np.minimum(positions, len(labels) - 1)
    found = sorted_labels[positions] == values
    return order[positions], found


def _label_counts(y_true, y_pred, labels, weights):
    """Count true positives, predictions and true samples for each label.

    With ``weights``, each sample counts as its weight instead of 1.
    """
    n_labels = len(labels)
    true_codes, true_found = _encode(y_true, labels)
    pred_codes, pred_found = _encode(y_pred, labels)
    hit = true_found & pred_found & (true_codes == pred_codes)

    counts = []
    for codes, mask in ((true_codes, hit), (pred_codes, pred_found), (true_codes, true_found)):
        mask_weights = None if weights is None else weights[mask]
        counts.append(np.bincount(codes[mask], mask_weights, minlength=n_labels))
    tp, pred_sum, true_sum = counts
    return tp, pred_sum, true_sum


def _divide(numerator, denominator, zero_division):
    """Elementwise ratio that is ``zero_division`` where the denominator is 0."""
    result = np.full(len(numerator), zero_division, dtype=np.float64)
    nonzero = denominator != 0
    result[nonzero] = numerator[nonzero] / denominator[nonzero]
    return result


def _nan_average(values, weights=None):
    """Average ignoring NaN entries. Zero total weight falls back to the mean."""
    keep = ~np.isnan(values)
    if not np.any(keep):
        return float("nan")
    values = values[keep]
    if weights is not None:
        weights = weights[keep]
        if weights.sum() > 0:
            return float(np.average(values, weights=weights))
    return float(np.mean(values))


# ---------------------------------------------------------------------------
# Label-based classification metrics
# ---------------------------------------------------------------------------


def confusion_matrix(y_true, y_pred, labels=None, *, sample_weight=None):
    """Count the samples of each (true label, predicted label) pair.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels, numbers or strings.
    y_pred : array-like of shape (n_samples,)
        Predicted labels, of the same type as ``y_true``.
    labels : array-like of shape (n_labels,), default=None
        Labels that index the rows and columns, in this order. Samples whose
        true or predicted label is not listed are left out. By default, the
        sorted labels found in ``y_true`` or ``y_pred``.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each sample. By default, every sample counts 1.

    Returns
    -------
    matrix : ndarray of shape (n_labels, n_labels)
        ``matrix[i, j]`` is the number of samples with true label
        ``labels[i]`` that were predicted as ``labels[j]``, as int64, or
        their total weight as float64 when ``sample_weight`` is given.

    Raises
    ------
    ValueError
        If the inputs differ in length, are empty, mix label types, or if
        none of ``labels`` occurs in ``y_true``.

    Examples
    --------
    >>> from fastnn.metrics import confusion_matrix
    >>> confusion_matrix(["cat", "dog", "dog"], ["cat", "cat", "dog"])
    array([[1, 0],
           [1, 1]])
    """
    y_true, y_pred, present, kind = _check_targets(y_true, y_pred)
    weights = _check_sample_weight(sample_weight, len(y_true))
    if labels is None:
        labels = present
    else:
        labels = _check_labels_argument(labels, kind)
        if not np.any(_encode(y_true, labels)[1]):
            raise ValueError(
                f"None of labels={labels.tolist()!r} occurs in y_true. Pass at "
                "least one label that y_true contains."
            )

    # Drop samples with an unlisted label, then count each (row, column) cell.
    n_labels = len(labels)
    true_codes, true_found = _encode(y_true, labels)
    pred_codes, pred_found = _encode(y_pred, labels)
    keep = true_found & pred_found
    cells = true_codes[keep] * n_labels + pred_codes[keep]
    if weights is None:
        counts = np.bincount(cells, minlength=n_labels * n_labels).astype(np.int64)
    else:
        counts = np.bincount(cells, weights[keep], minlength=n_labels * n_labels)
    return counts.reshape(n_labels, n_labels)


def accuracy_score(y_true, y_pred, *, normalize=True, sample_weight=None):
    """Compute the fraction of samples whose predicted label is the true one.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_labels)
        True labels, numbers or strings, or a multilabel indicator matrix.
        For a matrix, a sample is correct only if its whole row matches.
    y_pred : array-like of the same shape as ``y_true``
        Predicted labels, of the same type as ``y_true``.
    normalize : bool, default=True
        If False, return the number (or total weight) of correct predictions
        instead.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each sample. By default, every sample counts 1.

    Returns
    -------
    score : float or int
        Fraction in [0, 1], or with ``normalize=False`` a count (an int, or
        a float when weighted).

    Examples
    --------
    >>> from fastnn.metrics import accuracy_score
    >>> accuracy_score([0, 1, 2, 3], [0, 2, 1, 3])
    0.5
    """
    if np.ndim(y_true) == 2:
        correct = _multilabel_rows_equal(y_true, y_pred)
    else:
        y_true, y_pred, _, _ = _check_targets(y_true, y_pred)
        correct = y_true == y_pred
    weights = _check_sample_weight(sample_weight, len(correct))

    if weights is None and normalize:
        return float(np.mean(correct))
    if weights is None:
        return int(np.sum(correct))
    if normalize:
        return float(np.average(correct, weights=weights))
    return float(np.sum(weights[correct]))


def _multilabel_rows_equal(y_true, y_pred):
    """Compare indicator matrices row by row."""
    y_true = _check_finite_scores(y_true, "y_true")
    y_pred = _check_finite_scores(y_pred, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true has shape {y_true.shape} but y_pred has shape "
            f"{y_pred.shape}. Multilabel indicator matrices must match."
        )
    return np.all(y_true == y_pred, axis=1)


def balanced_accuracy_score(y_true, y_pred, *, adjusted=False, sample_weight=None):
    """Compute the mean recall over the classes present in ``y_true``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels, numbers or strings.
    y_pred : array-like of shape (n_samples,)
        Predicted labels, of the same type as ``y_true``.
    adjusted : bool, default=False
        If True, rescale so that chance level scores 0 and a perfect
        prediction scores 1.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each sample. By default, every sample counts 1.

    Returns
    -------
    score : float
        Mean per-class recall. Labels that occur only in ``y_pred`` have no
        recall and are left out of the mean.

    Raises
    ------
    ValueError
        If ``adjusted`` is True and ``y_true`` contains a single class.

    Examples
    --------
    >>> from fastnn.metrics import balanced_accuracy_score
    >>> balanced_accuracy_score([0, 0, 0, 1], [0, 0, 1, 1])
    0.8333333333333333
    """
    matrix = confusion_matrix(y_true, y_pred, sample_weight=sample_weight)
    true_sum = matrix.sum(axis=1)

    # Recall of each class that occurs in y_true.
    in_true = true_sum > 0
    recall = np.diag(matrix)[in_true] / true_sum[in_true]
    score = float(np.mean(recall))
    if not adjusted:
        return score

    # Chance level is 1 / n_classes.
    n_classes = len(recall)
    if n_classes < 2:
        raise ValueError(
            "adjusted=True needs at least two classes in y_true, got one. "
            "Use adjusted=False."
        )
    chance = 1.0 / n_classes
    return (score - chance) / (1.0 - chance)


def _select_labels(present, kind, average, pos_label, labels):
    """Return the labels to score for the given averaging mode."""
    if average not in _AVERAGES and average is not None:
        raise ValueError(
            f"average must be one of {_AVERAGES + (None,)}, got {average!r}."
        )

    # Multiclass averages score the given labels, or every label present.
    if average != "binary":
        if labels is None:
            return present
        return _check_labels_argument(labels, kind)

    # Binary averaging scores pos_label only.
    if len(present) > 2:
        raise ValueError(
            f"average='binary' needs at most two labels, but the targets contain "
            f"{len(present)}: {_preview(present)}. Use average='macro', "
            "'weighted' or 'micro'."
        )

    # A pos_label absent from one-class data is allowed and scores
    # zero_division, but a str pos_label for numbers (or the reverse) is not.
    same_type = isinstance(pos_label, str) == (kind == "string")
    is_present = same_type and bool(np.any(present == pos_label))
    if not is_present and (len(present) == 2 or not same_type):
        raise ValueError(
            f"pos_label={_plain(pos_label)!r} is not one of the labels "
            f"{present.tolist()!r}. Pass one of them as pos_label."
        )
    return np.asarray([pos_label])


def _precision_recall_f1(
    y_true, y_pred, *, average, pos_label, labels, zero_division, sample_weight
):
    """Compute precision, recall, F1 and support, averaged or per label."""
    zero_division = _check_zero_division(zero_division)
    y_true, y_pred, present, kind = _check_targets(y_true, y_pred)
    weights = _check_sample_weight(sample_weight, len(y_true))
    selected = _select_labels(present, kind, average, pos_label, labels)
    tp, pred_sum, true_sum = _label_counts(y_true, y_pred, selected, weights)
    support = true_sum

    # Micro averaging pools the counts of all selected labels first.
    if average == "micro":
        tp = np.array([tp.sum()])
        pred_sum = np.array([pred_sum.sum()])
        true_sum = np.array([true_sum.sum()])

    # F1 = 2 tp / (2 tp + fp + fn), which stays defined when only one of
    # precision and recall is 0 / 0.
    precision = _divide(tp, pred_sum, zero_division)
    recall = _divide(tp, true_sum, zero_division)
    f1 = _divide(2 * tp, pred_sum + true_sum, zero_division)
    if average is None:
        return precision, recall, f1, support

    label_weights = true_sum if average == "weighted" else None
    return (
        _nan_average(precision, label_weights),
        _nan_average(recall, label_weights),
        _nan_average(f1, label_weights),
        support.sum(),
    )


def precision_score(
    y_true,
    y_pred,
    *,
    average="binary",
    pos_label=1,
    labels=None,
    zero_division=0.0,
    sample_weight=None,
):
    """Compute the precision tp / (tp + fp), the fraction of positive predictions that are right.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels, numbers or strings.
    y_pred : array-like of shape (n_samples,)
        Predicted labels, of the same type as ``y_true``.
    average : {"binary", "macro", "weighted", "micro"} or None, default="binary"
        ``"binary"`` scores ``pos_label`` only and needs at most two labels.
        ``"macro"`` takes the unweighted mean over labels, ``"weighted"``
        weights each label by its number of true samples, ``"micro"`` pools
        the counts of all labels. None returns one score per label.
    pos_label : int or str, default=1
        The positive class when ``average="binary"``. Ignored otherwise.
    labels : array-like, default=None
        Labels to score when ``average`` is not ``"binary"``, possibly
        including labels absent from the data. By default, the sorted labels
        found in ``y_true`` or ``y_pred``.
    zero_division : {0.0, 1.0, np.nan}, default=0.0
        Score to use where the metric is 0 / 0. NaN scores are left out of
        the averages.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each sample. By default, every sample counts 1.

    Returns
    -------
    score : float or ndarray of shape (n_labels,)
        A float, or one score per label when ``average`` is None.

    Raises
    ------
    ValueError
        If the inputs differ in length, are empty or mix label types, if
        ``average="binary"`` and there are more than two labels, or if
        ``pos_label`` is not one of the labels.

    Examples
    --------
    >>> from fastnn.metrics import precision_score
    >>> precision_score([0, 1, 1, 0], [1, 1, 1, 0])
    0.6666666666666666
    """
    scores = _precision_recall_f1(
        y_true,
        y_pred,
        average=average,
        pos_label=pos_label,
        labels=labels,
        zero_division=zero_division,
        sample_weight=sample_weight,
    )
    return scores[0]


def recall_score(
    y_true,
    y_pred,
    *,
    average="binary",
    pos_label=1,
    labels=None,
    zero_division=0.0,
    sample_weight=None,
):
    """Compute the recall tp / (tp + fn), the fraction of positive samples that are found.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels, numbers or strings.
    y_pred : array-like of shape (n_samples,)
        Predicted labels, of the same type as ``y_true``.
    average : {"binary", "macro", "weighted", "micro"} or None, default="binary"
        ``"binary"`` scores ``pos_label`` only and needs at most two labels.
        ``"macro"`` takes the unweighted mean over labels, ``"weighted"``
        weights each label by its number of true samples, ``"micro"`` pools
        the counts of all labels. None returns one score per label.
    pos_label : int or str, default=1
        The positive class when ``average="binary"``. Ignored otherwise.
    labels : array-like, default=None
        Labels to score when ``average`` is not ``"binary"``, possibly
        including labels absent from the data. By default, the sorted labels
        found in ``y_true`` or ``y_pred``.
    zero_division : {0.0, 1.0, np.nan}, default=0.0
        Score to use where the metric is 0 / 0. NaN scores are left out of
        the averages.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each sample. By default, every sample counts 1.

    Returns
    -------
    score : float or ndarray of shape (n_labels,)
        A float, or one score per label when ``average`` is None.

    Raises
    ------
    ValueError
        If the inputs differ in length, are empty or mix label types, if
        ``average="binary"`` and there are more than two labels, or if
        ``pos_label`` is not one of the labels.

    Examples
    --------
    >>> from fastnn.metrics import recall_score
    >>> recall_score(["a", "b", "c", "c"], ["a", "c", "c", "c"], average="macro")
    0.6666666666666666
    """
    scores = _precision_recall_f1(
        y_true,
        y_pred,
        average=average,
        pos_label=pos_label,
        labels=labels,
        zero_division=zero_division,
        sample_weight=sample_weight,
    )
    return scores[1]


def f1_score(
    y_true,
    y_pred,
    *,
    average="binary",
    pos_label=1,
    labels=None,
    zero_division=0.0,
    sample_weight=None,
):
    """Compute the F1 score 2 tp / (2 tp + fp + fn), the harmonic mean of
    precision and recall.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels, numbers or strings.
    y_pred : array-like of shape (n_samples,)
        Predicted labels, of the same type as ``y_true``.
    average : {"binary", "macro", "weighted", "micro"} or None, default="binary"
        ``"binary"`` scores ``pos_label`` only and needs at most two labels.
        ``"macro"`` takes the unweighted mean over labels, ``"weighted"``
        weights each label by its number of true samples, ``"micro"`` pools
        the counts of all labels. None returns one score per label.
    pos_label : int or str, default=1
        The positive class when ``average="binary"``. Ignored otherwise.
    labels : array-like, default=None
        Labels to score when ``average`` is not ``"binary"``, possibly
        including labels absent from the data. By default, the sorted labels
        found in ``y_true`` or ``y_pred``.
    zero_division : {0.0, 1.0, np.nan}, default=0.0
        Score to use where the metric is 0 / 0. NaN scores are left out of
        the averages.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each sample. By default, every sample counts 1.

    Returns
    -------
    score : float or ndarray of shape (n_labels,)
        A float, or one score per label when ``average`` is None.

    Raises
    ------
    ValueError
        If the inputs differ in length, are empty or mix label types, if
        ``average="binary"`` and there are more than two labels, or if
        ``pos_label`` is not one of the labels.

    Examples
    --------
    >>> from fastnn.metrics import f1_score
    >>> f1_score([0, 1, 1, 0], [1, 1, 1, 0])
    0.8
    """
    scores = _precision_recall_f1(
        y_true,
        y_pred,
        average=average,
        pos_label=pos_label,
        labels=labels,
        zero_division=zero_division,
        sample_weight=sample_weight,
    )
    return scores[2]


def classification_report(
    y_true, y_pred, *, labels=None, target_names=None, digits=2, zero_division=0.0
):
    """Build a text table of precision, recall, F1 and support per label.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels, numbers or strings.
    y_pred : array-like of shape (n_samples,)
        Predicted labels, of the same type as ``y_true``.
    labels : array-like, default=None
        Labels to list, in this order. By default, the sorted labels found
        in ``y_true`` or ``y_pred``.
    target_names : list of str, default=None
        Display name of each entry of ``labels``. By default, ``str(label)``.
    digits : int, default=2
        Number of decimals of the scores.
    zero_division : {0.0, 1.0, np.nan}, default=0.0
        Score to use where a metric is 0 / 0.

    Returns
    -------
    report : str
        One row per label, then the accuracy (or the micro average when
        ``labels`` leaves out some labels of the data), the macro average and
        the weighted average. The layout matches scikit-learn's report.

    Examples
    --------
    >>> from fastnn.metrics import classification_report
    >>> print(classification_report(["a", "b", "b"], ["a", "b", "a"]))
                  precision    recall  f1-score   support
    <BLANKLINE>
               a       0.50      1.00      0.67         1
               b       1.00      0.50      0.67         2
    <BLANKLINE>
        accuracy                           0.67         3
       macro avg       0.75      0.75      0.67         3
    weighted avg       0.83      0.67      0.67         3
    <BLANKLINE>
    """
    if isinstance(digits, bool) or not isinstance(digits, numbers.Integral) or digits < 0:
        raise ValueError(f"digits must be a non-negative integer, got {digits!r}.")
    _, _, present, kind = _check_targets(y_true, y_pred)
    if labels is not None:
        labels = _check_labels_argument(labels, kind)
    else:
        labels = present
    if target_names is None:
        target_names = labels.tolist()
    elif len(target_names) != len(labels):
        raise ValueError(
            f"target_names has {len(target_names)} entries but there are "
            f"{len(labels)} labels. Pass one name per label."
        )
    names = [str(name) for name in target_names]

    # Per-label rows.
    score_args = dict(
        pos_label=None, labels=labels, zero_division=zero_division, sample_weight=None
    )
    per_label = _precision_recall_f1(y_true, y_pred, average=None, **score_args)
    width = max(len(name) for name in names + ["weighted avg"])
    header = " " * width + " " + "".join(
        f" {title:>9}" for title in ("precision", "recall", "f1-score", "support")
    )
    lines = [header, ""]
    for index, name in enumerate(names):
        scores = [column[index] for column in per_label]
        lines.append(_report_row(name, scores, width, digits))
    lines.append("")

    # Micro-averaged F1 equals accuracy when every label of the data is listed.
    micro = _precision_recall_f1(y_true, y_pred, average="micro", **score_args)
    if np.all(_encode(present, labels)[1]):
        blank = " " * 10
        lines.append(
            f"{'accuracy':>{width}} " + blank * 2
            + f" {micro[2]:>9.{digits}f} {int(micro[3]):>9}"
        )
    else:
        lines.append(_report_row("micro avg", micro, width, digits))

    # Macro and weighted averages.
    for average in ("macro", "weighted"):
        scores = _precision_recall_f1(y_true, y_pred, average=average, **score_args)
        lines.append(_report_row(f"{average} avg", scores, width, digits))
    return "\n".join(lines) + "\n"


def _report_row(name, scores, width, digits):
    precision, recall, f1, support = scores
    values = "".join(f" {value:>9.{digits}f}" for value in (precision, recall, f1))
    return f"{name:>{width}} {values} {int(support):>9}"


def _plain(value):
    """Convert a NumPy scalar to the Python value, for readable messages."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def _preview(values, limit=5):
    """Format the first few entries of an array for an error message."""
    preview_text = ", ".join(repr(value) for value in values[:limit].tolist())
    if len(values) > limit:
        preview_text += f", ... ({len(values)} in total)"
    return f"[{preview_text}]"


# ---------------------------------------------------------------------------
# Score-based classification metrics
# ---------------------------------------------------------------------------


def _average_ranks(values):
    """Rank values from 1 to n, giving tied values the mean of their ranks."""
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]

    # Split the sorted values into runs of equal values.
    starts_run = np.concatenate([[True], sorted_values[1:] != sorted_values[:-1]])
    run_index = np.cumsum(starts_run) - 1
    run_starts = np.flatnonzero(starts_run)
    run_ends = np.append(run_starts[1:], len(values))

    # A run covering sorted positions start..end-1 has ranks start+1..end.
    run_ranks = (run_starts + 1 + run_ends) / 2.0
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = run_ranks[run_index]
    return ranks


def _binary_auc(is_positive, scores):
    """Compute ROC AUC as the Mann-Whitney U statistic over n_positive * n_negative."""
    n_positive = int(np.sum(is_positive))
    n_negative = len(is_positive) - n_positive
    rank_sum = _average_ranks(scores)[is_positive].sum()
    u_statistic = rank_sum - n_positive * (n_positive + 1) / 2.0
    return float(u_statistic / (n_positive * n_negative))


def roc_auc_score(y_true, y_score, *, multi_class="ovr", labels=None):
    """Compute the area under the ROC curve.

    The area equals the probability that a random positive sample scores
    higher than a random negative one, counting ties as one half. It is
    computed from average ranks, so tied scores are handled exactly.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels, numbers or strings.
    y_score : array-like of shape (n_samples,) or (n_samples, n_classes)
        1-D: scores of the greater of the two labels in ``y_true`` (the
        positive class). 2-D: class probabilities, one column per label in
        sorted order, each row summing to 1. The result is the unweighted
        mean of the one-vs-rest areas.
    multi_class : {"ovr"}, default="ovr"
        Multiclass strategy. Only one-vs-rest is supported.
    labels : array-like of shape (n_classes,), default=None
        Sorted labels of the columns of a 2-D ``y_score``. By default, the
        labels found in ``y_true``. Ignored for a 1-D ``y_score``.

    Returns
    -------
    auc : float
        Area in [0, 1], where 0.5 is chance level.

    Raises
    ------
    ValueError
        If the inputs differ in length, are empty, or ``y_score`` contains
        NaN or infinity. Also if a class has no positive or no negative
        sample, or if a 2-D ``y_score`` has a column count other than the
        number of labels.

    Examples
    --------
    >>> from fastnn.metrics import roc_auc_score
    >>> roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    if multi_class != "ovr":
        raise ValueError(
            f"multi_class={multi_class!r} is not supported. Use multi_class='ovr'."
        )
    y_true, kind = _as_label_array(y_true, "y_true")
    y_score = _check_finite_scores(y_score, "y_score")
    _check_same_length(y_true, y_score, "y_score")
    if y_score.ndim == 1:
        return _binary_roc_auc(y_true, y_score)
    if y_score.ndim != 2:
        raise ValueError(
            f"y_score must be 1-D or 2-D, got an array of shape {y_score.shape}."
        )

    # 2-D scores: one column per sorted label.
    if labels is None:
        classes = np.unique(y_true)
    else:
        classes = _check_labels_argument(labels, kind)
        if np.any(classes[1:] < classes[:-1]):
            raise ValueError(
                f"labels must be sorted to match the columns of y_score, got "
                f"{_preview(classes)}."
            )
    _check_probability_columns(y_true, y_score, classes)

    # One-vs-rest: each column separates its class from all others.
    areas = []
    for column, label in enumerate(classes):
        is_positive = y_true == label
        if np.all(is_positive) or not np.any(is_positive):
            raise ValueError(
                f"Class {_plain(label)!r} has no positive or no negative sample in "
                "y_true, so its one-vs-rest ROC AUC is undefined. Remove the "
                "class from labels and y_score, or add samples."
            )
        areas.append(_binary_auc(is_positive, y_score[:, column]))
    return float(np.mean(areas))


def _binary_roc_auc(y_true, y_score):
    classes = np.unique(y_true)
    if len(classes) == 1:
        raise ValueError(
            f"y_true contains only the class {_plain(classes[0])!r}, but ROC AUC needs "
            "positive and negative samples."
        )
    if len(classes) > 2:
        raise ValueError(
            f"y_true has {len(classes)} classes but y_score is 1-D. Pass a "
            "2-D array of class probabilities with one column per class."
        )
    return _binary_auc(y_true == classes[1], y_score)


def _check_probability_columns(y_true, y_score, classes):
    if y_score.shape[1] != len(classes):
        raise ValueError(
            f"y_score has {y_score.shape[1]} columns but there are "
            f"{len(classes)} labels {_preview(classes)}. Pass one column per "
            "label, or set labels."
        )
    if len(classes) == 2:
        raise ValueError(
            "y_score has 2 columns for a binary problem. Pass the scores of "
            "the positive class as a 1-D array, for example y_score[:, 1]."
        )
    unknown = y_true[~_encode(y_true, classes)[1]]
    if len(unknown) > 0:
        raise ValueError(
            f"y_true contains labels missing from labels: "
            f"{_preview(np.unique(unknown))}."
        )
    if not np.allclose(y_score.sum(axis=1), 1.0):
        raise ValueError(
            "The rows of y_score must be class probabilities that sum to 1. "
            "Apply softmax to raw scores first."
        )


def roc_curve(y_true, y_score, *, pos_label=None, sample_weight=None, drop_intermediate=True):
    """Compute the points of the receiver operating characteristic (ROC) curve.

    Each distinct score is a threshold: samples scoring at least that much
    are predicted positive. The first point uses the threshold ``inf`` and
    lies at (0, 0).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels of a binary problem, numbers or strings.
    y_score : array-like of shape (n_samples,)
        Scores of the positive class, such as its probability.
    pos_label : int, float or str, default=None
        The positive class. None means 1, which requires labels in {0, 1}
        or {-1, 1}.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each sample. By default, every sample counts 1.
    drop_intermediate : bool, default=True
        Leave out thresholds whose point lies on a straight segment between
        its neighbours, which do not change the plotted curve.

    Returns
    -------
    fpr : ndarray
        False positive rate at each threshold, increasing.
    tpr : ndarray
        True positive rate at each threshold, increasing.
    thresholds : ndarray
        The thresholds, decreasing, starting with ``inf``.

    Raises
    ------
    ValueError
        If the inputs differ in length or are empty, ``y_score`` is not
        1-D or contains NaN or infinity, ``y_true`` has more than two
        classes, or ``pos_label`` is None with labels other than {0, 1} or
        {-1, 1}.

    Warns
    -----
    UserWarning
        If there are no negative (or no positive) samples; the false (or
        true) positive rates are then NaN.

    Examples
    --------
    >>> from fastnn.metrics import roc_curve
    >>> fpr, tpr, thresholds = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> fpr.tolist(), tpr.tolist()
    ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0])
    >>> thresholds.tolist()
    [inf, 0.8, 0.4, 0.35, 0.1]
    """
    y_true, kind = _as_label_array(y_true, "y_true")
    y_score = _check_finite_scores(y_score, "y_score")
    if y_score.ndim != 1:
        raise ValueError(
            f"y_score must be 1-D, the scores of the positive class, got shape "
            f"{y_score.shape}."
        )
    _check_same_length(y_true, y_score, "y_score")
    weights = _check_sample_weight(sample_weight, len(y_true))
    is_positive = _positive_mask(y_true, kind, pos_label)

    # Samples of weight 0 would add thresholds without moving the curve.
    if weights is not None:
        nonzero = weights != 0
        y_score, is_positive, weights = y_score[nonzero], is_positive[nonzero], weights[nonzero]

    # Sort by decreasing score with ties in input order, because that order
    # fixes the rounding of the weighted sums. The last position of each run
    # of equal scores is a threshold.
    order = np.argsort(-y_score, kind="stable")
    sorted_scores = y_score[order]
    positive = is_positive[order].astype(np.float64)
    weight = np.ones(len(order)) if weights is None else weights[order]
    threshold_index = np.r_[np.flatnonzero(np.diff(sorted_scores)), len(order) - 1]
    tps = np.cumsum(positive * weight)[threshold_index]
    if weights is None:
        fps = 1 + threshold_index - tps
    else:
        fps = np.cumsum((1.0 - positive) * weight)[threshold_index]
    thresholds = sorted_scores[threshold_index]

    # A point is kept where the curve bends: a change in slope of fps or tps.
    if drop_intermediate and len(fps) > 2:
        bends = np.logical_or(np.diff(fps, 2), np.diff(tps, 2))
        keep = np.flatnonzero(np.r_[True, bends, True])
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]

    fps = np.r_[0.0, fps]
    tps = np.r_[0.0, tps]
    thresholds = np.r_[np.inf, thresholds]
    return _rate(fps, "negative"), _rate(tps, "positive"), thresholds


def _positive_mask(y_true, kind, pos_label):
    classes = np.unique(y_true)
    if len(classes) > 2:
        raise ValueError(
            f"roc_curve needs a binary problem, but y_true has {len(classes)} classes "
            f"{_preview(classes)}."
        )
    if pos_label is None:
        values = set(classes.tolist()) if kind == "number" else None
        if values is None or not (values <= {0, 1} or values <= {-1, 1}):
            raise ValueError(
                f"y_true contains the labels {_preview(classes)}; pass pos_label to say "
                "which one is positive (None means 1 and needs labels in {0, 1} or {-1, 1})."
            )
        pos_label = 1
    return y_true == pos_label


def _rate(counts, name):
    """Divide cumulative counts by their total, NaN with a warning when it is 0."""
    if counts[-1] <= 0:
        warnings.warn(
            f"No {name} samples in y_true, so the "
            f"{'false' if name == 'negative' else 'true'} positive rate is undefined (NaN).",
            UserWarning,
            stacklevel=3,
        )
        return np.full(counts.shape, np.nan)
    return counts / counts[-1]


def log_loss(y_true, y_prob, *, labels=None, sample_weight=None):
    """Compute the mean negative log-likelihood of the true labels.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels, numbers or strings.
    y_prob : array-like of shape (n_samples,) or (n_samples, n_classes)
        Predicted probabilities. 2-D: one column per label in sorted order.
        1-D: the probability of the greater of two labels. Values are
        clipped to ``[eps, 1 - eps]``, with ``eps`` the machine epsilon of
        the dtype (float32 is kept, everything else is converted to float64).
    labels : array-like, default=None
        All class labels. Needed when ``y_true`` does not contain every
        class of the columns of ``y_prob``. Their sorted order gives the
        column order.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each sample. By default, every sample counts 1.

    Returns
    -------
    loss : float
        Mean of ``-log(p)`` over the samples (weighted mean with
        ``sample_weight``), with ``p`` the probability given to the true
        label. Uses the natural logarithm.

    Raises
    ------
    ValueError
        If the inputs differ in length or are empty, if ``y_prob`` contains
        NaN, infinity or values outside [0, 1], if fewer than two labels are
        known, or if the number of columns differs from the number of labels.

    Warns
    -----
    UserWarning
        If the rows of ``y_prob`` do not sum to 1.

    Examples
    --------
    >>> from fastnn.metrics import log_loss
    >>> round(log_loss(["no", "yes", "yes"], [0.2, 0.9, 0.6]), 4)
    0.2798
    """
    y_true, kind = _as_label_array(y_true, "y_true")
    y_prob = _check_probabilities(y_prob)
    _check_same_length(y_true, y_prob, "y_prob")
    weights = _check_sample_weight(sample_weight, len(y_true))

    # Classes in sorted order, matching the columns of y_prob.
    if labels is None:
        classes = np.unique(y_true)
        if len(classes) < 2:
            raise ValueError(
                f"y_true contains only the label {_plain(classes[0])!r}. Pass all "
                "class labels through labels."
            )
    else:
        classes = np.unique(_check_labels_argument(labels, kind))
        if len(classes) < 2:
            raise ValueError(f"labels must list at least two classes, got {labels!r}.")
    codes, found = _encode(y_true, classes)
    if not np.all(found):
        raise ValueError(
            f"y_true contains labels missing from labels: "
            f"{_preview(np.unique(y_true[~found]))}."
        )

    # A single probability column is that of the greater label.
    if y_prob.ndim == 1:
        y_prob = y_prob[:, np.newaxis]
    if y_prob.shape[1] == 1:
        y_prob = np.concatenate([1.0 - y_prob, y_prob], axis=1)
    if y_prob.shape[1] != len(classes):
        raise ValueError(
            f"y_prob has {y_prob.shape[1]} columns but there are {len(classes)} "
            f"labels {_preview(classes)}. Pass one column per label, or set labels."
        )
    if not np.allclose(y_prob.sum(axis=1), 1.0, rtol=np.sqrt(np.finfo(y_prob.dtype).eps)):
        warnings.warn(
            "The rows of y_prob do not sum to 1. Make sure to pass probabilities.",
            UserWarning,
            stacklevel=2,
        )

    # Clipping keeps log() finite for probabilities of exactly 0 or 1.
    eps = np.finfo(y_prob.dtype).eps
    clipped = np.clip(y_prob, eps, 1.0 - eps)
    true_prob = clipped[np.arange(len(codes)), codes].astype(np.float64)
    return float(np.average(-np.log(true_prob), weights=weights))


def _check_probabilities(y_prob):
    # float32 keeps its own, larger clipping epsilon.
    y_prob = np.asarray(y_prob)
    dtype = np.float32 if y_prob.dtype == np.float32 else np.float64
    y_prob = _check_finite_scores(y_prob, "y_prob", dtype=dtype)
    if y_prob.ndim not in (1, 2):
        raise ValueError(
            f"y_prob must be 1-D or 2-D, got an array of shape {y_prob.shape}."
        )
    if y_prob.min() < 0 or y_prob.max() > 1:
        raise ValueError(
            f"y_prob must contain probabilities in [0, 1], got values from "
            f"{float(y_prob.min())} to {float(y_prob.max())}."
        )
    return y_prob


# ---------------------------------------------------------------------------
# Regression metrics
# ---------------------------------------------------------------------------


def _check_regression_targets(y_true, y_pred, sample_weight):
    """Return both targets as float64 arrays of shape (n_samples, n_outputs).

    Also returns the validated sample weights, or None.
    """
    y_true = _check_finite_scores(y_true, "y_true")
    y_pred = _check_finite_scores(y_pred, "y_pred")
    for name, values in (("y_true", y_true), ("y_pred", y_pred)):
        if values.ndim not in (1, 2):
            raise ValueError(
                f"{name} must be 1-D or 2-D, got an array of shape {values.shape}."
            )
    _check_same_length(y_true, y_pred, "y_pred")

    # A 1-D target is a single output.
    if y_true.ndim == 1:
        y_true = y_true[:, np.newaxis]
    if y_pred.ndim == 1:
        y_pred = y_pred[:, np.newaxis]
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true has {y_true.shape[1]} outputs and y_pred has "
            f"{y_pred.shape[1]}. Pass the same number of columns."
        )
    return y_true, y_pred, _check_sample_weight(sample_weight, len(y_true))


def mean_squared_error(y_true, y_pred, *, sample_weight=None):
    """Compute the mean squared error, averaged uniformly over outputs.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        True target values.
    y_pred : array-like of the same shape as ``y_true``
        Predicted target values.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each sample. By default, every sample counts 1.

    Returns
    -------
    error : float
        Mean over samples of ``(y_true - y_pred) ** 2``, then mean over
        outputs.

    Raises
    ------
    ValueError
        If the shapes differ, the inputs are empty or contain NaN or
        infinity.

    Examples
    --------
    >>> from fastnn.metrics import mean_squared_error
    >>> mean_squared_error([3.0, -0.5, 2.0], [2.5, 0.0, 2.0])
    0.16666666666666666
    """
    y_true, y_pred, weights = _check_regression_targets(y_true, y_pred, sample_weight)
    per_output = np.average((y_true - y_pred) ** 2, axis=0, weights=weights)
    return float(np.mean(per_output))


def root_mean_squared_error(y_true, y_pred, *, sample_weight=None):
    """Compute the root mean squared error, averaged uniformly over outputs.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        True target values.
    y_pred : array-like of the same shape as ``y_true``
        Predicted target values.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each sample. By default, every sample counts 1.

    Returns
    -------
    error : float
        Square root of the mean squared error of each output, then the mean
        over outputs (as scikit-learn computes it).

    Raises
    ------
    ValueError
        If the shapes differ, the inputs are empty or contain NaN or
        infinity.

    Examples
    --------
    >>> from fastnn.metrics import root_mean_squared_error
    >>> root_mean_squared_error([3.0, -0.5, 2.0], [2.5, 0.0, 2.0])
    0.408248290463863
    """
    y_true, y_pred, weights = _check_regression_targets(y_true, y_pred, sample_weight)
    per_output = np.sqrt(np.average((y_true - y_pred) ** 2, axis=0, weights=weights))
    return float(np.mean(per_output))


def mean_absolute_error(y_true, y_pred, *, sample_weight=None):
    """Compute the mean absolute error, averaged uniformly over outputs.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        True target values.
    y_pred : array-like of the same shape as ``y_true``
        Predicted target values.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each sample. By default, every sample counts 1.

    Returns
    -------
    error : float
        Mean over samples of ``abs(y_true - y_pred)``, then mean over outputs.

    Raises
    ------
    ValueError
        If the shapes differ, the inputs are empty or contain NaN or
        infinity.

    Examples
    --------
    >>> from fastnn.metrics import mean_absolute_error
    >>> mean_absolute_error([3.0, -0.5, 2.0], [2.5, 0.0, 2.0])
    0.3333333333333333
    """
    y_true, y_pred, weights = _check_regression_targets(y_true, y_pred, sample_weight)
    per_output = np.average(np.abs(y_true - y_pred), axis=0, weights=weights)
    return float(np.mean(per_output))


def r2_score(y_true, y_pred, *, sample_weight=None):
    """Compute the coefficient of determination R^2, averaged over outputs.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        True target values.
    y_pred : array-like of the same shape as ``y_true``
        Predicted target values.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each sample. By default, every sample counts 1.

    Returns
    -------
    score : float
        Uniform mean over outputs of ``1 - SS_res / SS_tot``. An output with
        constant ``y_true`` (``SS_tot = 0``) scores 1.0 when predicted
        exactly and 0.0 otherwise. With fewer than two samples the score is
        undefined and NaN is returned with a warning.

    Raises
    ------
    ValueError
        If the shapes differ, the inputs are empty or contain NaN or
        infinity.

    Warns
    -----
    UserWarning
        If there are fewer than two samples.

    Examples
    --------
    >>> from fastnn.metrics import r2_score
    >>> r2_score([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0])
    0.9486081370449679
    """
    y_true, y_pred, weights = _check_regression_targets(y_true, y_pred, sample_weight)
    if len(y_true) < 2:
        warnings.warn(
            "R^2 is undefined for fewer than two samples. Returning NaN.",
            UserWarning,
            stacklevel=2,
        )
        return float("nan")

    # Sums of squares, each sample counted with its weight.
    if weights is None:
        weights = np.ones(len(y_true))
    weights = weights[:, np.newaxis]
    true_mean = np.average(y_true, axis=0, weights=weights[:, 0])
    residual = np.sum(weights * (y_true - y_pred) ** 2, axis=0)
    total = np.sum(weights * (y_true - true_mean) ** 2, axis=0)

    # Constant outputs: 1.0 for an exact prediction, else 0.0, never inf.
    scores = np.where(residual == 0, 1.0, 0.0)
    varies = total != 0
    scores[varies] = 1.0 - residual[varies] / total[varies]
    return float(np.mean(scores))
