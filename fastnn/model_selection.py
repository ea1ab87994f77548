"""Train/test splits, k-fold splitters and cross-validation."""

import math
import numbers
import time
import warnings

import numpy as np

__all__ = [
    "KFold",
    "StratifiedKFold",
    "cross_val_score",
    "cross_validate",
    "train_test_split",
]


# ---------------------------------------------------------------------------
# Helpers shared by the splitters
# ---------------------------------------------------------------------------


def _make_rng(random_state):
    """Return a NumPy Generator for an int seed, None or a Generator."""
    if random_state is None or isinstance(random_state, np.random.Generator):
        return np.random.default_rng(random_state)
    is_int = isinstance(random_state, numbers.Integral) and not isinstance(
        random_state, bool
    )
    if not is_int:
        raise TypeError(
            f"random_state must be None, an int or a numpy.random.Generator, "
            f"got {random_state!r} of type {type(random_state).__name__}."
        )
    if random_state < 0:
        raise ValueError(
            f"random_state must be a non-negative int, got {random_state}."
        )
    return np.random.default_rng(int(random_state))


def _num_samples(array, position):
    """Return the number of rows of one input array."""
    if hasattr(array, "shape"):
        if len(array.shape) == 0:
            raise ValueError(
                f"Input array {position} is a scalar. Pass a sequence of samples."
            )
        return array.shape[0]
    try:
        return len(array)
    except TypeError:
        raise TypeError(
            f"Input array {position} has no length (type "
            f"{type(array).__name__}). Pass a list, NumPy array, or pandas "
            "object."
        ) from None


def _take_rows(array, indices):
    """Select rows by position, keeping the container type where possible."""
    from ._table import Table

    if isinstance(array, Table):
        return array.take(indices)
    if hasattr(array, "iloc"):
        return array.iloc[indices]
    if hasattr(array, "shape"):
        return array[indices]
    return [array[index] for index in indices]


