"""Input and hyperparameter checks shared by the public entry points.

Every check raises TypeError (wrong kind of value) or ValueError (right kind,
wrong value) with a message that names the argument, shows what was received
and suggests a fix. Where scikit-learn's estimator checks look for a phrase
(for example "Reshape your data" or "Complex data not supported"), the
message contains that phrase too, so fastnn's estimators pass those checks.
"""

import numbers
import os
import sys
import warnings

import numpy as np

from . import _core

_FLOAT_DTYPES = (np.float32, np.float64)
_FLOAT_DTYPE_OBJECTS = (np.dtype(np.float32), np.dtype(np.float64))


class NotFittedError(ValueError, AttributeError):
    """Raised when a model or transformer is used before ``fit``.

    It subclasses ValueError and AttributeError, like scikit-learn's
    NotFittedError, so existing ``except`` clauses keep working.
    """


class InvalidParameterError(ValueError, TypeError):
    """Raised for a hyperparameter of the wrong type or outside its allowed range.

    It subclasses both ValueError and TypeError, like scikit-learn's
    InvalidParameterError, so ``except ValueError`` catches every invalid
    hyperparameter whichever of the two problems it has.
    """


class ConvergenceWarning(UserWarning):
    """Warned when training stops at max_iter before the loss converged."""


# ---- scikit-learn's exception classes ----------------------------------------

_SKLEARN_SUBCLASSES = {}


def _rebuild_as(cls, args):
    return cls(*args)


def with_sklearn_base(cls, sklearn_name):
    """Return cls, or a subclass that also derives from ``sklearn.exceptions.<sklearn_name>``.

    The subclass exists only while ``sklearn.exceptions`` is already
    imported: fastnn never imports scikit-learn itself. Code that catches
    or filters scikit-learn's class (``except NotFittedError``,
    ``warnings.simplefilter("ignore", ConvergenceWarning)``) then handles
    fastnn's errors and warnings too. Instances pickle as plain ``cls``.
    """
    module = sys.modules.get("sklearn.exceptions")
    sklearn_class = getattr(module, sklearn_name, None)
    if sklearn_class is None or issubclass(cls, sklearn_class):
        return cls
    key = (cls, sklearn_class)
    combined = _SKLEARN_SUBCLASSES.get(key)
    if combined is None:
        namespace = {
            "__module__": cls.__module__,
            "__doc__": cls.__doc__,
            "__reduce__": lambda self: (_rebuild_as, (cls, self.args)),
        }
        combined = type(cls.__name__, (cls, sklearn_class), namespace)
        _SKLEARN_SUBCLASSES[key] = combined
    return combined


def not_fitted_error(estimator):
    """Return the NotFittedError to raise when ``estimator`` is used before ``fit``."""
    error_class = with_sklearn_base(NotFittedError, "NotFittedError")
    return error_class(
        "This %s instance is not fitted yet. Call 'fit' with appropriate arguments "
        "before using this estimator." % type(estimator).__name__
    )


def warn_user(message, category=UserWarning):
    """Warn, attributing the warning to the first caller outside the fastnn package."""
    package_dir = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frame = sys._getframe(0)  # stacklevel 1 is this function
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(package_dir):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)


def warn_not_converged(message):
    """Warn a ConvergenceWarning (also scikit-learn's, when scikit-learn is imported)."""
    warn_user(message, with_sklearn_base(ConvergenceWarning, "ConvergenceWarning"))


