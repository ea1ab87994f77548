"""TablePreprocessor: raw table columns to a float matrix, fitted on training data only."""

import collections
import warnings

import numpy as np

from ._base import ParamsMixin
from ._table import BOOLEAN, CATEGORICAL, NUMERIC, DataError, as_table, describe_names
from ._validation import NotFittedError

# The category that stands for a missing value with categorical_imputation="missing".
MISSING_CATEGORY = "<missing>"

# A categorical column with more distinct values than this, and more than
# half as many as it has values, draws a warning: it is likely an id or
# free text, and one-hot encoding it adds a feature per value.
MANY_CATEGORIES = 20

PREPROCESSOR_VERSION = 1


class UnknownCategoryWarning(UserWarning):
    """Warned when transform meets categories that fit did not see."""


class TablePreprocessor(ParamsMixin):
    """Turn a table of numeric, categorical and boolean columns into a float matrix.

    Every statistic is learned in ``fit`` and reused unchanged by
    ``transform``, so training data and later rows are encoded identically.
    Per column, in input order, the output holds:

    - numeric: the value, missing values imputed, then scaled;
    - boolean: 1.0 for true and 0.0 for false, missing values imputed;
    - categorical: one 0/1 column per category seen in ``fit`` (one-hot),
      missing values imputed;
    - with ``missing_indicator=True``, a 0/1 column ``<name>_missing`` after
      each column that had missing values in ``fit``.

    Output columns that are constant on the training data are then dropped
    (``drop_constant=True``). A constant numeric column never becomes NaN:
    with ``drop_constant=False`` either scaling maps it to 0.0.

    Parameters
    ----------
    types : dict of str to str, optional
        Column types that replace inference: "numeric", "categorical" or
        "boolean".
    drop : list of str, optional
        Columns to ignore, such as ids.
    numeric_imputation : {"median", "mean"}, default="median"
    categorical_imputation : {"most_frequent", "missing"}, default="most_frequent"
        "missing" makes a missing value its own category, ``"<missing>"``.
        Boolean columns always use the most frequent value.
    missing_indicator : bool, default=False
        Add a 0/1 column per input column that had missing values in ``fit``.
    scaling : {"standard", "minmax", None}, default="standard"
        Scaling of numeric columns after imputation: zero mean and unit
        variance, the range [0, 1], or none.
    handle_unknown : {"ignore", "error"}, default="ignore"
        A category not seen in ``fit``: "ignore" encodes it as all zeros and
        warns once per column with the count (``UnknownCategoryWarning``);
        "error" raises ``DataError`` naming the row.
    drop_constant : bool, default=True
        Drop output columns that are constant on the training data.

    Attributes
    ----------
    input_columns_ : list of str
        Columns used, in order; ``transform`` needs each of them.
    column_types_ : dict of str to str
    fill_values_ : dict
        Imputed value per column: a float for numeric and boolean columns,
        a category for categorical ones.
    categories_ : dict of str to list of str
        Sorted categories of each categorical column.
    missing_columns_ : list of str
        Columns with a missing-value indicator.
    scaler_ : StandardScaler, MinMaxScaler or None
        Fitted on the imputed numeric columns, in input order.
    feature_names_out_ : ndarray of str
        Names of the output columns, such as ``income``, ``grade=B``,
        ``income_missing``.
    dropped_features_ : list of str
        Output columns removed because they were constant.
    n_features_out_ : int

    Examples
    --------
    >>> from fastnn.preprocessing import TablePreprocessor
    >>> data = {"income": [50.0, None, 70.0], "grade": ["A", "B", "A"]}
    >>> prep = TablePreprocessor(scaling=None).fit(data)
    >>> list(prep.feature_names_out_)
    ['income', 'grade=A', 'grade=B']
    >>> prep.transform({"income": [None], "grade": ["B"]})
    array([[60.,  0.,  1.]])
    """

    def __init__(self, *, types=None, drop=None, numeric_imputation="median",
                 categorical_imputation="most_frequent", missing_indicator=False,
                 scaling="standard", handle_unknown="ignore", drop_constant=True):
        self.types = types
        self.drop = drop
        self.numeric_imputation = numeric_imputation
        self.categorical_imputation = categorical_imputation
        self.missing_indicator = missing_indicator
        self.scaling = scaling
        self.handle_unknown = handle_unknown
        self.drop_constant = drop_constant

    # ---- fit ---------------------------------------------------------------

    def fit(self, data, y=None):
        """Learn the column types, fill values, categories and scaling from data.

        Parameters
        ----------
        data : Table, DataFrame, dict of columns or 2-D array
            Training rows; see :func:`fastnn.tabular.as_table`.
        y : None
            Ignored.

        Returns
        -------
        self : TablePreprocessor

        Raises
        ------
        DataError
            When a column cannot be read as its type, or when no output
            column varies over the training rows.
        """
        self._check_params()
        table = self._as_table(data)
        if table.n_rows == 0:
            raise DataError("%s has no rows to fit on" % table.source, source=table.source)
        self.input_columns_ = table.columns
        self.column_types_ = table.types
        self.fill_values_ = {}
        self.categories_ = {}
        self.missing_columns_ = []
        for name in self.input_columns_:
            self._fit_column(table, name)

        numeric = self._numeric_block(table)
        self.scaler_ = None
        if self.scaling is not None and numeric.shape[1] > 0:
            from .preprocessing import MinMaxScaler, StandardScaler

            self.scaler_ = StandardScaler() if self.scaling == "standard" else MinMaxScaler()
            self.scaler_.fit(numeric)

        features, names = self._assemble(table, numeric, warn_unknown=False)
        keep = np.ones(len(names), dtype=bool)
        if self.drop_constant and features.shape[0] > 0:
            keep = ~np.all(features == features[:1], axis=0)
        if not keep.any():
            raise DataError(
                "%s: every feature is constant over the %d training rows, so there is "
                "nothing to learn from; check the data and the dropped columns"
                % (table.source, table.n_rows),
                source=table.source,
            )
        self._keep = keep
        self._all_feature_names = names
        self.feature_names_out_ = np.array([n for n, k in zip(names, keep) if k], dtype=object)
        self.dropped_features_ = [n for n, k in zip(names, keep) if not k]
        self.n_features_out_ = int(keep.sum())
        return self

    def _fit_column(self, table, name):
        kind = self.column_types_[name]
        if kind == CATEGORICAL:
            values = table.text(name)
            missing = np.array([v is None for v in values])
            counts = collections.Counter(v for v in values if v is not None)
            categories = sorted(counts)
            if self.categorical_imputation == "missing" and missing.any():
                categories.append(MISSING_CATEGORY)
                fill = MISSING_CATEGORY
            else:
                fill = _most_frequent(counts) if counts else MISSING_CATEGORY
            self.categories_[name] = categories
            self.fill_values_[name] = fill
            if len(counts) > MANY_CATEGORIES and len(counts) > 0.5 * (~missing).sum():
                warnings.warn(
                    "%s, column %r has %d distinct values in %d rows; one-hot encoding adds a "
                    "feature per value. If it identifies rows (an id, a name), drop it."
                    % (table.source, name, len(counts), table.n_rows),
                    UserWarning, stacklevel=3,
                )
        else:
            values = table.numeric(name) if kind == NUMERIC else table.boolean(name)
            missing = np.isnan(values)
            present = values[~missing]
            if len(present) == 0:
                fill = 0.0
            elif kind == BOOLEAN:
                fill = float(np.count_nonzero(present) > len(present) / 2)
            elif self.numeric_imputation == "median":
                fill = float(np.median(present))
            else:
                fill = float(np.mean(present))
            self.fill_values_[name] = fill
        if self.missing_indicator and missing.any():
            self.missing_columns_.append(name)

    # ---- transform ------------------------------------------------------------

    def transform(self, data):
        """Encode rows with the statistics learned in ``fit``.

        Columns that ``fit`` did not use are ignored.

        Parameters
        ----------
        data : Table, DataFrame, dict of columns or 2-D array

        Returns
        -------
        X : ndarray of shape (n_rows, n_features_out_), float64

        Raises
        ------
        DataError
            When a column that ``fit`` used is absent, a value cannot be
            read as its column's type, or, with ``handle_unknown="error"``,
            a category is unknown.

        Warns
        -----
        UnknownCategoryWarning
            Once per categorical column with categories not seen in ``fit``.
        """
        self._check_fitted("transform")
        table = self._as_table(data, types=False)
        self._check_columns(table)
        numeric = self._numeric_block(table)
        features, _ = self._assemble(table, numeric, warn_unknown=True)
        return features[:, self._keep]

    def _check_columns(self, table):
        """Raise DataError naming the fitted input columns that ``table`` lacks."""
        absent = [name for name in self.input_columns_ if name not in table]
        if absent:
            raise DataError(
                "%s lacks column%s %s that the model was trained on; its columns are: %s"
                % (table.source, "s" if len(absent) > 1 else "",
                   describe_names([repr(name) for name in absent]),
                   describe_names(table.columns)),
                source=table.source, column=absent[0],
            )

    def fit_transform(self, data, y=None):
        """Fit to data, then return it encoded."""
        return self.fit(data).transform(data)

    def get_feature_names_out(self):
        """Return the names of the output columns."""
        self._check_fitted("get_feature_names_out")
        return self.feature_names_out_.copy()

    def _numeric_block(self, table):
        """Return the imputed numeric columns as an (n_rows, n_numeric) matrix."""
        names = [name for name in self.input_columns_ if self.column_types_[name] == NUMERIC]
        block = np.empty((table.n_rows, len(names)))
        for j, name in enumerate(names):
            values = table.numeric(name)
            block[:, j] = np.where(np.isnan(values), self.fill_values_[name], values)
        return block

    def _assemble(self, table, numeric, warn_unknown):
        """Return every output column (before the constant drop) and their names."""
        if self.scaler_ is not None:
            numeric = self.scaler_.transform(numeric)
        blocks, names = [], []
        numeric_position = 0
        for name in self.input_columns_:
            kind = self.column_types_[name]
            if kind == NUMERIC:
                values = numeric[:, numeric_position]
                numeric_position += 1
                missing = np.isnan(table.numeric(name)) if name in self.missing_columns_ else None
                blocks.append(values[:, None])
                names.append(name)
            elif kind == BOOLEAN:
                raw = table.boolean(name)
                missing = np.isnan(raw)
                blocks.append(np.where(missing, self.fill_values_[name], raw)[:, None])
                names.append(name)
            else:
                block, missing = self._one_hot(table, name, warn_unknown)
                blocks.append(block)
                names.extend("%s=%s" % (name, c) for c in self.categories_[name])
            if name in self.missing_columns_:
                blocks.append(missing.astype(np.float64)[:, None])
                names.append("%s_missing" % name)
        if not blocks:
            return np.zeros((table.n_rows, 0)), names
        return np.hstack(blocks), names

    def _one_hot(self, table, name, warn_unknown):
        values = table.text(name)
        categories = self.categories_[name]
        position = {category: j for j, category in enumerate(categories)}
        fill = self.fill_values_[name]
        block = np.zeros((len(values), len(categories)))
        missing = np.zeros(len(values), dtype=bool)
        unknown_rows = []
        for i, value in enumerate(values):
            if value is None:
                missing[i] = True
                value = fill
            j = position.get(value)
            if j is None:
                unknown_rows.append(i)
                continue
            block[i, j] = 1.0
        if unknown_rows and warn_unknown:
            self._report_unknown(table, name, values, unknown_rows)
        return block, missing

    def _report_unknown(self, table, name, values, rows):
        if self.handle_unknown == "error":
            raise table.error(
                rows[0], name,
                "category %r was not seen in training; known categories: %s"
                % (values[rows[0]], _preview(self.categories_[name])),
            )
        unknown = sorted({values[i] for i in rows})
        warnings.warn(
            "%s, column %r: %d row%s with a category not seen in training (%s), encoded as "
            "no category (all zeros)"
            % (table.source, name, len(rows), "" if len(rows) == 1 else "s", _preview(unknown)),
            UnknownCategoryWarning, stacklevel=4,
        )

    # ---- checks and serialization -------------------------------------------------

    def _as_table(self, data, types=True):
        table = as_table(data, types=self.types if types else None)
        if types and self.drop:
            table = table.drop(list(self.drop))
        return table

    def _check_params(self):
        choices = {
            "numeric_imputation": ("median", "mean"),
            "categorical_imputation": ("most_frequent", "missing"),
            "scaling": ("standard", "minmax", None),
            "handle_unknown": ("ignore", "error"),
        }
        for param, allowed in choices.items():
            if getattr(self, param) not in allowed:
                raise ValueError("%s must be one of %s, got %r"
                                 % (param, ", ".join(map(repr, allowed)), getattr(self, param)))
        for param in ("missing_indicator", "drop_constant"):
            if not isinstance(getattr(self, param), (bool, np.bool_)):
                raise TypeError("%s must be True or False, got %r" % (param, getattr(self, param)))

    def _check_fitted(self, method):
        if not hasattr(self, "input_columns_"):
            raise NotFittedError(
                "This TablePreprocessor is not fitted yet. Call fit(data) before %s." % method
            )

    def to_dict(self):
        """Return the fitted state as a JSON-serialisable dict (see ``from_dict``)."""
        self._check_fitted("to_dict")
        columns = []
        for name in self.input_columns_:
            entry = {"name": name, "type": self.column_types_[name],
                     "fill": self.fill_values_[name],
                     "missing_indicator": name in self.missing_columns_}
            if name in self.categories_:
                entry["categories"] = list(self.categories_[name])
            columns.append(entry)
        scaler = None
        if self.scaler_ is not None:
            if self.scaling == "standard":
                scaler = {"kind": "standard", "mean": self.scaler_.mean_.tolist(),
                          "var": self.scaler_.var_.tolist(),
                          "scale": self.scaler_.scale_.tolist()}
            else:
                scaler = {"kind": "minmax", "data_min": self.scaler_.data_min_.tolist(),
                          "data_max": self.scaler_.data_max_.tolist()}
        params = self.get_params(deep=False)
        params["types"] = dict(self.types) if self.types else None
        params["drop"] = list(self.drop) if self.drop else None
        return {
            "version": PREPROCESSOR_VERSION,
            "params": params,
            "columns": columns,
            "scaler": scaler,
            "feature_names": list(self._all_feature_names),
            "keep": [bool(k) for k in self._keep],
        }

    @classmethod
    def from_dict(cls, state):
        """Rebuild a fitted preprocessor from ``to_dict`` output.

        Raises
        ------
        ValueError
            When the state is incomplete, inconsistent or from a newer version.
        """
        try:
            version = int(state["version"])
            if version > PREPROCESSOR_VERSION:
                raise ValueError("the preprocessing was saved by a newer fastnn (version %d, "
                                 "this one reads %d); upgrade fastnn" % (version, PREPROCESSOR_VERSION))
            prep = cls(**state["params"])
            prep._check_params()
            prep.input_columns_ = [entry["name"] for entry in state["columns"]]
            prep.column_types_ = {entry["name"]: entry["type"] for entry in state["columns"]}
            prep.fill_values_ = {entry["name"]: entry["fill"] for entry in state["columns"]}
            prep.categories_ = {entry["name"]: list(entry["categories"])
                                for entry in state["columns"] if "categories" in entry}
            prep.missing_columns_ = [entry["name"] for entry in state["columns"]
                                     if entry["missing_indicator"]]
            prep.scaler_ = _scaler_from_dict(state["scaler"])
            prep._all_feature_names = list(state["feature_names"])
            prep._keep = np.array(state["keep"], dtype=bool)
        except (KeyError, TypeError) as exc:
            raise ValueError("the preprocessing state is incomplete or malformed (%s: %s)"
                             % (type(exc).__name__, exc)) from None
        for name, kind in prep.column_types_.items():
            if kind not in (NUMERIC, CATEGORICAL, BOOLEAN):
                raise ValueError("column %r has an unknown type %r" % (name, kind))
            if kind == CATEGORICAL and name not in prep.categories_:
                raise ValueError("categorical column %r has no categories" % name)
        if len(prep._keep) != len(prep._all_feature_names):
            raise ValueError("the preprocessing state lists %d feature names but %d keep flags"
                             % (len(prep._all_feature_names), len(prep._keep)))
        prep.feature_names_out_ = np.array(
            [n for n, k in zip(prep._all_feature_names, prep._keep) if k], dtype=object)
        prep.dropped_features_ = [n for n, k in zip(prep._all_feature_names, prep._keep) if not k]
        prep.n_features_out_ = int(prep._keep.sum())
        return prep