def _check_class_labels(y, n_samples):
    """Return the class index of each sample and the number of samples per class."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(
            f"The class labels must be 1-D, got an array of shape {y.shape}."
        )
    if len(y) != n_samples:
        raise ValueError(
            f"The class labels have {len(y)} entries but there are {n_samples} "
            "samples. Pass one label per sample."
        )
    _, class_index, class_counts = np.unique(y, return_inverse=True, return_counts=True)
    return class_index, class_counts


# ---------------------------------------------------------------------------
# train_test_split
# ---------------------------------------------------------------------------


def train_test_split(
    *arrays,
    test_size=None,
    train_size=None,
    random_state=None,
    shuffle=True,
    stratify=None,
):
    """Split arrays into random train and test subsets.

    Parameters
    ----------
    *arrays : sequence of array-likes with the same number of rows
        Lists, NumPy arrays, pandas DataFrames and Series (selected with
        ``.iloc``), or ``fastnn.tabular.Table`` objects.
    test_size : float or int, default=None
        A float in (0, 1) is the fraction of samples in the test set,
        rounded up. An int is the number of test samples. If both sizes are
        None, the test set gets 0.25 of the samples. If only ``train_size``
        is given, the test set gets the rest.
    train_size : float or int, default=None
        A float in (0, 1) is the fraction of samples in the train set,
        rounded down. An int is the number of train samples. If None, the
        train set gets the samples not in the test set.
    random_state : int, numpy.random.Generator or None, default=None
        Seed or generator of the shuffle. An int gives the same split every
        time. None draws fresh entropy.
    shuffle : bool, default=True
        If False, the first samples form the train set and the following
        ones the test set.
    stratify : array-like of shape (n_samples,), default=None
        Class labels. If given, each class keeps about its proportion in
        both subsets, and every class gets at least one sample in each.
        Needs ``shuffle=True``.

    Returns
    -------
    splits : list
        ``[a_train, a_test, b_train, b_test, ...]`` for the input arrays
        ``a, b, ...``, each of the same type as its input.

    Raises
    ------
    ValueError
        If no array is given, the arrays differ in length, a size is out of
        range, a subset would be empty, or ``stratify`` has a class with a
        single member or more classes than a subset has samples.

    Examples
    --------
    >>> import numpy as np
    >>> from fastnn.model_selection import train_test_split
    >>> X = np.arange(20).reshape(10, 2)
    >>> y = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     X, y, test_size=0.2, random_state=0, stratify=y)
    >>> X_train.shape, X_test.shape, sorted(y_test)
    ((8, 2), (2, 2), [0, 1])
    """
    if not arrays:
        raise ValueError("train_test_split needs at least one array to split.")
    lengths = [_num_samples(array, position) for position, array in enumerate(arrays)]
    if len(set(lengths)) > 1:
        raise ValueError(
            f"The input arrays have different numbers of samples: {lengths}. "
            "Pass arrays with one row per sample."
        )
    n_samples = lengths[0]
    n_train, n_test = _split_sizes(n_samples, test_size, train_size)

    # Choose the row positions of each subset.
    if not shuffle:
        if stratify is not None:
            raise ValueError(
                "stratify needs shuffle=True. A stratified split without "
                "shuffling is not supported."
            )
        train_index = np.arange(n_train)
        test_index = np.arange(n_train, n_train + n_test)
    elif stratify is None:
        permutation = _make_rng(random_state).permutation(n_samples)
        test_index = permutation[:n_test]
        train_index = permutation[n_test : n_test + n_train]
    else:
        train_index, test_index = _stratified_indices(
            stratify, n_samples, n_train, n_test, _make_rng(random_state)
        )

    splits = []
    for array in arrays:
        splits.append(_take_rows(array, train_index))
        splits.append(_take_rows(array, test_index))
    return splits


def _split_sizes(n_samples, test_size, train_size):
    """Turn the requested sizes into sample counts (n_train, n_test)."""
    if test_size is None and train_size is None:
        test_size = 0.25
    _check_size(test_size, "test_size", n_samples)
    _check_size(train_size, "train_size", n_samples)
    both_fractions = _is_fraction(test_size) and _is_fraction(train_size)
    if both_fractions and test_size + train_size > 1:
        raise ValueError(
            f"test_size + train_size = {test_size + train_size} must not exceed "
            "1. Reduce test_size or train_size."
        )

    # Fractions round the test set up and the train set down.
    n_test = None
    n_train = None
    if _is_fraction(test_size):
        n_test = math.ceil(test_size * n_samples)
    elif test_size is not None:
        n_test = int(test_size)
    if _is_fraction(train_size):
        n_train = math.floor(train_size * n_samples)
    elif train_size is not None:
        n_train = int(train_size)

    # A missing size takes the remaining samples.
    if n_train is None:
        n_train = n_samples - n_test
    if n_test is None:
        n_test = n_samples - n_train
    if n_train + n_test > n_samples:
        raise ValueError(
            f"train_size + test_size = {n_train + n_test} samples, more than "
            f"the {n_samples} samples available. Reduce test_size or train_size."
        )
    if n_train == 0:
        raise ValueError(
            f"With n_samples={n_samples}, test_size={test_size!r} and "
            f"train_size={train_size!r}, the train set would be empty. Reduce "
            "test_size."
        )
    return n_train, n_test


def _is_count(size):
    return isinstance(size, numbers.Integral) and not isinstance(size, bool)


def _is_fraction(size):
    return isinstance(size, numbers.Real) and not isinstance(size, numbers.Integral)


def _check_size(size, name, n_samples):
    if size is None:
        return
    if _is_count(size) and 0 < size < n_samples:
        return
    if _is_fraction(size) and 0.0 < size < 1.0:
        return
    raise ValueError(
        f"{name}={size!r} is invalid: pass a float in (0, 1) or an int in "
        f"[1, {n_samples - 1}] for {n_samples} samples."
    )


def _stratified_indices(stratify, n_samples, n_train, n_test, rng):
    """Draw train and test positions that keep each class's proportion."""
    class_index, class_counts = _check_class_labels(stratify, n_samples)
    n_classes = len(class_counts)
    if class_counts.min() < 2:
        raise ValueError(
            "The least populated class in y has only 1 member. A stratified "
            "split needs at least 2 members per class, so merge or drop the "
            "rare classes, or pass stratify=None."
        )
    for subset, size in (("train", n_train), ("test", n_test)):
        if size < n_classes:
            raise ValueError(
                f"The {subset} set has {size} samples but stratify has "
                f"{n_classes} classes. Each class needs at least one sample "
                f"in each set, so increase the {subset} size."
            )

    # Test rows per class first, then train rows from what remains.
    n_test_per_class = _allocate(n_test, class_counts, class_counts - 1, rng)
    available = class_counts - n_test_per_class
    n_train_per_class = _allocate(n_train, class_counts, available, rng)

    # Within each class, take a random subset for test, then for train.
    train_parts = []
    test_parts = []
    for label in range(n_classes):
        members = rng.permutation(np.flatnonzero(class_index == label))
        n_class_test = n_test_per_class[label]
        n_class_train = n_train_per_class[label]
        test_parts.append(members[:n_class_test])
        train_parts.append(members[n_class_test : n_class_test + n_class_train])

    # Shuffle again so the rows of one class are not contiguous.
    train_index = rng.permutation(np.concatenate(train_parts))
    test_index = rng.permutation(np.concatenate(test_parts))
    return train_index, test_index


