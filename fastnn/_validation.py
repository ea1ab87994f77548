"""Input and hyperparameter checks shared by the public entry points.

Every check raises TypeError (wrong kind of value) or ValueError (right kind,
wrong value) with a message that names the argument, shows what was received
and says what to do.
"""

import numbers

import numpy as np

_FLOAT_DTYPES = (np.float32, np.float64)


class NotFittedError(ValueError, AttributeError):
    """Raised when a model or transformer is used before ``fit``.

    It subclasses ValueError and AttributeError, like scikit-learn's
    NotFittedError, so existing ``except`` clauses keep working.
    """


def _describe(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _to_numpy(value, name):
    """Convert lists, DataFrames and arrays to an ndarray, keeping its dtype."""
    if hasattr(value, "to_numpy") and not isinstance(value, np.ndarray):
        value = value.to_numpy()
    try:
        return np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise TypeError(
            "%s could not be converted to an array (%s); pass a rectangular list, "
            "NumPy array or DataFrame of numbers" % (name, exc)
        ) from None


def check_array(X, name="X", dtype=None, ensure_2d=True, allow_empty=False):
    """Return X as a C-contiguous float32 or float64 array, validated.

    Parameters
    ----------
    X : array-like
        Numbers: an ndarray of any numeric dtype, order or strides, a nested
        list, or a DataFrame.
    name : str
        The argument's name in error messages.
    dtype : {None, "float32", "float64"}
        None keeps float32 as float32 and turns everything else into float64.
    ensure_2d : bool
        Require a 2-D array (rows x features).
    allow_empty : bool
        Accept zero rows.

    Raises
    ------
    TypeError
        For non-numeric data (strings, objects, complex numbers).
    ValueError
        For the wrong number of dimensions, no rows or columns, NaN or inf.
    """
    arr = _to_numpy(X, name)

    # numeric kinds only; object arrays holding numbers are converted
    if arr.dtype.kind == "O":
        try:
            arr = arr.astype(np.float64)
        except (ValueError, TypeError):
            raise TypeError(
                "%s contains non-numeric values (dtype object, for example %s); encode "
                "text or categorical columns as numbers first"
                % (name, _describe(_first_non_numeric(arr)))
            ) from None
    if arr.dtype.kind in "USV":
        raise TypeError(
            "%s contains non-numeric values (dtype %s); encode text or categorical "
            "columns as numbers first" % (name, arr.dtype)
        )
    if arr.dtype.kind == "c":
        raise TypeError("%s has complex dtype %s; pass real numbers" % (name, arr.dtype))
    if arr.dtype.kind not in "biuf":
        raise TypeError("%s has unsupported dtype %s; pass numbers" % (name, arr.dtype))

    if ensure_2d and arr.ndim != 2:
        if arr.ndim == 1:
            raise ValueError(
                "%s must be 2-D (rows x features), got a 1-D array of shape %s; use "
                "%s.reshape(-1, 1) for a single feature or %s.reshape(1, -1) for a "
                "single row" % (name, arr.shape, name, name)
            )
        raise ValueError(
            "%s must be 2-D (rows x features), got %d dimension(s) with shape %s"
            % (name, arr.ndim, arr.shape)
        )
    if not allow_empty and arr.shape[0] == 0:
        raise ValueError("%s has no rows (shape %s); pass at least one sample" % (name, arr.shape))
    if ensure_2d and arr.shape[1] == 0:
        raise ValueError("%s has no columns (shape %s); pass at least one feature" % (name, arr.shape))

    if dtype is None:
        target = np.float32 if arr.dtype == np.float32 else np.float64
    else:
        target = np.dtype(dtype).type
        if target not in _FLOAT_DTYPES:
            raise ValueError("dtype must be 'float32' or 'float64', got %r" % (dtype,))
    arr = np.ascontiguousarray(arr, dtype=target)
    _check_finite(arr, name)
    return arr


def _first_non_numeric(arr):
    for value in arr.ravel():
        try:
            float(value)
        except (ValueError, TypeError):
            return value
    return None


def _check_finite(arr, name):
    finite = np.isfinite(arr)
    if finite.all():
        return
    bad = ~finite
    if arr.ndim == 2:
        columns = np.flatnonzero(bad.any(axis=0))
        shown = ", ".join(str(c) for c in columns[:5]) + (", ..." if len(columns) > 5 else "")
        where = " in column(s) %s" % shown
    else:
        where = ""
    kind = "NaN" if np.isnan(arr[bad]).any() else "infinite"
    raise ValueError(
        "%s contains %d %s value(s)%s; impute or drop the missing values and replace "
        "infinities first" % (name, int(bad.sum()), kind, where)
    )


def check_consistent_length(**arrays):
    """Raise ValueError unless every array has the same number of rows."""
    lengths = {name: len(a) for name, a in arrays.items() if a is not None}
    if len(set(lengths.values())) > 1:
        shown = ", ".join("%s has %d" % item for item in lengths.items())
        raise ValueError("inconsistent numbers of rows: %s; they must match" % shown)


def check_sample_weight(sample_weight, n_samples, dtype):
    """Return sample_weight as a 1-D array of dtype, or None."""
    if sample_weight is None:
        return None
    w = check_array(sample_weight, name="sample_weight", dtype=dtype, ensure_2d=False)
    if w.ndim != 1 or w.shape[0] != n_samples:
        raise ValueError(
            "sample_weight must be 1-D with one weight per row (%d), got shape %s"
            % (n_samples, w.shape)
        )
    if (w < 0).any():
        raise ValueError("sample_weight must be >= 0, got a minimum of %g" % w.min())
    if not w.sum() > 0:
        raise ValueError("sample_weight sums to 0; at least one row needs a positive weight")
    return w


# ---- hyperparameters --------------------------------------------------------


def check_int(value, name, low=None, high=None):
    """Return value if it is an integer within [low, high]; raise otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError("%s must be an integer, got %s" % (name, _describe(value)))
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError("%s must be %s, got %d" % (name, _range_text(low, high), value))
    return int(value)


def check_float(value, name, low=None, high=None, low_open=False, high_open=False):
    """Return value as float if it is a finite number in the given range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError("%s must be a number, got %s" % (name, _describe(value)))
    value = float(value)
    ok = np.isfinite(value)
    if low is not None:
        ok = ok and (value > low if low_open else value >= low)
    if high is not None:
        ok = ok and (value < high if high_open else value <= high)
    if not ok:
        raise ValueError(
            "%s must be %s, got %r" % (name, _range_text(low, high, low_open, high_open), value)
        )
    return value


def check_choice(value, name, choices):
    """Return value if it is one of choices; raise ValueError listing them otherwise."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            "%s must be one of %s, got %s"
            % (name, ", ".join(repr(c) for c in choices), _describe(value))
        )
    return value


def _range_text(low, high, low_open=False, high_open=False):
    if low is not None and high is not None:
        return "in %s%g, %g%s" % ("(" if low_open else "[", low, high, ")" if high_open else "]")
    if low is not None:
        return "%s %g" % (">" if low_open else ">=", low)
    if high is not None:
        return "%s %g" % ("<" if high_open else "<=", high)
    return "finite"
