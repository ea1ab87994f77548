"""Feature scaling, label encoding and the preprocessing of tables.

``StandardScaler``, ``MinMaxScaler`` and ``LabelEncoder`` work on numeric
arrays and label vectors. ``TablePreprocessor`` turns a table of raw
columns (numeric, categorical, boolean, with missing values) into a float
matrix: imputation, scaling, one-hot encoding and constant-column removal.
"""

import numpy as np

from ._validation import NotFittedError

__all__ = ["LabelEncoder", "MinMaxScaler", "StandardScaler", "TablePreprocessor"]


def _check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}.")


def _check_feature_matrix(X, copy, owner):
    """Return X as a finite 2-D float32 or float64 array.

    float32 stays float32. Other numeric dtypes, including float16, are
    converted to float64. The result is a new array when ``copy`` is True,
    and otherwise only when the conversion needs one.
    """
    array = np.asarray(X)

    # Object arrays (for example mixed columns) may still hold numbers.
    if array.dtype.kind == "O":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"{owner} expects numeric X, but X has dtype object with "
                "non-numeric values. Encode categorical columns as numbers first."
            ) from None
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{owner} expects numeric X, got dtype {array.dtype}. Encode "
            "categorical columns as numbers first."
        )
    if array.ndim != 2:
        raise ValueError(
            f"{owner} expects a 2-D X of shape (n_samples, n_features), got "
            f"shape {array.shape}. Use X.reshape(-1, 1) for a single feature "
            "or X.reshape(1, -1) for a single sample."
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(
            f"{owner} needs at least one sample and one feature, got X of "
            f"shape {array.shape}."
        )

    # Every column index with a NaN or infinity goes into the message.
    finite = np.isfinite(array)
    if not np.all(finite):
        bad_columns = np.flatnonzero(~finite.all(axis=0))
        raise ValueError(
            f"X contains NaN or infinity in column(s) {_preview(bad_columns)}. "
            "Remove or impute those values first."
        )

    dtype = np.float32 if array.dtype == np.float32 else np.float64
    if copy:
        return np.array(array, dtype=dtype)
    return np.asarray(array, dtype=dtype)


def _preview(values, limit=5):
    """Format the first few entries of an array for an error message."""
    preview_text = ", ".join(repr(value) for value in values[:limit].tolist())
    if len(values) > limit:
        preview_text += f", ... ({len(values)} in total)"
    return f"[{preview_text}]"


class StandardScaler:
    """Standardize features to zero mean and unit variance.

    The transform is ``z = (x - mean_) / scale_`` per column. Statistics
    are computed in float64.

    Parameters
    ----------
    with_mean : bool, default=True
        If True, subtract the column means.
    with_std : bool, default=True
        If True, divide by the column standard deviations.
    copy : bool, default=True
        If False, ``transform`` and ``inverse_transform`` overwrite X in place
        when it is already a writeable float32 or float64 array, and return
        it.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,) or None
        Column means of the training data. None when both ``with_mean`` and
        ``with_std`` are False.
    var_ : ndarray of shape (n_features,) or None
        Column variances (population variance, divided by n_samples).
        None when ``with_std`` is False.
    scale_ : ndarray of shape (n_features,) or None
        Divisor of each column: its standard deviation, or 1.0 for a
        constant column so that it maps to zeros instead of NaN. None when
        ``with_std`` is False.
    n_features_in_ : int
        Number of columns seen in ``fit``.

    Notes
    -----
    Integer and boolean inputs are converted to float64. Float32 inputs
    stay float32. NaN and infinity are rejected.

    Examples
    --------
    >>> from fastnn.preprocessing import StandardScaler
    >>> scaler = StandardScaler().fit([[0.0, 10.0], [2.0, 10.0]])
    >>> scaler.mean_, scaler.scale_
    (array([ 1., 10.]), array([1., 1.]))
    >>> scaler.transform([[4.0, 10.0]])
    array([[3., 0.]])
    """

    def __init__(self, *, with_mean=True, with_std=True, copy=True):
        self.with_mean = with_mean
        self.with_std = with_std
        self.copy = copy

    def __repr__(self):
        return (
            f"StandardScaler(with_mean={self.with_mean!r}, "
            f"with_std={self.with_std!r}, copy={self.copy!r})"
        )

    def fit(self, X, y=None):
        """Compute the column means and standard deviations of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, numeric and finite.
        y : None
            Ignored. Accepted for pipeline compatibility.

        Returns
        -------
        self : StandardScaler
            The fitted scaler.

        Raises
        ------
        ValueError
            If X is not 2-D, is empty, or contains NaN or infinity.
        TypeError
            If X is not numeric or a parameter is not a bool.
        """
        for name in ("with_mean", "with_std", "copy"):
            _check_bool(getattr(self, name), name)
        X = _check_feature_matrix(X, copy=False, owner="StandardScaler.fit")
        X = X.astype(np.float64, copy=False)
        self.n_features_in_ = X.shape[1]

        # scikit-learn also leaves mean_ unset only when nothing is scaled.
        if not self.with_mean and not self.with_std:
            self.mean_ = None
            self.var_ = None
            self.scale_ = None
            return self

        self.mean_ = X.mean(axis=0)
        if not self.with_std:
            self.var_ = None
            self.scale_ = None
            return self

        # Two-pass variance: subtract the mean before squaring.
        self.var_ = np.mean((X - self.mean_) ** 2, axis=0)
        self.scale_ = _scale_without_zeros(X, self.mean_, self.var_)
        return self

    def transform(self, X):
        """Standardize X with the statistics from ``fit``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with the same columns as in ``fit``.

        Returns
        -------
        X_scaled : ndarray of shape (n_samples, n_features)
            float32 for float32 input, else float64.

        Raises
        ------
        ValueError
            If the scaler is not fitted, X has a different number of columns
            than in ``fit``, or X contains NaN or infinity.
        """
        X = self._check_input(X, "transform")
        if self.with_mean:
            X -= self.mean_.astype(X.dtype)
        if self.with_std:
            X /= self.scale_.astype(X.dtype)
        return X

    def fit_transform(self, X, y=None):
        """Fit to X, then return X standardized.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, numeric and finite.
        y : None
            Ignored. Accepted for pipeline compatibility.

        Returns
        -------
        X_scaled : ndarray of shape (n_samples, n_features)
            float32 for float32 input, else float64.
        """
        return self.fit(X).transform(X)

    def inverse_transform(self, X):
        """Map standardized data back to the original units.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Standardized data.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            ``X * scale_ + mean_``, float32 for float32 input, else float64.

        Raises
        ------
        ValueError
            If the scaler is not fitted, X has a different number of columns
            than in ``fit``, or X contains NaN or infinity.
        """
        X = self._check_input(X, "inverse_transform")
        if self.with_std:
            X *= self.scale_.astype(X.dtype)
        if self.with_mean:
            X += self.mean_.astype(X.dtype)
        return X

    def _check_input(self, X, method):
        """Validate X for ``transform`` or ``inverse_transform``."""
        if not hasattr(self, "n_features_in_"):
            raise NotFittedError(
                f"This StandardScaler is not fitted yet. Call fit(X) before "
                f"{method}."
            )
        owner = f"StandardScaler.{method}"
        X = _check_feature_matrix(X, copy=self.copy, owner=owner)
        if not X.flags.writeable:
            X = X.copy()
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but StandardScaler was fitted "
                f"with {self.n_features_in_} features. Pass data with the "
                "same columns as in fit."
            )
        return X