def _allocate(total, class_counts, upper, rng):
    """Split ``total`` into per-class counts proportional to ``class_counts``.

    Every class gets at least 1 and at most its ``upper`` bound. The caller
    ensures that ``len(class_counts) <= total <= upper.sum()``. Rounding
    moves one sample at a time to the class furthest below its exact share,
    or away from the class furthest above it, with ties broken at random.
    """
    exact = total * class_counts / class_counts.sum()
    counts = np.clip(np.floor(exact).astype(np.int64), 1, upper)
    while counts.sum() < total:
        shortfall = np.where(counts < upper, exact - counts, -np.inf)
        counts[_random_argmax(shortfall, rng)] += 1
    while counts.sum() > total:
        excess = np.where(counts > 1, counts - exact, -np.inf)
        counts[_random_argmax(excess, rng)] -= 1
    return counts


def _random_argmax(values, rng):
    """Return the index of a maximum of ``values``, chosen at random among ties."""
    candidates = np.flatnonzero(values == values.max())
    return rng.choice(candidates)


# ---------------------------------------------------------------------------
# K-fold splitters
# ---------------------------------------------------------------------------


class KFold:
    """K-fold cross-validation splitter.

    Divides the samples into ``n_splits`` consecutive folds (after an
    optional shuffle). Each fold is the test set once while the other folds
    form the train set. The first ``n_samples % n_splits`` folds get one
    sample more than the others.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    shuffle : bool, default=False
        Whether to shuffle the samples before dividing them into folds.
    random_state : int, numpy.random.Generator or None, default=None
        Seed or generator of the shuffle. Only valid with ``shuffle=True``.
        An int gives the same folds at every ``split`` call. A Generator
        or None gives new folds at each call.

    Examples
    --------
    >>> from fastnn.model_selection import KFold
    >>> for train, test in KFold(n_splits=3).split(range(5)):
    ...     print(train, test)
    [2 3 4] [0 1]
    [0 1 4] [2 3]
    [0 1 2 3] [4]
    """

    def __init__(self, n_splits=5, *, shuffle=False, random_state=None):
        _check_splitter_parameters(n_splits, shuffle, random_state)
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state

    def __repr__(self):
        return (
            f"{type(self).__name__}(n_splits={self.n_splits}, "
            f"shuffle={self.shuffle}, random_state={self.random_state!r})"
        )

    def get_n_splits(self, X=None, y=None, groups=None):
        """Return the number of folds.

        Parameters
        ----------
        X, y, groups : object
            Ignored. Accepted for compatibility with scikit-learn splitters.

        Returns
        -------
        n_splits : int
            The ``n_splits`` parameter.
        """
        return self.n_splits

    def split(self, X, y=None, groups=None):
        """Generate train and test row positions for each fold.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Data to split. Only its number of rows is used.
        y : array-like, default=None
            Ignored. Accepted for compatibility with :class:`StratifiedKFold`.
        groups : object
            Ignored.

        Yields
        ------
        train : ndarray of shape (n_train,), dtype intp
            Row positions of the train set, sorted.
        test : ndarray of shape (n_test,), dtype intp
            Row positions of the test set.

        Raises
        ------
        ValueError
            If there are fewer samples than folds.
        """
        n_samples = _num_samples(X, "X")
        _check_enough_samples(self.n_splits, n_samples)
        positions = np.arange(n_samples)
        if self.shuffle:
            _make_rng(self.random_state).shuffle(positions)

        # The first n_samples % n_splits folds take one extra sample.
        fold_sizes = np.full(self.n_splits, n_samples // self.n_splits)
        fold_sizes[: n_samples % self.n_splits] += 1
        start = 0
        for size in fold_sizes:
            in_test = np.zeros(n_samples, dtype=bool)
            in_test[positions[start : start + size]] = True
            yield np.flatnonzero(~in_test), positions[start : start + size]
            start += size


class StratifiedKFold(KFold):
    """K-fold splitter that keeps the class proportions in every fold.

    Each class is divided over the folds as evenly as possible: the number
    of samples of a class in two folds differs by at most one, and so do
    the fold sizes. Without shuffling, each class's samples go to the folds
    in their original order, so every fold contains a contiguous run of each
    class.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2 and at most the size of the largest
        class.
    shuffle : bool, default=False
        Whether to shuffle each class's samples before dividing them.
    random_state : int, numpy.random.Generator or None, default=None
        Seed or generator of the shuffle. Only valid with ``shuffle=True``.

    Examples
    --------
    >>> from fastnn.model_selection import StratifiedKFold
    >>> y = ["a", "a", "a", "a", "b", "b"]
    >>> for train, test in StratifiedKFold(n_splits=2).split(y, y):
    ...     print(train, test)
    [2 3 5] [0 1 4]
    [0 1 4] [2 3 5]
    """

    def split(self, X, y, groups=None):
        """Generate train and test row positions for each fold.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Data to split. Only its number of rows is used.
        y : array-like of shape (n_samples,)
            Class labels used for the stratification.
        groups : object
            Ignored.

        Yields
        ------
        train : ndarray of shape (n_train,), dtype intp
            Row positions of the train set, sorted.
        test : ndarray of shape (n_test,), dtype intp
            Row positions of the test set, sorted.

        Raises
        ------
        ValueError
            If ``y`` is missing or of the wrong length, or if every class has
            fewer members than ``n_splits``.

        Warns
        -----
        UserWarning
            If some class has fewer members than ``n_splits``, so some test
            folds miss that class.
        """
        if y is None:
            raise ValueError("StratifiedKFold.split needs the class labels y.")
        n_samples = _num_samples(X, "X")
        class_index, class_counts = _check_class_labels(y, n_samples)
        if class_counts.max() < self.n_splits:
            raise ValueError(
                f"n_splits={self.n_splits} is greater than the number of "
                f"members of every class (largest class: {class_counts.max()}). "
                "Reduce n_splits."
            )
        smallest = class_counts.min()
        if smallest < self.n_splits:
            member_word = "member" if smallest == 1 else "members"
            warnings.warn(
                f"The least populated class in y has only {smallest} "
                f"{member_word}, which is less than n_splits={self.n_splits}. Some "
                "test folds will not contain that class.",
                UserWarning,
                stacklevel=2,
            )
        fold_of_sample = self._assign_folds(class_index, class_counts)

        for fold in range(self.n_splits):
            in_test = fold_of_sample == fold
            yield np.flatnonzero(~in_test), np.flatnonzero(in_test)

    def _assign_folds(self, class_index, class_counts):
        """Return the fold number of each sample."""
        rng = _make_rng(self.random_state) if self.shuffle else None
        fold_of_sample = np.empty(len(class_index), dtype=np.intp)

        # Deal the classes out one after another as if in one long round
        # robin, so that fold sizes stay balanced across classes too.
        offset = 0
        for label, count in enumerate(class_counts):
            members = np.flatnonzero(class_index == label)
            if rng is not None:
                members = rng.permutation(members)
            fold_sizes = np.bincount(
                (offset + np.arange(count)) % self.n_splits, minlength=self.n_splits
            )

            # Consecutive members of the class fill fold 0, then fold 1, ...
            fold_of_sample[members] = np.repeat(np.arange(self.n_splits), fold_sizes)
            offset += count
        return fold_of_sample


def _check_splitter_parameters(n_splits, shuffle, random_state):
    is_int = isinstance(n_splits, numbers.Integral) and not isinstance(n_splits, bool)
    if not is_int or n_splits < 2:
        raise ValueError(
            f"n_splits must be an int of at least 2, got {n_splits!r}."
        )
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"shuffle must be True or False, got {shuffle!r}.")
    if not shuffle and random_state is not None:
        raise ValueError(
            f"random_state={random_state!r} has no effect when shuffle=False. "
            "Set shuffle=True or leave random_state as None."
        )
    if random_state is not None:
        _make_rng(random_state)