def _describe(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _to_numpy(value, name):
    """Convert lists, DataFrames and arrays to an ndarray, keeping its dtype."""
    if _is_sparse(value):
        raise TypeError(
            "%s is a sparse matrix (%s), but fastnn needs dense data; convert it with "
            "%s.toarray()" % (name, type(value).__name__, name)
        )
    if hasattr(value, "to_numpy") and not isinstance(value, np.ndarray):
        value = value.to_numpy()
    try:
        return np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise TypeError(
            "%s could not be converted to an array (%s); pass a rectangular list, "
            "NumPy array or DataFrame of numbers" % (name, exc)
        ) from None


def _is_sparse(value):
    """Tell SciPy sparse matrices and arrays apart without importing SciPy."""
    return type(value).__module__.startswith("scipy.sparse") and hasattr(value, "toarray")


def check_array(X, name="X", dtype=None, ensure_2d=True, allow_empty=False, finite=True):
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
    finite : bool
        Reject NaN and infinity. A caller that checks them itself, with its
        own message, passes False.

    The result may share memory with X, and it is read-only when X is (a
    read-only memory map, for example): copy it before writing to it.

    Raises
    ------
    TypeError
        For non-numeric data (strings, objects) and sparse matrices.
    ValueError
        For complex numbers, the wrong number of dimensions, no rows or
        columns, NaN or inf.
    """
    # The common case first: a non-empty C-contiguous 2-D ndarray already of
    # the target dtype takes only the finiteness check. The general path
    # below took 1.2 us for a one-row float32 array; this takes about 0.6.
    if (type(X) is np.ndarray and ensure_2d and X.ndim == 2 and X.shape[0] > 0
            and X.shape[1] > 0 and X.flags.c_contiguous
            and X.dtype in _FLOAT_DTYPE_OBJECTS and (dtype is None or X.dtype == dtype)):
        if finite:
            _check_finite(X, name)
        return X

    arr = _to_numpy(X, name)

    # numeric kinds only; object arrays holding numbers are converted
    if arr.dtype.kind == "O":
        try:
            arr = arr.astype(np.float64)
        except (ValueError, TypeError) as exc:
            raise TypeError(
                "%s contains non-numeric values (dtype object, for example %s): %s. "
                "Encode text or categorical columns as numbers first"
                % (name, _describe(_first_non_numeric(arr)), exc)
            ) from None
    if arr.dtype.kind in "USV":
        raise TypeError(
            "%s contains non-numeric values (dtype %s); encode text or categorical "
            "columns as numbers first" % (name, arr.dtype)
        )
    if arr.dtype.kind == "c":
        raise ValueError(
            "%s has complex dtype %s. Complex data not supported; pass the real part "
            "(%s.real) or the magnitude (abs(%s))" % (name, arr.dtype, name, name)
        )
    if arr.dtype.kind not in "biuf":
        raise TypeError("%s has unsupported dtype %s; pass numbers" % (name, arr.dtype))

    if ensure_2d and arr.ndim != 2:
        if arr.ndim == 1:
            raise ValueError(
                "%s must be 2-D (rows x features), got a 1-D array of shape %s. Reshape "
                "your data with %s.reshape(-1, 1) for a single feature or "
                "%s.reshape(1, -1) for a single sample" % (name, arr.shape, name, name)
            )
        raise ValueError(
            "%s must be 2-D (rows x features), got %d dimension(s) with shape %s"
            % (name, arr.ndim, arr.shape)
        )
    if not allow_empty and arr.ndim >= 1 and arr.shape[0] == 0:
        raise ValueError(
            "%s has 0 sample(s) (shape=%s) while a minimum of 1 is required; pass at "
            "least one row" % (name, arr.shape)
        )
    if ensure_2d and arr.shape[1] == 0:
        raise ValueError(
            "%s has 0 feature(s) (shape=%s) while a minimum of 1 is required; pass at "
            "least one feature column" % (name, arr.shape)
        )

    if dtype is None:
        target = np.float32 if arr.dtype == np.float32 else np.float64
    else:
        target = np.dtype(dtype).type
        if target not in _FLOAT_DTYPES:
            raise ValueError("dtype must be 'float32' or 'float64', got %r" % (dtype,))
    arr = np.ascontiguousarray(arr, dtype=target)
    if finite:
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
    # a scan in C without a temporary array; the message is built only on failure
    if _core.first_nonfinite(arr) < 0:
        return
    bad = ~np.isfinite(arr)
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


def check_finite_output(out, name="X"):
    """Raise ValueError when a prediction came out NaN or infinite.

    Finite inputs can still overflow inside the network: values near the
    float maximum, or inputs on a scale far from the training data's. The
    message names the first such row, where a NaN would otherwise be returned.
    """
    at = _core.first_nonfinite(out)
    if at < 0:
        return
    row = at // (out.shape[1] if out.ndim == 2 else 1)
    raise ValueError(
        "the prediction for row %d of %s is not finite: its values overflow inside the "
        "network. Check that %s is on the scale of the training data (preprocessed the "
        "same way)" % (row, name, name)
    )


def check_consistent_length(**arrays):
    """Raise ValueError unless every array has the same number of rows."""
    lengths = {name: len(a) for name, a in arrays.items() if a is not None}
    if len(set(lengths.values())) > 1:
        shown = ", ".join("%s has %d" % item for item in lengths.items())
        raise ValueError("inconsistent numbers of rows: %s; they must match" % shown)


def check_sample_weight(sample_weight, n_samples, dtype):
    """Return sample_weight as a 1-D array of dtype, or None.

    A single number weights every row alike, as in scikit-learn.
    """
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Real) and not isinstance(sample_weight, bool):
        sample_weight = np.full(n_samples, sample_weight, dtype=dtype)
    w = check_array(sample_weight, name="sample_weight", dtype=dtype, ensure_2d=False,
                    allow_empty=True)
    if w.ndim != 1 or w.shape[0] != n_samples:
        raise ValueError(
            "sample_weight must be 1-D with one weight per row (%d), got shape %s"
            % (n_samples, w.shape)
        )
    if (w < 0).any():
        raise ValueError("sample_weight must be >= 0, got a minimum of %g" % w.min())
    if not w.sum() > 0:
        raise ValueError(
            "sample_weight has only zero weights, so no row counts in the loss; at least "
            "one row needs a positive weight"
        )
    return w


# ---- hyperparameters --------------------------------------------------------


def check_int(value, name, low=None, high=None):
    """Return value if it is an integer within [low, high]; raise otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidParameterError("%s must be an integer, got %s" % (name, _describe(value)))
    if (low is not None and value < low) or (high is not None and value > high):
        raise InvalidParameterError(
            "%s must be %s, got %d" % (name, _range_text(low, high), value)
        )
    return int(value)


def check_float(value, name, low=None, high=None, low_open=False, high_open=False):
    """Return value as float if it is a finite number in the given range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameterError("%s must be a number, got %s" % (name, _describe(value)))
    value = float(value)
    ok = np.isfinite(value)
    if low is not None:
        ok = ok and (value > low if low_open else value >= low)
    if high is not None:
        ok = ok and (value < high if high_open else value <= high)
    if not ok:
        raise InvalidParameterError(
            "%s must be %s, got %r" % (name, _range_text(low, high, low_open, high_open), value)
        )
    return value


def check_bool(value, name):
    """Return value as bool if it is True or False (NumPy booleans too)."""
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidParameterError(
            "%s must be True or False, got %s" % (name, _describe(value))
        )
    return bool(value)


def check_choice(value, name, choices):
    """Return value if it is one of choices; raise InvalidParameterError listing them otherwise."""
    if not isinstance(value, str) or value not in choices:
        raise InvalidParameterError(
            "%s must be one of %s, got %s"
            % (name, ", ".join(repr(c) for c in choices), _describe(value))
        )
    return value


def check_random_state(value, name="random_state"):
    """Return a NumPy Generator for None, an int >= 0, a Generator or a RandomState.

    A Generator is returned as it is and a RandomState is wrapped around its
    bit generator, so both advance the caller's stream, as in scikit-learn.
    """
    valid = value is None or isinstance(value, (np.random.Generator, np.random.RandomState))
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        if value < 0:
            raise InvalidParameterError("%s must be >= 0 when it is an int, got %d"
                                        % (name, value))
        valid = True
    if not valid:
        raise InvalidParameterError(
            "%s must be None, an int >= 0, a numpy.random.Generator or a "
            "numpy.random.RandomState, got %s" % (name, _describe(value))
        )
    return np.random.default_rng(value)


# ---- feature names ------------------------------------------------------------


def get_feature_names(X):
    """Return the column names of a DataFrame as an object array, or None.

    Only all-string names count; other names (pandas' default integers) give
    None. Mixing strings with other types raises TypeError, as in scikit-learn.
    """
    if isinstance(X, np.ndarray):
        return None
    columns = getattr(X, "columns", None)
    if columns is None or not hasattr(X, "shape"):
        return None
    names = np.asarray(list(columns), dtype=object)
    if len(names) == 0:
        return None
    types = sorted({type(name).__qualname__ for name in names})
    if len(types) > 1 and "str" in types:
        raise TypeError(
            "Feature names are only supported if all input features have string names, "
            "but X has column names of types %s. Convert them all to strings (for "
            "example X.columns = X.columns.astype(str)) or to a non-string type" % types
        )
    return names if types == ["str"] else None


def check_feature_names(estimator, X, reset):
    """Record X's column names at fit (reset=True); compare them later.

    Sets or deletes ``estimator.feature_names_in_``. On a later call, names
    that differ from fit raise ValueError; names present on only one side
    warn a UserWarning. The messages are scikit-learn's.
    """
    names = get_feature_names(X)
    if reset:
        if names is not None:
            estimator.feature_names_in_ = names
        else:
            estimator.__dict__.pop("feature_names_in_", None)
        return

    fitted = getattr(estimator, "feature_names_in_", None)
    owner = type(estimator).__name__
    if fitted is None and names is None:
        return
    if fitted is None:
        warn_user("X has feature names, but %s was fitted without feature names" % owner)
        return
    if names is None:
        warn_user("X does not have valid feature names, but %s was fitted with feature "
                  "names" % owner)
        return
    if len(names) == len(fitted) and (names == fitted).all():
        return

    message = "The feature names should match those that were passed during fit.\n"
    unseen = sorted(set(names) - set(fitted))
    missing = sorted(set(fitted) - set(names))
    if unseen:
        message += "Feature names unseen at fit time:\n" + _name_list(unseen)
    if missing:
        message += "Feature names seen at fit time, yet now missing:\n" + _name_list(missing)
    if not unseen and not missing:
        message += "Feature names must be in the same order as they were in fit.\n"
    raise ValueError(message)


def _name_list(names, limit=5):
    lines = ["- %s\n" % name for name in names[:limit]]
    if len(names) > limit:
        lines.append("- ...\n")
    return "".join(lines)


def _range_text(low, high, low_open=False, high_open=False):
    if low is not None and high is not None:
        return "in %s%g, %g%s" % ("(" if low_open else "[", low, high, ")" if high_open else "]")
    if low is not None:
        return "%s %g" % (">" if low_open else ">=", low)
    if high is not None:
        return "%s %g" % ("<" if high_open else "<=", high)
    return "finite"