def _scale_without_zeros(X, mean, var):
    """Return the standard deviations with 1.0 for constant columns.

    A column counts as constant when all its values are equal, or when its
    standard deviation is at most 10 machine epsilons relative to its mean.
    Such a column differs only by rounding, and dividing by its standard
    deviation would inflate that noise to values near +-1.
    """
    scale = np.sqrt(var)
    all_equal = np.all(X == X[0], axis=0)
    eps = np.finfo(np.float64).eps
    rounding_noise = scale <= 10 * eps * np.abs(mean)
    scale[all_equal | rounding_noise] = 1.0
    return scale


class MinMaxScaler:
    """Scale each feature to a given range, by default [0, 1].

    The transform is ``x * scale_ + min_`` with
    ``scale_ = (high - low) / (data_max_ - data_min_)`` and
    ``min_ = low - data_min_ * scale_``, as in scikit-learn. Statistics are
    computed in float64.

    Parameters
    ----------
    feature_range : tuple (low, high), default=(0, 1)
        Range of the transformed training data, with low < high.
    copy : bool, default=True
        If False, ``transform`` and ``inverse_transform`` overwrite X in place
        when it is already a writeable float32 or float64 array.

    Attributes
    ----------
    data_min_, data_max_ : ndarray of shape (n_features,)
        Column minimum and maximum of the training data.
    data_range_ : ndarray of shape (n_features,)
        ``data_max_ - data_min_``.
    scale_, min_ : ndarray of shape (n_features,)
        Factor and offset of the transform. A constant column gets the
        factor ``high - low`` so that it maps to ``low`` instead of NaN.
    n_features_in_ : int

    Examples
    --------
    >>> from fastnn.preprocessing import MinMaxScaler
    >>> scaler = MinMaxScaler().fit([[1.0, 5.0], [3.0, 5.0]])
    >>> scaler.transform([[2.0, 5.0], [5.0, 5.0]])
    array([[0.5, 0. ],
           [2. , 0. ]])
    """

    def __init__(self, feature_range=(0, 1), *, copy=True):
        self.feature_range = feature_range
        self.copy = copy

    def __repr__(self):
        return f"MinMaxScaler(feature_range={self.feature_range!r}, copy={self.copy!r})"

    def fit(self, X, y=None):
        """Compute the column minimum and maximum of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, numeric and finite.
        y : None
            Ignored.

        Returns
        -------
        self : MinMaxScaler

        Raises
        ------
        ValueError
            If ``feature_range`` is not two increasing finite numbers, or X
            is not 2-D, is empty or contains NaN or infinity.
        """
        low, high = self._check_range()
        _check_bool(self.copy, "copy")
        X = _check_feature_matrix(X, copy=False, owner="MinMaxScaler.fit")
        X = X.astype(np.float64, copy=False)
        self.n_features_in_ = X.shape[1]
        self.data_min_ = X.min(axis=0)
        self.data_max_ = X.max(axis=0)
        self.data_range_ = self.data_max_ - self.data_min_

        # A constant column has range 0; dividing by 1 maps it to low.
        divisor = np.where(self.data_range_ == 0.0, 1.0, self.data_range_)
        self.scale_ = (high - low) / divisor
        self.min_ = low - self.data_min_ * self.scale_
        return self

    def transform(self, X):
        """Scale X with the minimum and maximum from ``fit``.

        Values outside the training range map outside ``feature_range``;
        they are not clipped.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_scaled : ndarray of shape (n_samples, n_features)
            float32 for float32 input, else float64.
        """
        X = self._check_input(X, "transform")
        X *= self.scale_.astype(X.dtype)
        X += self.min_.astype(X.dtype)
        return X

    def fit_transform(self, X, y=None):
        """Fit to X, then return X scaled."""
        return self.fit(X).transform(X)

    def inverse_transform(self, X):
        """Map scaled data back to the original units: ``(X - min_) / scale_``."""
        X = self._check_input(X, "inverse_transform")
        X -= self.min_.astype(X.dtype)
        X /= self.scale_.astype(X.dtype)
        return X

    def _check_range(self):
        try:
            low, high = (float(value) for value in self.feature_range)
        except (TypeError, ValueError):
            raise ValueError(
                f"feature_range must be a pair (low, high) of numbers, got "
                f"{self.feature_range!r}."
            ) from None
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise ValueError(
                f"feature_range must be finite with low < high, got {self.feature_range!r}."
            )
        return low, high

    def _check_input(self, X, method):
        if not hasattr(self, "n_features_in_"):
            raise NotFittedError(
                f"This MinMaxScaler is not fitted yet. Call fit(X) before {method}."
            )
        X = _check_feature_matrix(X, copy=self.copy, owner=f"MinMaxScaler.{method}")
        if not X.flags.writeable:
            X = X.copy()
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but MinMaxScaler was fitted with "
                f"{self.n_features_in_} features. Pass data with the same columns as in fit."
            )
        return X