def _check_enough_samples(n_splits, n_samples):
    if n_splits > n_samples:
        raise ValueError(
            f"n_splits={n_splits} is greater than the number of samples "
            f"{n_samples}. Reduce n_splits."
        )


# ---------------------------------------------------------------------------
# Cross-validation
# ---------------------------------------------------------------------------

# Scorer name: (metric function name, keyword arguments, input, sign).
# The input is "predict" (the predicted labels or values), "proba" (the
# probability matrix, or for a binary problem its column of classes_[1]) or
# "proba_matrix" (always the whole matrix). Errors and losses are negated so
# that greater is always better, as in scikit-learn.
_SCORERS = {
    "accuracy": ("accuracy_score", {}, "predict", 1),
    "balanced_accuracy": ("balanced_accuracy_score", {}, "predict", 1),
    "precision": ("precision_score", {}, "predict", 1),
    "recall": ("recall_score", {}, "predict", 1),
    "f1": ("f1_score", {}, "predict", 1),
    "precision_macro": ("precision_score", {"average": "macro"}, "predict", 1),
    "recall_macro": ("recall_score", {"average": "macro"}, "predict", 1),
    "f1_macro": ("f1_score", {"average": "macro"}, "predict", 1),
    "f1_weighted": ("f1_score", {"average": "weighted"}, "predict", 1),
    "roc_auc": ("roc_auc_score", {}, "proba", 1),
    "roc_auc_ovr": ("roc_auc_score", {"multi_class": "ovr"}, "proba", 1),
    "neg_log_loss": ("log_loss", {}, "proba_matrix", -1),
    "r2": ("r2_score", {}, "predict", 1),
    "neg_mean_squared_error": ("mean_squared_error", {}, "predict", -1),
    "neg_root_mean_squared_error": ("root_mean_squared_error", {}, "predict", -1),
    "neg_mean_absolute_error": ("mean_absolute_error", {}, "predict", -1),
}