def _scaler_from_dict(state):
    if state is None:
        return None
    from .preprocessing import MinMaxScaler, StandardScaler

    if state["kind"] == "standard":
        scaler = StandardScaler()
        scaler.mean_ = np.array(state["mean"], dtype=np.float64)
        scaler.scale_ = np.array(state["scale"], dtype=np.float64)
        scaler.var_ = np.array(state["var"], dtype=np.float64)
        scaler.n_features_in_ = len(scaler.mean_)
        return scaler
    if state["kind"] == "minmax":
        scaler = MinMaxScaler()
        data_min = np.array(state["data_min"], dtype=np.float64)
        data_max = np.array(state["data_max"], dtype=np.float64)
        # Refit on the two extreme rows: the same arithmetic as the original fit.
        return scaler.fit(np.vstack([data_min, data_max]))
    raise ValueError("invalid scaler kind %r; expected 'standard' or 'minmax'" % (state["kind"],))


def _most_frequent(counts):
    """Return the most frequent key; ties go to the first in sorted order."""
    best = max(counts.values())
    return min(key for key, count in counts.items() if count == best)


def _preview(values, limit=5):
    listed = ", ".join(repr(v) for v in list(values)[:limit])
    return listed + (", ... (%d in total)" % len(values) if len(values) > limit else "")