class LabelEncoder:
    """Encode class labels as integers 0 to n_classes - 1.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Distinct labels seen in ``fit``, sorted. Label ``classes_[i]`` is
        encoded as ``i``.

    Examples
    --------
    >>> from fastnn.preprocessing import LabelEncoder
    >>> encoder = LabelEncoder().fit(["cat", "dog", "cat", "bird"])
    >>> encoder.classes_
    array(['bird', 'cat', 'dog'], dtype='<U4')
    >>> encoder.transform(["dog", "bird"])
    array([2, 0])
    >>> encoder.inverse_transform([1, 1])
    array(['cat', 'cat'], dtype='<U4')
    """

    def __repr__(self):
        return "LabelEncoder()"

    def fit(self, y):
        """Store the sorted distinct labels of y.

        Parameters
        ----------
        y : array-like of shape (n_samples,)
            Labels, numbers or strings (not both).

        Returns
        -------
        self : LabelEncoder
            The fitted encoder.

        Raises
        ------
        ValueError
            If y is not 1-D, is empty, contains NaN or mixes strings with
            other values.
        """
        y = _check_labels(y, "y")
        if y.size == 0:
            raise ValueError("y is empty. LabelEncoder.fit needs at least one label.")
        self.classes_ = np.unique(y)
        return self

    def transform(self, y):
        """Encode labels as their positions in ``classes_``.

        Parameters
        ----------
        y : array-like of shape (n_samples,)
            Labels seen in ``fit``.

        Returns
        -------
        codes : ndarray of shape (n_samples,), dtype int64
            Position of each label in ``classes_``.

        Raises
        ------
        ValueError
            If the encoder is not fitted, or y contains labels not seen in
            ``fit``. The message lists up to five of them.
        """
        self._check_fitted("transform")
        y = _check_labels(y, "y")
        if y.size == 0:
            return np.zeros(0, dtype=np.int64)
        _check_same_kind(y, self.classes_)

        # searchsorted returns len(classes_) for labels past the last class.
        codes = np.searchsorted(self.classes_, y)
        clipped = np.minimum(codes, len(self.classes_) - 1)
        unseen = self.classes_[clipped] != y
        if np.any(unseen):
            raise ValueError(
                f"y contains labels not seen in fit: "
                f"{_preview(np.unique(y[unseen]))}. Fit the encoder on all "
                "labels, or remove these samples."
            )
        return codes.astype(np.int64)

    def fit_transform(self, y):
        """Fit to y, then return y encoded.

        Parameters
        ----------
        y : array-like of shape (n_samples,)
            Labels, numbers or strings (not both).

        Returns
        -------
        codes : ndarray of shape (n_samples,), dtype int64
            Position of each label in ``classes_``.
        """
        return self.fit(y).transform(y)

    def inverse_transform(self, codes):
        """Map integer codes back to the original labels.

        Parameters
        ----------
        codes : array-like of shape (n_samples,)
            Integers in ``[0, len(classes_))``.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            ``classes_[codes]``.

        Raises
        ------
        ValueError
            If the encoder is not fitted, or a code is out of range.
        TypeError
            If the codes are not integers.
        """
        self._check_fitted("inverse_transform")
        codes = np.asarray(codes)
        if codes.ndim != 1:
            raise ValueError(
                f"codes must be 1-D, got an array of shape {codes.shape}."
            )
        if codes.size == 0:
            return self.classes_[:0].copy()
        if codes.dtype.kind not in "iu":
            raise TypeError(
                f"codes must be integers, got dtype {codes.dtype}. Pass the "
                "output of transform."
            )

        n_classes = len(self.classes_)
        invalid = (codes < 0) | (codes >= n_classes)
        if np.any(invalid):
            raise ValueError(
                f"codes must be in [0, {n_classes}), got "
                f"{_preview(np.unique(codes[invalid]))}."
            )
        return self.classes_[codes]

    def _check_fitted(self, method):
        if not hasattr(self, "classes_"):
            raise NotFittedError(
                f"This LabelEncoder is not fitted yet. Call fit(y) before {method}."
            )