def cross_validate(estimator, X, y, *, cv=5, scoring=None, return_train_score=False,
                   return_estimator=False):
    """Fit and score a fresh copy of an estimator on each cross-validation fold.

    Parameters
    ----------
    estimator : object
        An unfitted estimator with ``get_params``, ``fit`` and ``predict``,
        such as ``fastnn.MLPClassifier`` or ``fastnn.tabular.TabularModel``.
        Each fold fits a new instance made from its parameters, so the
        estimator itself stays unfitted.
    X : array-like, DataFrame or Table of shape (n_samples, ...)
    y : array-like of shape (n_samples,)
    cv : int, splitter or iterable, default=5
        An int k gives ``StratifiedKFold(k)`` for classifiers and
        ``KFold(k)`` otherwise, both without shuffling. A splitter is used
        through its ``split(X, y)``; an iterable gives (train, test)
        position arrays.
    scoring : str, callable or None, default=None
        None uses ``estimator.score``. A string names a scorer: accuracy,
        balanced_accuracy, precision, recall, f1 (binary, positive label
        1), precision_macro, recall_macro, f1_macro, f1_weighted, roc_auc,
        roc_auc_ovr, neg_log_loss, r2, neg_mean_squared_error,
        neg_root_mean_squared_error, neg_mean_absolute_error. A callable
        is called as ``scoring(fitted_estimator, X_test, y_test)``.
    return_train_score : bool, default=False
        Also score each fitted copy on its training rows.
    return_estimator : bool, default=False
        Also return the fitted copies.

    Returns
    -------
    dict
        "test_score", "fit_time" and "score_time" (seconds) as arrays with
        one entry per fold; "train_score" and "estimator" when asked for.

    Raises
    ------
    ValueError
        If ``scoring`` names no scorer, ``cv`` is not a valid splitter, or
        X and y differ in length.

    Examples
    --------
    >>> import numpy as np
    >>> from fastnn import MLPClassifier
    >>> from fastnn.model_selection import cross_validate
    >>> X = np.random.default_rng(0).normal(size=(120, 3))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = MLPClassifier((16,), max_iter=300, random_state=0)
    >>> result = cross_validate(clf, X, y, cv=3, scoring="accuracy")
    >>> result["test_score"].shape, bool(result["test_score"].mean() > 0.8)
    ((3,), True)
    """
    scorer = _get_scorer(scoring)
    y_array = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
    n_samples = _num_samples(X, "X")
    if len(y_array) != n_samples:
        raise ValueError(
            f"X has {n_samples} samples but y has {len(y_array)}. Pass one target per sample."
        )
    folds = _folds(cv, estimator, X, y_array)

    result = {"test_score": [], "fit_time": [], "score_time": []}
    if return_train_score:
        result["train_score"] = []
    if return_estimator:
        result["estimator"] = []
    for train, test in folds:
        fitted = _clone(estimator)
        start = time.perf_counter()
        fitted.fit(_take_rows(X, train), y_array[train])
        result["fit_time"].append(time.perf_counter() - start)

        start = time.perf_counter()
        result["test_score"].append(scorer(fitted, _take_rows(X, test), y_array[test]))
        result["score_time"].append(time.perf_counter() - start)
        if return_train_score:
            result["train_score"].append(scorer(fitted, _take_rows(X, train), y_array[train]))
        if return_estimator:
            result["estimator"].append(fitted)
    for key in ("test_score", "fit_time", "score_time", "train_score"):
        if key in result:
            result[key] = np.array(result[key], dtype=np.float64)
    return result