def _check_labels(y, name):
    """Return y as a 1-D label array of numbers or of strings."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D, got an array of shape {y.shape}. Pass a "
            f"flat vector, for example {name}.ravel()."
        )

    # Python objects must all be strings, or all be convertible numbers.
    if y.dtype.kind == "O":
        is_string = [isinstance(value, str) for value in y]
        if all(is_string):
            y = y.astype(str)
        elif any(is_string):
            raise ValueError(f"{name} mixes strings and other values. Use one type.")
        else:
            y = np.array(y.tolist())

    if y.dtype.kind not in "biufUS":
        raise TypeError(f"{name} has unsupported dtype {y.dtype}. Pass numbers or strings.")
    if y.dtype.kind == "f" and np.any(np.isnan(y)):
        raise ValueError(f"{name} contains NaN. Remove or replace missing labels first.")
    return y


def _check_same_kind(y, classes):
    y_is_text = y.dtype.kind in "US"
    classes_are_text = classes.dtype.kind in "US"
    if y_is_text != classes_are_text:
        raise ValueError(
            f"y contains {'strings' if y_is_text else 'numbers'} but the encoder "
            f"was fitted on {'strings' if classes_are_text else 'numbers'}. Pass "
            "labels of the type used in fit."
        )


# Imported last: the table preprocessor builds on the scalers above.
from ._table_preprocessor import TablePreprocessor  # noqa: E402