def cross_val_score(estimator, X, y, *, cv=5, scoring=None):
    """Return the test score of each cross-validation fold.

    The same as ``cross_validate(...)["test_score"]``; see
    :func:`cross_validate` for the parameters.

    Returns
    -------
    scores : ndarray of shape (n_folds,)
    """
    return cross_validate(estimator, X, y, cv=cv, scoring=scoring)["test_score"]


def _get_scorer(scoring):
    if scoring is None:
        return lambda estimator, X, y: float(estimator.score(X, y))
    if callable(scoring):
        return lambda estimator, X, y: float(scoring(estimator, X, y))
    if scoring not in _SCORERS:
        raise ValueError(
            f"scoring={scoring!r} is not a known scorer. Use one of "
            f"{', '.join(sorted(_SCORERS))}, a callable or None."
        )
    function_name, options, source, sign = _SCORERS[scoring]

    def score(estimator, X, y):
        from . import metrics

        function = getattr(metrics, function_name)
        if source == "predict":
            value = function(y, estimator.predict(X), **options)
        else:
            proba = np.asarray(estimator.predict_proba(X), dtype=np.float64)
            labels = getattr(estimator, "classes_", None)
            if source == "proba" and proba.shape[1] == 2:
                value = function(y, proba[:, 1], **options)
            elif source == "proba":
                value = function(y, proba, labels=labels, **options)
            else:
                value = function(y, proba, labels=labels, **options)
        return sign * float(value)

    return score


def _folds(cv, estimator, X, y):
    """Return a list of (train, test) position arrays."""
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        splitter = StratifiedKFold(cv) if _is_classifier(estimator, y) else KFold(cv)
        return list(splitter.split(X, y))
    if hasattr(cv, "split") and not isinstance(cv, str):
        return list(cv.split(X, y))
    invalid = ValueError(
        f"cv must be an int, a splitter with a split(X, y) method or an iterable of "
        f"(train, test) position arrays, got {cv!r}."
    )
    if isinstance(cv, str):
        raise invalid
    try:
        folds = [(np.asarray(train), np.asarray(test)) for train, test in cv]
    except (TypeError, ValueError):
        raise invalid from None
    if not folds:
        raise ValueError("cv gave no folds.")
    return folds


def _is_classifier(estimator, y):
    """Return True for classifiers, judged by the estimator or else by y."""
    kind = getattr(estimator, "_estimator_type", None)
    if kind in ("classifier", "regressor"):
        return kind == "classifier"
    return y.dtype.kind in "biuUSO"


def _clone(estimator):
    """Return a new unfitted estimator with the same constructor parameters."""
    if not hasattr(estimator, "get_params"):
        raise TypeError(
            f"estimator must have get_params() to be copied for each fold, got "
            f"{type(estimator).__name__}."
        )
    return type(estimator)(**estimator.get_params(deep=False))
